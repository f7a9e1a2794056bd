"""The corpus cache entry: a folder of parquet files, one per chunk read, written as the chunks are sectioned.

Layout of ``reports/corpus-KEY/``: ``00000.parquet``, ``00001.parquet``, ... (the chunks, in the corpus
order) and ``entry.json`` (the rows of each chunk, whether the rows need a sort, and the ingest's
``detail``). It is written into a temporary folder beside it (``.corpus-KEY.<pid>.<random>.tmp``, swept
like any temporary file of the cache when its writer died) and renamed into place once complete, so a
reader sees a whole entry or none. Writing each chunk as it is sectioned means the ingest never holds the
whole corpus with both its texts and its sections, only the columns its caller asked for.

A damaged entry (a chunk file missing, cut or unreadable, a row count that does not match) reads as no
entry: the corpus is read again, never an error.

Examples
--------
>>> import tempfile, polars as pl
>>> from cxrkit.storage import Cache
>>> store = Cache(tempfile.mkdtemp())
>>> writer = EntryWriter(store, store.path("reports", "corpus-x"), what="reports")
>>> writer.write(0, pl.DataFrame({"a": [1, 2]})); writer.write(1, pl.DataFrame({"a": [3]}))
>>> writer.finish({"reports": 3}, needs_sort=False)
True
>>> frame, detail, needs_sort = read_entry(store.path("reports", "corpus-x"), ["a"])
>>> frame["a"].to_list(), detail, needs_sort
([1, 2, 3], {'reports': 3}, False)
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import warnings
from pathlib import Path
from typing import Any

import polars as pl

from ..errors import CacheError
from ..storage.cache import ENV_CACHE, Cache, sweep_orphans

__all__ = ["EntryWriter", "read_entry"]

META = "entry.json"


def chunk_name(i: int) -> str:
    """The file name of chunk ``i`` (zero-padded: the names sort in chunk order)."""
    return f"{i:05d}.parquet"


class EntryWriter:
    """Writes one corpus entry chunk by chunk (from any thread), then installs it (:meth:`finish`).

    Nothing is written until the first chunk. A write that fails (a full disk, a read-only cache) warns once,
    names ``what`` and the reason, and drops the entry: the ingest's answer is never lost to its cache.
    """

    def __init__(self, store: Cache, final: Path, *, what: str) -> None:
        self.store = store
        self.final = Path(final)
        self.what = what
        self.rows: dict[int, int] = {}
        self._tmp: Path | None = None
        self._failed = False
        self._lock = threading.Lock()

    def _folder(self) -> Path:
        with self._lock:
            if self._tmp is None:
                self.store.ensure()
                self.final.parent.mkdir(parents=True, exist_ok=True)
                sweep_orphans(self.final.parent)
                self._tmp = Path(
                    tempfile.mkdtemp(
                        prefix=f".{self.final.name}.{os.getpid()}.", suffix=".tmp", dir=self.final.parent
                    )
                )
            return self._tmp

    def _fail(self, exc: BaseException) -> None:
        with self._lock:
            first = not self._failed
            self._failed = True
        if first:
            warnings.warn(
                f"could not keep {self.what} in the cache {self.store.root} ({type(exc).__name__}: {exc}); "
                "the results are returned but will be computed again next time. Free space there, or set "
                f"{ENV_CACHE}.",
                stacklevel=2,
            )
        self.abort()

    def write(self, i: int, frame: pl.DataFrame) -> None:
        """Write chunk ``i`` (a file readable by the owner only, like every file of the cache)."""
        if self._failed:
            return
        try:
            path = self._folder() / chunk_name(i)
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            frame.write_parquet(path, compression="lz4", statistics=False)
        except Exception as exc:  # noqa: BLE001 - a cache write must never break the caller's work
            self._fail(exc)
            return
        with self._lock:
            self.rows[i] = frame.height

    def finish(self, detail: dict[str, Any], *, needs_sort: bool) -> bool:
        """Write the entry's description and rename the folder into place; ``False`` if it was dropped."""
        if self._failed:
            return False
        try:
            folder = self._folder()
            n = len(self.rows)
            if sorted(self.rows) != list(range(n)):
                raise CacheError(f"chunks {sorted(self.rows)} are not 0..{n - 1}")
            meta = {"rows": [self.rows[i] for i in range(n)], "needs_sort": needs_sort, "detail": detail}
            path = folder / META
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            path.write_text(json.dumps(meta))
            _install(folder, self.final)
        except Exception as exc:  # noqa: BLE001
            self._fail(exc)
            return False
        with self._lock:
            self._tmp = None
        return True

    def abort(self) -> None:
        """Remove what was written (an ingest that failed or was interrupted leaves no entry)."""
        with self._lock:
            tmp, self._tmp = self._tmp, None
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def _install(folder: Path, final: Path) -> None:
    """Rename a complete entry folder onto ``final``; an entry already there (a refresh, or another process
    that wrote the same one) is moved aside first and removed."""
    try:
        os.rename(folder, final)
        return
    except OSError:
        if not final.exists():
            raise
    old = Path(tempfile.mkdtemp(prefix=f".{final.name}.{os.getpid()}.", suffix=".tmp", dir=final.parent))
    try:
        os.rename(final, old / "old")
    except FileNotFoundError:
        pass
    try:
        os.rename(folder, final)
    except OSError:
        if not final.exists():
            raise
        shutil.rmtree(folder, ignore_errors=True)  # another writer put the same entry there meanwhile
    shutil.rmtree(old, ignore_errors=True)


def read_entry(final: Path, columns: list[str]) -> tuple[pl.DataFrame, dict[str, Any], bool] | None:
    """``(frame, detail, needs_sort)`` of an entry: only ``columns``, rows in chunk order (``needs_sort``:
    the caller sorts them as it did before writing). ``None`` when there is no entry or it cannot be read
    whole: the corpus is then read again, never an error."""
    meta_path = Path(final) / META
    try:
        meta = json.loads(meta_path.read_text())
        rows = [int(r) for r in meta["rows"]]
        files = [Path(final) / chunk_name(i) for i in range(len(rows))]
        if not files:
            return None
        frame = pl.read_parquet(files, columns=columns)
        if frame.height != sum(rows):
            return None
        detail = dict(meta["detail"])
        needs_sort = bool(meta["needs_sort"])
    except (OSError, ValueError, KeyError, TypeError, pl.exceptions.PolarsError):
        return None
    return frame, detail, needs_sort
