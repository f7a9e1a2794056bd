"""A copy in a local folder as a :class:`~cxrkit.storage.backend.Source`: the folder is read, never written.

Examples
--------
>>> import cxrkit
>>> source = LocalSource(cxrkit.open_dataset().root)
>>> source.has("files"), source.fetches_on_demand
(True, False)
"""

from __future__ import annotations

import os
from pathlib import Path

import polars as pl

from .. import layout
from ..errors import MissingFileError, NotADatasetError
from .backend import Source
from .cache import Cache
from .files import open_binary
from .tree import first_image_ext, has_report_files, paths_frame, walk_files

__all__ = ["LocalSource"]


class LocalSource(Source):
    """A local copy: its files as stored (``.gz`` too), read in place.

    Parameters
    ----------
    root
        The folder of the copy.
    cache_dir
        The cache folder (default: ``CXRKIT_CACHE``, else the per-user cache); it must lie outside ``root``.
    """

    def __init__(self, root: str | os.PathLike, cache_dir: str | os.PathLike | None = None) -> None:
        self.root = Path(root).expanduser().resolve()
        self.label = str(self.root)
        if not self.root.is_dir():
            raise NotADatasetError(
                f"{self.root} is not a folder. Pass the physionet.org/files folder above the projects, a "
                "project's folder (.../mimic-cxr/2.1.0), or the folder that holds files/ and the .csv.gz "
                "tables"
            )
        self.cache = Cache(cache_dir, forbid_inside=(self.root,))

    # -- what is there --

    def names(self, folder: str = "") -> list[str]:
        try:
            return sorted(os.listdir(self.root / folder))
        except OSError:
            return []

    def has(self, name: str) -> bool:
        return os.path.exists(os.path.join(self.root, name))

    def listing(self, *, progress: bool = False) -> pl.DataFrame:
        if (self.root / layout.FILES_DIR).is_dir():
            return walk_files(self.root, progress=progress)
        return paths_frame([])

    def has_report_files(self, *, expected: bool) -> bool:
        return (self.root / layout.FILES_DIR).is_dir() and has_report_files(self.root)

    def first_image_ext(self) -> str | None:
        return first_image_ext(self.root) if (self.root / layout.FILES_DIR).is_dir() else None

    def probe_image_ext(self, rels: list[str]) -> str | None:
        for rel in rels[:3]:
            stem = rel.removesuffix(".gz").removesuffix(".dcm").removesuffix(".jpg")
            for ext in layout.IMAGE_EXTENSIONS:
                if os.path.isfile(os.path.join(self.root, stem + ext)):
                    return ext
        return None

    # -- bytes --

    def size(self, rel: str) -> int:
        try:
            return (self.root / rel).stat().st_size
        except FileNotFoundError as exc:
            raise MissingFileError(f"{self.root / rel}: no such file") from exc

    def read_range(self, rel: str, start: int, end: int) -> bytes:
        with open_binary(self.root / rel, raw=True) as fh:  # raw: bytes as stored (.gz files stay compressed)
            fh.seek(start)
            return fh.read(end - start)

    # -- local files --

    def local(self, path: str | os.PathLike) -> Path:
        p = Path(path)
        return p if p.is_absolute() else self.root / p
