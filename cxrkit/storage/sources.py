"""Choosing a copy's source once: a local folder or a URL (:func:`open_source`), as xarray chooses an engine.

Examples
--------
>>> is_url("gs://mimic-cxr-2.0.0.physionet.org"), is_url("/data/mimic-cxr")
(True, False)
>>> import cxrkit
>>> open_source(cxrkit.open_dataset().root).fetches_on_demand
False
"""

from __future__ import annotations

import os
import re
import urllib.parse
from typing import Any

from .backend import Source
from .local import LocalSource
from .remote import RemoteSource

__all__ = ["is_url", "open_source"]

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")


def is_url(root: object) -> bool:
    """Whether ``root`` is a URL (``scheme://...``) rather than a local path."""
    return isinstance(root, str) and bool(_URL.match(root))


def open_source(
    root: str | os.PathLike,
    *,
    cache_dir: str | os.PathLike | None = None,
    storage_options: dict[str, Any] | None = None,
) -> Source:
    """The :class:`~cxrkit.storage.backend.Source` of ``root``: a :class:`~cxrkit.storage.local.LocalSource`
    for a folder (``file://`` URLs too), a :class:`~cxrkit.storage.remote.RemoteSource` for any other URL.

    Raises
    ------
    cxrkit.errors.NotADatasetError
        ``root`` is neither a folder nor a URL.
    TypeError
        ``storage_options`` given with a local folder.
    """
    if isinstance(root, str) and root.startswith("file://"):  # a local folder written as a URL
        root = urllib.parse.unquote(urllib.parse.urlsplit(root).path)
    if is_url(root):
        return RemoteSource(str(root), cache_dir, storage_options)
    if storage_options:
        raise TypeError("storage_options= applies to a URL root, not to a local folder")
    return LocalSource(root, cache_dir)
