"""Opening dataset files for reading: plain files and ``.gz`` transparently, with errors that name the file.

Every read of a dataset file goes through here, so that later storage backends (fsspec URLs) slot in at one
place, and a damaged file means the same error whoever reads it:

* :func:`open_binary` - a file object in a ``with`` block (decompressed unless ``raw``).
* :func:`read_bytes`, :func:`read_head`, :func:`read_head_line` - the whole content, its first bytes (for
  ``.gz`` only as much of the stream as they take), its first line.
* :func:`read_into`, :func:`read_chunks` - from an offset into a caller's buffer, or in fixed-size chunks
  (gzip hands back less than asked; these fill the buffer).
* :func:`gzip_size` - the uncompressed size a ``.gz`` file records in its trailer, without decompressing.

``open_binary(path, limit=N)`` bounds memory on hostile input: a read that would take the data (decompressed
for ``.gz``) past ``N`` bytes raises :class:`~cxrkit.errors.CorruptFileError` instead, and no single read asks
the file for more than the room left (so a declared length of 4 GB allocates nothing); a gzip bomb is
inflated only as far as the limit.

A missing file raises :class:`~cxrkit.errors.MissingFileError`. A broken or cut gzip stream (and an
``EOFError``/``zlib.error`` raised while reading a file opened here) raises
:class:`~cxrkit.errors.CorruptFileError` naming the file, what is wrong and what to do; other ``OSError``\\ s
(permissions, a folder) pass through unchanged, except from :func:`read_head_line`, which gives one error.
Modules with their own error classes translate :class:`CorruptFileError` to them (:mod:`cxrkit.images`
raises :class:`~cxrkit.errors.CorruptImageError`, itself a :class:`CorruptFileError`).

Two hot paths open files themselves, on purpose: the report ingest's loop over 227,835 small ``.txt`` files
(:mod:`cxrkit.reports.corpus`: a plain ``open`` per file; a file it cannot read goes through
:func:`~cxrkit.reports.read_report`, hence here, for the error) and the reports zip reader
(:mod:`cxrkit.reports.zipread`: one read for a run of members, each inflated in place). Going through this
module would add a layer of calls per file to a loop whose reading holds the GIL.

URLs do not come here: a remote copy (:mod:`cxrkit.storage.remote`) is mirrored into the cache, so the rest of
the kit (and this module) reads local paths; its headers are read from byte ranges
(:func:`cxrkit.images.header_from_bytes`).

Examples
--------
>>> import gzip, tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "x.txt.gz"
>>> _ = p.write_bytes(gzip.compress(b"hello"))
>>> read_bytes(p)
b'hello'
"""

from __future__ import annotations

import contextlib
import gzip
import os
import struct
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from ..errors import CorruptFileError, MissingFileError

__all__ = [
    "CorruptFileError",
    "gzip_size",
    "is_gzip",
    "open_binary",
    "read_bytes",
    "read_chunks",
    "read_head",
    "read_head_line",
    "read_into",
]

StrPath = str | os.PathLike[str]

#: What reading a damaged gzip stream raises (``EOFError``: the stream ends before its end marker).
_STREAM_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error)
#: Compressed bytes handed to the inflater at a time by :func:`read_head`.
_HEAD_STEP = 4096


def is_gzip(path: StrPath) -> bool:
    """Whether ``path`` is read through gzip: its name ends in ``.gz`` (any case).

    Examples
    --------
    >>> is_gzip("files/p10/p10000032/s50414267/x.dcm.GZ"), is_gzip("x.dcm")
    (True, False)
    """
    return os.fspath(path)[-3:].lower() == ".gz"


def _corrupt(path: StrPath, exc: BaseException) -> CorruptFileError:
    """The one mapping of gzip/zlib/EOF errors to a message that names the file and says what to do."""
    name = os.fspath(path)
    if isinstance(exc, EOFError):
        what = (
            "truncated gzip stream (it ends before its end-of-stream marker)"
            if is_gzip(path)
            else f"the file ends early ({exc})"
        )
        return CorruptFileError(f"{name}: {what}; the download was cut: re-download the file")
    what = "broken gzip stream" if is_gzip(path) else "damaged compressed data"
    return CorruptFileError(f"{name}: {what} ({exc}); re-download the file")


