"""The cache directory: where the kit keeps what it derives (columnar tables, thumbnails, the demo dataset).

The cache is chosen, in order: the ``cache_dir`` argument, the ``CXRKIT_CACHE`` environment variable, the
per-user cache directory (``~/.cache/cxrkit`` on Linux). It never lies inside a dataset root: the root is
read-only to the kit. Entries are keyed by the identity of their source (absolute path, size, mtime), so a
changed source file invalidates its entry, and written atomically (temporary file, then rename), so an
interrupted build never leaves a half-written entry behind.

Examples
--------
>>> import tempfile
>>> cache = Cache(tempfile.mkdtemp())
>>> with cache.atomic_path(cache.path("notes", "a.txt")) as tmp:
...     _ = tmp.write_text("hello")
>>> cache.path("notes", "a.txt").read_text()
'hello'
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ..errors import CacheError

ENV_CACHE = "CXRKIT_CACHE"


def default_cache_dir() -> Path:
    """The cache directory used when none is given: ``$CXRKIT_CACHE`` or the per-user cache directory."""
    env = os.environ.get(ENV_CACHE)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("cxrkit", appauthor=False))


def file_identity(path: str | os.PathLike) -> tuple[str, int, int, int, int]:
    """``(absolute path, size, mtime, ctime (ns), inode)`` of a file: what a cache entry derived from it is
    keyed on. The inode and the status-change time are what ``cp -p`` or an edit that restores the size and
    mtime cannot keep, so a different file under the same name never gets an old entry's answer.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> _ = p.write_text("one")
    >>> first = file_identity(p)
    >>> q = p.with_name("b.txt"); _ = q.write_text("two")
    >>> import os; os.utime(q, ns=(first[2], first[2])); _ = q.replace(p)  # same name, size and mtime
    >>> file_identity(p) != first
    True
    """
    p = Path(path).resolve()
    st = p.stat()
    return (str(p), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def identity_key(*parts: object, length: int = 16) -> str:
    """A short stable hex key from any parts (file identities, versions, options).

    Examples
    --------
    >>> identity_key("a", 1) == identity_key("a", 1) != identity_key("a", 2)
    True
    """
    digest = hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()
    return digest[:length]


class Cache:
    """A cache directory. Thin: it hands out paths and writes atomically; callers decide what to store.

    Parameters
    ----------
    root
        The directory; created on first write.
    forbid_inside
        Dataset roots the cache must not lie inside (raises :class:`CacheError`).
    """

    def __init__(
        self, root: str | os.PathLike | None = None, *, forbid_inside: tuple[Path, ...] = ()
    ) -> None:
        self.root = Path(root).expanduser().resolve() if root is not None else default_cache_dir().resolve()
        for data_root in forbid_inside:
            data_root = Path(data_root).resolve()
            if self.root == data_root or data_root in self.root.parents:
                raise CacheError(
                    f"cache directory {self.root} lies inside the dataset root {data_root}; the kit never "
                    f"writes into a dataset. Pass cache_dir= or set {ENV_CACHE} to a folder outside it."
                )

    def __repr__(self) -> str:
        return f"Cache({str(self.root)!r})"

    def path(self, *parts: str) -> Path:
        """A path inside the cache (nothing is created)."""
        return self.root.joinpath(*parts)

    def ensure(self) -> Path:
        """Create the cache folder if it is missing, readable by its owner only (0700): what the kit derives
        from credentialed data (table copies, reports, mirrored files) is then out of other users' reach
        whatever the modes below it. A folder that already exists (e.g. one given as ``CXRKIT_CACHE``) keeps
        its mode. Files in the cache are written 0600.
        """
        if not self.root.is_dir():
            try:
                self.root.parent.mkdir(parents=True, exist_ok=True)
                self.root.mkdir(mode=0o700, exist_ok=True)
            except OSError as exc:
                raise CacheError(
                    f"cannot create the cache folder {self.root}: {exc}. Set {ENV_CACHE}."
                ) from exc
        return self.root

    @contextlib.contextmanager
    def atomic_path(self, final: Path) -> Iterator[Path]:
        """Yield a temporary path beside ``final``; rename it onto ``final`` when the block succeeds.

        The temporary file is removed when the block raises, so readers see the old entry or the new one,
        never a partial one.
        """
        final = Path(final)
        if self.root in final.parents:
            self.ensure()
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CacheError(f"cannot create cache folder {final.parent}: {exc}. Set {ENV_CACHE}.") from exc
        sweep_orphans(final.parent)
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{final.name}.{os.getpid()}.", suffix=".tmp", dir=final.parent
        )
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            yield tmp
            os.replace(tmp, final)
        finally:
            if tmp.exists():
                tmp.unlink()

    def keep(self, final: Path, write: Callable[[Path], object], *, what: str) -> bool:
        """Write an entry with ``write(temporary path)`` through :meth:`atomic_path`; when the cache cannot
        take it (full disk, read-only folder), warn once per kind of entry and return ``False``: a cache never
        costs the caller the result it has already computed.

        Examples
        --------
        >>> import tempfile
        >>> cache = Cache(tempfile.mkdtemp())
        >>> cache.keep(cache.path("notes", "b.txt"), lambda tmp: tmp.write_text("kept"), what="notes")
        True
        """
        try:
            with self.atomic_path(final) as tmp:
                write(tmp)
            return True
        except (OSError, CacheError) as exc:
            key = (str(self.root), what)
            with _WARNED_LOCK:
                first = key not in _WARNED
                _WARNED.add(key)
            if first:
                warnings.warn(
                    f"could not keep {what} in the cache {self.root} ({type(exc).__name__}: {exc}); the "
                    "results are returned but will be computed again next time. Free space there, or set "
                    f"{ENV_CACHE}.",
                    stacklevel=3,
                )
            return False


#: A temporary file older than this is an orphan whatever its owner (no single write takes a day).
ORPHAN_AGE_S = 24 * 3600
#: A temporary file whose writing process is gone is an orphan once older than this (the pid may be reused).
ORPHAN_DEAD_AGE_S = 60
_TMP_RE = re.compile(r"\..+\.(\d+)\.[^.]+\.tmp")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def sweep_orphans(folder: Path, *, now: float | None = None) -> list[Path]:
    """Remove the temporary files that killed writes left in a cache folder; return what was removed.

    Each write's temporary file (or folder, for an entry made of several files) is named
    ``.<entry>.<pid>.<random>.tmp``. One is an orphan when its process
    has died and it is older than :data:`ORPHAN_DEAD_AGE_S`, or when it is older than :data:`ORPHAN_AGE_S`.
    Runs before every cache write, in that write's folder (one ``scandir``).

    Examples
    --------
    >>> import tempfile, os, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> old = folder / ".a.parquet.999999999.x1.tmp"
    >>> _ = old.write_bytes(b"half a table")
    >>> os.utime(old, (0, 0))
    >>> [p.name for p in sweep_orphans(folder)]
    ['.a.parquet.999999999.x1.tmp']
    """
    now = time.time() if now is None else now
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = _TMP_RE.fullmatch(entry.name)
        if match is None:
            continue
        try:
            age = now - entry.stat(follow_symlinks=False).st_mtime
            if age > ORPHAN_AGE_S or (age > ORPHAN_DEAD_AGE_S and not _alive(int(match.group(1)))):
                if entry.is_dir(follow_symlinks=False):  # an entry written as a folder of files
                    shutil.rmtree(entry.path)
                else:
                    os.unlink(entry.path)
                removed.append(Path(entry.path))
        except (OSError, OverflowError):  # gone already, or not ours to remove: leave it
            continue
    return removed


_WARNED: set[tuple[str, str]] = set()
_WARNED_LOCK = threading.Lock()


# --- writing entries in the background ---------------------------------------------------------------------

_PENDING: dict[Path, Any] = {}
_PENDING_LOCK = threading.Lock()
_WRITERS: list[threading.Thread] = []


def write_in_background(key: Path, value: Any, write: Callable[[Any], None], *, what: str) -> None:
    """Run ``write(value)`` in a thread and keep ``value`` available through :func:`pending` until it is done.

    Used where a first call answers from a freshly built frame and its cache entry can be written meanwhile.
    The thread is not a daemon, so the interpreter finishes the write before it exits; ``write`` should use
    :meth:`Cache.atomic_path` so readers never see a partial entry.
    A failed write is a warning naming ``what``.
    """

    def run() -> None:
        try:
            write(value)
        except Exception as exc:  # noqa: BLE001 - a cache write must never break the caller's work
            warnings.warn(f"could not cache {what}: {type(exc).__name__}: {exc}", stacklevel=1)
        finally:
            with _PENDING_LOCK:
                _PENDING.pop(key, None)

    with _PENDING_LOCK:
        _PENDING[key] = value
    writer = threading.Thread(target=run, name=f"cxrkit-cache-{key.name}")
    writer.start()
    _WRITERS.append(writer)


def pending(key: Path) -> Any:
    """The value whose entry ``key`` is still being written by :func:`write_in_background`, else ``None``."""
    with _PENDING_LOCK:
        return _PENDING.get(key)


def wait_for_writes() -> None:
    """Block until every entry started by :func:`write_in_background` is on disk."""
    while _WRITERS:
        _WRITERS.pop().join()
