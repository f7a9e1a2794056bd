"""Where a copy's bytes come from: the :class:`Source` interface, and copying one file out of any source.

A copy of MIMIC-CXR lives in a local folder (:class:`cxrkit.storage.local.LocalSource`) or at a URL mirrored
on demand into the cache (:class:`cxrkit.storage.remote.RemoteSource`);
:func:`cxrkit.storage.sources.open_source` picks one, once, and :class:`cxrkit.Dataset` talks to it through
this interface only: top-level names, byte ranges, the first bytes of many files, local paths of files
(fetched when needed) and what is on disk.

:func:`fetch_file` copies one file from any source to a local path: resumable, atomic, verified, safe against
a concurrent fetch of the same file (:mod:`cxrkit.download` is built on it).

Examples
--------
>>> import pathlib, tempfile
>>> from cxrkit.storage.local import LocalSource
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> _ = (root / "LICENSE.txt").write_text("licence")
>>> out = pathlib.Path(tempfile.mkdtemp())
>>> dest = fetch_file(LocalSource(root, cache_dir=out / "cache"), "LICENSE.txt", out / "copy.txt")
>>> dest.read_text(), sha256_file(dest)[:12]
('licence', '8178ac72b28d')
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import CxrkitError, RemoteError

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl

    from .cache import Cache

__all__ = ["CHUNK_BYTES", "Source", "fetch_file", "read_sha256sums", "sha256_file"]

#: Bytes per ranged request when fetching a whole file.
CHUNK_BYTES = 8 << 20


class Source:
    """Where one copy's files are: what :class:`cxrkit.Dataset`,
    :mod:`cxrkit.download` and the image tables ask.

    Paths are relative to the copy's root, posix-style (``files/p10/...``). ``root`` is the local folder where
    the kit reads the copy's files: the copy itself for a local folder, the mirror in the cache for a URL.

    Attributes
    ----------
    label : str
        Where the copy is, for messages: the folder, or the URL without credentials.
    root : Path
        The local folder holding the files the kit reads (read-only to the kit when it is the copy itself).
    cache : Cache
        Where derived data of this copy goes (never inside a local copy).
    fetches_on_demand : bool
        True when files arrive only when asked for (a URL): then :meth:`listing` shows what was fetched so
        far, one large file (the reports zip) beats many small ones, and headers are best read as byte ranges.
    """

    label: str
    root: Path
    cache: Cache
    fetches_on_demand: bool = False
    #: How a root of this kind is written, for messages that say what to pass.
    root_example: str = ".../physionet.org/files/mimic-cxr/2.0.0"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.label!r})"

    def where(self, rel: str) -> str:
        """``rel`` as a user can find it: under the folder or the URL."""
        return f"{self.label}/{rel}"

    # -- what is there --

    def names(self, folder: str = "") -> list[str]:  # pragma: no cover - interface
        """The names at the top of the copy (files and folders), or in one of its folders, sorted."""
        raise NotImplementedError

    def has(self, name: str) -> bool:
        """Whether the top of the copy holds ``name``."""
        return name in self.names()

    def listing(self, *, progress: bool = False) -> pl.DataFrame:  # pragma: no cover - interface
        """The images and reports under ``root/files`` (:func:`cxrkit.storage.tree.walk_files`)."""
        raise NotImplementedError

    def has_report_files(self, *, expected: bool) -> bool:  # pragma: no cover - interface
        """Whether ``files/`` holds report files; a source that cannot look cheaply answers ``expected``."""
        raise NotImplementedError

    def first_image_ext(self) -> str | None:  # pragma: no cover - interface
        """The image extension known without asking a server (a local walk, an earlier probe),
        else ``None``."""
        raise NotImplementedError

    def probe_image_ext(self, rels: list[str]) -> str | None:  # pragma: no cover - interface
        """The extension under which the images ``rels`` (any listed extension) exist, else ``None``."""
        raise NotImplementedError

    # -- bytes --

    def size(self, rel: str) -> int:  # pragma: no cover - interface
        """The size of ``rel`` as stored (a ``.gz`` file's compressed size); MissingFileError when absent."""
        raise NotImplementedError

    def read_range(self, rel: str, start: int, end: int) -> bytes:  # pragma: no cover - interface
        """Bytes ``start`` to ``end`` of ``rel`` as stored (fewer at the end of the file)."""
        raise NotImplementedError

    def heads(self, rels: list[str], nbytes: int) -> list[bytes | CxrkitError]:
        """The first ``nbytes`` of each file as stored, an error for each file that cannot be read."""
        out: list[bytes | CxrkitError] = []
        for rel in rels:
            try:
                out.append(self.read_range(rel, 0, nbytes))
            except CxrkitError as exc:
                out.append(exc)
        return out

    # -- local files --

    def local(self, path: str | os.PathLike) -> Path:  # pragma: no cover - interface
        """The local file of ``path`` (relative to the root, or under it), fetched first when it must be."""
        raise NotImplementedError

    def prefetch(self, rels: list[str], *, progress: bool = False, desc: str = "fetching") -> None:
        """Make these files local where the server has them (nothing to do for a local folder)."""
        return


# --- copying one file out of a source -----------------------------------------------------------------------


def fetch_file(
    source: Source,
    rel: str,
    dest: Path,
    *,
    size: int | None = None,
    sha256: str | None = None,
    on_bytes: Callable[[int], None] | None = None,
    chunk: int = CHUNK_BYTES,
    replace: bool = False,
    private: bool = False,
) -> Path:
    """Copy ``rel`` from ``source`` to ``dest``: resumable, atomic, safe against a concurrent fetch.

    Bytes go to ``dest.part`` (continued from where an earlier attempt stopped, with a Range request), which
    is renamed onto ``dest`` only once its size (and SHA-256, when given) match. A complete ``dest`` is left
    alone. The size is asked first, so a refused credential leaves no file behind. The part file is locked
    while it grows (POSIX), so two processes fetching the same file take turns instead of mixing their bytes.
    A mismatch removes the part file and raises :class:`RemoteError`. ``replace=True`` fetches again even when
    ``dest`` exists (a damaged copy): the verified new bytes replace it in one rename. ``private=True``
    writes the file readable by its owner only (0600, as everything in the cache); otherwise the umask
    decides, as for any download.
    """
    dest = Path(dest)
    if dest.is_file() and not replace:
        return dest
    if size is None:
        size = source.size(rel)
    part = dest.with_name(dest.name + ".part")
    part.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600 if private else 0o666)
    with open(fd, "ab") as fh:
        _lock(fh)
        start = fh.seek(0, os.SEEK_END)
        try:
            if dest.is_file() and not replace:  # another process completed it while we waited for the lock
                if start == 0 and not os.path.samefile(part, dest):
                    part.unlink(missing_ok=True)
                return dest
            _fill(fh, source, rel, size, start, chunk, on_bytes)
        except BaseException as exc:
            if fh.tell() == 0:  # nothing arrived: leave nothing behind
                part.unlink(missing_ok=True)
            if isinstance(exc, OSError) and exc.filename is None and exc.errno is not None:
                raise OSError(exc.errno, exc.strerror, str(dest)) from exc  # a full disk: say which file
            raise
        got = os.fstat(fh.fileno()).st_size
        if got != size:
            part.unlink(missing_ok=True)
            raise RemoteError(
                f"{source.where(rel)}: size mismatch (expected {size} bytes, got {got}); run again"
            )
        if sha256 is not None:
            digest = sha256_file(part)
            if digest != sha256.lower():
                part.unlink(missing_ok=True)
                raise RemoteError(
                    f"{source.where(rel)}: SHA-256 mismatch (expected {sha256}, got {digest}); "
                    "the copy changed or the transfer was damaged: run again"
                )
        os.replace(part, dest)  # still holding the lock: a waiting fetch then finds dest complete
    return dest