def _missing(path: StrPath) -> MissingFileError:
    return MissingFileError(f"{os.fspath(path)}: no such file")


def _open(path: StrPath, raw: bool = False, buffering: int = -1) -> BinaryIO:
    """The file object (the caller closes it): through gzip for ``.gz`` unless ``raw``; a MissingFileError."""
    try:
        if not raw and is_gzip(path):
            return gzip.open(path, "rb")  # type: ignore[return-value]
        return open(path, "rb", buffering=buffering)
    except FileNotFoundError as exc:
        raise _missing(path) from exc


class _Limited:
    """A read-only file object over ``fh`` that refuses to go past ``limit`` bytes of data."""

    def __init__(self, fh: BinaryIO, limit: int, path: StrPath, what: str) -> None:
        self._fh, self._limit, self._path, self._what = fh, limit, path, what
        self._pos = fh.tell()

    def _refuse(self) -> CorruptFileError:
        return CorruptFileError(
            f"{os.fspath(self._path)}: {self._what} take more than {self._limit:,} bytes; refused before "
            "reading further (a damaged file, or a decompression bomb)"
        )

    def read(self, size: int | None = -1) -> bytes:
        room = self._limit - self._pos
        if size is None or size < 0 or size > room:
            data = self._fh.read(max(room + 1, 0))  # never ask for more than the room left, plus one byte
            if len(data) > room:
                raise self._refuse()
        else:
            data = self._fh.read(size)
        self._pos += len(data)
        return data

    def readinto(self, buffer) -> int:
        with memoryview(buffer) as mv, mv.cast("B") as view:
            data = self.read(len(view))
            view[: len(data)] = data
            return len(data)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        target = {os.SEEK_SET: offset, os.SEEK_CUR: self._pos + offset}.get(whence)
        if target is not None and target > self._limit:  # seeking a gzip stream inflates up to the target
            raise self._refuse()
        self._pos = self._fh.seek(offset, whence)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def __getattr__(self, name: str):
        return getattr(self._fh, name)


@contextlib.contextmanager
def open_binary(
    path: StrPath, raw: bool = False, *, limit: int | None = None, what: str = "the data"
) -> Iterator[BinaryIO]:
    """Open a file for binary reading in a ``with`` block, decompressing ``.gz`` files unless ``raw``.

    Parameters
    ----------
    path
        A local file; a name ending in ``.gz`` is read through gzip.
    raw
        Read the bytes on disk, even of a ``.gz`` file (e.g. its trailer).
    limit
        At most this many bytes of data (decompressed, for ``.gz``): a read or seek past them raises
        :class:`CorruptFileError` ("``what`` take more than ``limit`` bytes"), having inflated no further.
    what
        What the data is, for that message (e.g. "the DICOM data").

    Yields
    ------
    BinaryIO
        A buffered file object (a :class:`gzip.GzipFile` for ``.gz``), closed when the block ends.

    Raises
    ------
    MissingFileError
        The file does not exist.
    CorruptFileError
        A broken or cut gzip stream, or any ``EOFError``/``zlib.error`` raised inside the block (the file's
        data ended early or is damaged), naming the file.

    Examples
    --------
    >>> import gzip, pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.bin.gz"
    >>> _ = p.write_bytes(gzip.compress(b"0123456789"))
    >>> with open_binary(p) as fh:
    ...     _ = fh.seek(3)
    ...     fh.read(4)
    b'3456'
    >>> with open_binary(p, raw=True) as fh:
    ...     fh.read(2)  # the gzip magic
    b'\\x1f\\x8b'
    >>> try:
    ...     with open_binary(p, limit=4) as fh:
    ...         _ = fh.read()
    ... except CorruptFileError as exc:
    ...     print(str(exc).split(": ", 1)[1])
    the data take more than 4 bytes; refused before reading further (a damaged file, or a decompression bomb)
    """
    fh = _open(path, raw)
    try:
        with fh:
            yield fh if limit is None else _Limited(fh, limit, path, what)  # type: ignore[misc]
    except _STREAM_ERRORS as exc:
        raise _corrupt(path, exc) from exc


