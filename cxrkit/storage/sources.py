"""Choosing a copy's sources once: a local folder or a URL (:func:`open_source`), as xarray chooses an engine,
and the two PhysioNet projects of a copy side by side (:func:`open_sources`).

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

from .. import layout
from .backend import Source
from .local import LocalSource
from .projects import find_projects
from .remote import RemoteSource

__all__ = ["SINGLE", "is_url", "open_source", "open_sources"]

#: The key of a copy that keeps both projects' files in one folder (older copies, ``cxrkit demo --layout
#: single``).
SINGLE = "copy"

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


def _projects_under(
    source: Source, root: str, release: str | None, cache_dir: Any, storage_options: Any
) -> dict[str, Source]:
    """The projects of a URL that lists ``mimic-cxr/`` and/or ``mimic-cxr-jpg/`` (and no copy of its own):
    each at its newest release (or ``release``), opened with the same credentials."""
    names = source.names()
    if not source.fetches_on_demand or layout.FILES_DIR in names:
        return {}
    found = {}
    for name in layout.PROJECTS:
        if name not in names:
            continue
        have = sorted((r for r in source.names(name) if layout.release_key(r)), key=layout.release_key)
        pick = release if release in have else (have[-1] if have and release is None else None)
        if pick is not None:
            url = f"{root.rstrip('/')}/{name}/{pick}/"
            found[name] = open_source(url, cache_dir=cache_dir, storage_options=storage_options)
    return found


def open_sources(
    root: str | os.PathLike,
    *,
    jpg_root: str | os.PathLike | None = None,
    release: str | None = None,
    cache_dir: str | os.PathLike | None = None,
    storage_options: dict[str, Any] | None = None,
) -> dict[str, Source]:
    """The sources of a copy by project: ``{"mimic-cxr": ..., "mimic-cxr-jpg": ...}`` for the PhysioNet layout
    (either or both; see :func:`cxrkit.storage.projects.find_projects`), else ``{"copy": ...}`` for a folder
    or URL that holds the copy itself.

    ``jpg_root`` names the MIMIC-CXR-JPG project where it does not sit beside MIMIC-CXR (it then replaces any
    sibling found). ``release`` picks a release folder of each project (default: the newest).

    Examples
    --------
    >>> import cxrkit
    >>> sorted(open_sources(cxrkit.open_dataset().root))  # the demo: both projects, as a download leaves them
    ['mimic-cxr', 'mimic-cxr-jpg']
    """
    local = isinstance(root, os.PathLike) or (isinstance(root, str) and not is_url(root))
    found = find_projects(os.path.expanduser(root), release=release) if local else {}
    if found:
        sources = {name: open_source(path, cache_dir=cache_dir) for name, path in found.items()}
    else:
        source = open_source(root, cache_dir=cache_dir, storage_options=storage_options)
        sources = _projects_under(source, str(root), release, cache_dir, storage_options) or {SINGLE: source}
    if jpg_root is not None:
        sources[layout.JPG_PROJECT] = open_source(
            jpg_root, cache_dir=cache_dir, storage_options=storage_options
        )
    return sources