def _fill(
    fh, source: Source, rel: str, size: int, have: int, chunk: int, on_bytes: Callable[[int], None] | None
) -> None:
    if have > size:  # a part longer than the file: the source changed, start over
        fh.truncate(0)
        have = 0
    if have and on_bytes:
        on_bytes(have)
    while have < size:
        end = min(size, have + chunk)
        data = source.read_range(rel, have, end)
        if len(data) > end - have:  # the server ignored the Range header and sent the whole file
            if len(data) != size:
                raise RemoteError(f"{source.where(rel)}: expected {size} bytes, the server sent {len(data)}")
            fh.truncate(0)
            have = 0
        if not data:
            raise RemoteError(
                f"{source.where(rel)}: the server sent no bytes at offset {have} of {size}; "
                "run again to resume"
            )
        fh.write(data)
        fh.flush()
        have += len(data)
        if on_bytes:
            on_bytes(len(data))


def _lock(fh) -> None:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: the in-process lock of Mirror.local still applies
        return
    fcntl.flock(fh.fileno(), fcntl.LOCK_EX)


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file's bytes, as lowercase hex (what ``SHA256SUMS.txt`` lists)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_sha256sums(path: str | os.PathLike) -> dict[str, str]:
    """``SHA256SUMS.txt`` (``<hex>  <relative path>`` per line) as a dict: relative path -> hex digest."""
    sums: dict[str, str] = {}
    for line in Path(path).read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.strip().split(None, 1)
        if len(parts) == 2 and re.fullmatch(r"[0-9a-fA-F]{64}", parts[0]):
            sums[parts[1].lstrip("*").lstrip("./")] = parts[0].lower()
    return sums