def read_bytes(path: StrPath, limit: int | None = None) -> bytes:
    """The (decompressed) bytes of a file; at most ``limit`` bytes when given.

    Raises :class:`MissingFileError` or :class:`CorruptFileError` (a broken or cut gzip stream), naming the
    file. For the first bytes of a large ``.gz``, :func:`read_head` is cheaper.

    Examples
    --------
    >>> import gzip, pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.txt.gz"
    >>> _ = p.write_bytes(gzip.compress(b"hello world"))
    >>> read_bytes(p), read_bytes(p, 5)
    (b'hello world', b'hello')
    """
    with open_binary(path) as fh:
        return fh.read() if limit is None else fh.read(limit)


def read_head(path: StrPath, limit: int) -> bytes:
    """The first ``limit`` (decompressed) bytes of a file; fewer when its data is shorter.

    A plain file takes one unbuffered read (the cheapest way to a file's head). A ``.gz`` file is inflated
    only as far as ``limit`` bytes need (a few kilobytes of a 10 MB image), with less overhead than
    :func:`gzip.open` for a head.

    A gzip stream cut before ``limit`` gives the bytes that could be decompressed, without an error, as a
    short plain file does: heads are also read from partial copies (the first kilobytes of a remote image),
    and whoever parses the head tells a short one from a complete one. Damaged data raises.

    Raises
    ------
    MissingFileError
        The file does not exist.
    CorruptFileError
        The bytes read are not a valid gzip stream.

    Examples
    --------
    >>> import gzip, pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.bin.gz"
    >>> _ = p.write_bytes(gzip.compress(bytes(range(100)) * 1000))
    >>> head = read_head(p, 8)
    >>> head, len(read_head(p, 10**9))
    (b'\\x00\\x01\\x02\\x03\\x04\\x05\\x06\\x07', 100000)
    """
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError as exc:
        raise _missing(path) from exc
    try:
        if not is_gzip(path):
            out = os.read(fd, limit)
            while len(out) < limit:  # a short read that is not the end (rare: pipes, network file systems)
                more = os.read(fd, limit - len(out))
                if not more:
                    break
                out += more
            return out
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)  # 16+: expect the gzip wrapper
        got = bytearray()
        try:
            while len(got) < limit:
                if inflater.eof:  # one member done; another may follow (gzip.open reads on too)
                    rest = inflater.unused_data or os.read(fd, _HEAD_STEP)
                    if not rest:
                        break
                    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
                    got += inflater.decompress(rest, limit - len(got))
                    continue
                chunk = os.read(fd, _HEAD_STEP)  # output capped at limit: no input is left over below it
                if not chunk:
                    break
                got += inflater.decompress(chunk, limit - len(got))
        except zlib.error as exc:
            raise _corrupt(path, exc) from exc
        return bytes(got)
    finally:
        os.close(fd)


def read_head_line(path: StrPath) -> str:
    """The first line of a (possibly gzip) text file, decoded as UTF-8, without the line ending.

    Raises :class:`MissingFileError` for a missing file and :class:`CorruptFileError` for one that cannot be
    read (a broken gzip stream, a folder, no permission), naming the file.

    Examples
    --------
    >>> import gzip, pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv.gz"
    >>> _ = p.write_bytes(gzip.compress(b"subject_id,study_id\\r\\n1,2\\n"))
    >>> read_head_line(p)
    'subject_id,study_id'
    """
    try:
        with open_binary(path) as fh:
            line = fh.readline(1 << 16)
    except OSError as exc:
        if isinstance(exc, FileNotFoundError):
            raise _missing(path) from exc
        raise CorruptFileError(
            f"{os.fspath(path)}: cannot read the header line ({exc}); re-download the file"
        ) from exc
    return line.decode("utf-8", errors="replace").rstrip("\r\n")


def _fill(fh: BinaryIO, view: memoryview) -> int:
    """Read into ``view`` until it is full or the data ends (gzip hands back less than asked); bytes read."""
    got, size = 0, len(view)
    while got < size:
        n = fh.readinto(view[got:])
        if not n:
            break
        got += n
    return got


def read_into(path: StrPath, buffer, offset: int = 0) -> int:
    """Fill a writable buffer (``bytearray``, numpy array, ...) with the file's (decompressed) bytes from
    ``offset``; the number of bytes read, fewer than the buffer holds only when the data ends first.

    Plain files are read straight into the buffer; for ``.gz`` the ``offset`` bytes before are decompressed
    and dropped. Raises :class:`MissingFileError` or :class:`CorruptFileError` (a broken or cut gzip stream:
    a cut stream raises rather than coming up short).

    Examples
    --------
    >>> import gzip, pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.bin.gz"
    >>> _ = p.write_bytes(gzip.compress(b"0123456789"))
    >>> buf = bytearray(4)
    >>> read_into(p, buf, offset=2), buf
    (4, bytearray(b'2345'))
    >>> read_into(p, buf, offset=8), buf[:2]
    (2, bytearray(b'89'))
    """
    with memoryview(buffer) as mv, mv.cast("B") as view:
        if is_gzip(path):
            with open_binary(path) as fh:
                fh.seek(offset)
                return _fill(fh, view)
        with _open(path, raw=True, buffering=0) as fh:  # unbuffered: the OS writes straight into the buffer
            fh.seek(offset)
            return _fill(fh, view)


def read_chunks(
    path: StrPath, size: int, *, offset: int = 0, total: int | None = None
) -> Iterator[memoryview]:
    """The file's (decompressed) bytes from ``offset`` in chunks of ``size`` bytes, up to ``total`` bytes
    (default: to the end); every chunk is full except the last.

    Memory stays at one chunk: each chunk is a view of one buffer, overwritten by the next, so use (or copy)
    it before asking for the next one. Fewer than ``total`` bytes in all means the data ended first: the
    caller counts. Raises :class:`MissingFileError` or :class:`CorruptFileError` (a broken or cut gzip
    stream) while iterating.

    Examples
    --------
    >>> import gzip, pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.bin.gz"
    >>> _ = p.write_bytes(gzip.compress(b"0123456789"))
    >>> [bytes(c) for c in read_chunks(p, 4, offset=1)]
    [b'1234', b'5678', b'9']
    >>> [bytes(c) for c in read_chunks(p, 4, total=6)]
    [b'0123', b'45']
    """
    if size <= 0:
        raise ValueError(f"chunk size must be positive, got {size}")
    left = -1 if total is None else total
    buf = memoryview(bytearray(size if total is None else min(size, total)))
    with open_binary(path) as fh:
        fh.seek(offset)
        while left:
            want = len(buf) if left < 0 else min(len(buf), left)
            got = _fill(fh, buf[:want])
            if got:
                yield buf[:got]
            if got < want:
                return
            if left > 0:
                left -= got


def gzip_size(path: StrPath) -> int:
    """The uncompressed size a ``.gz`` file records in its trailer (modulo 2**32, as gzip stores it; of the
    last member when there are several), read from its last 4 bytes without decompressing anything.

    A cut download ends in arbitrary bytes, so a size that disagrees with what the content says it holds
    means the file is damaged. Raises :class:`MissingFileError`, or :class:`CorruptFileError` for a file too
    short to be gzip.

    Examples
    --------
    >>> import gzip, pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.bin.gz"
    >>> _ = p.write_bytes(gzip.compress(b"x" * 70000))
    >>> gzip_size(p)
    70000
    """
    with open_binary(path, raw=True) as fh:
        end = fh.seek(0, os.SEEK_END)
        if end < 18:  # 10-byte header + 8-byte trailer: the smallest gzip file
            raise CorruptFileError(
                f"{os.fspath(path)}: {end} bytes is too short for a gzip file; re-download the file"
            )
        fh.seek(end - 4)
        return struct.unpack("<I", fh.read(4))[0]
