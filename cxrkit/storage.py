"""Opening dataset files for reading: plain files and ``.gz`` transparently, with errors that name the file.

Every read of a dataset file goes through here, so that later storage backends (fsspec URLs) slot in at one
place.

Examples
--------
>>> import gzip, tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "x.txt.gz"
>>> _ = p.write_bytes(gzip.compress(b"hello"))
>>> read_bytes(p)
b'hello'
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path
from typing import BinaryIO

from .errors import CxrkitError, MissingFileError


class CorruptFileError(CxrkitError):
    """A file's compressed stream is broken (e.g. a truncated ``.gz``)."""


def open_binary(path: str | os.PathLike) -> BinaryIO:
    """Open a file for binary reading, decompressing ``.gz`` files on the fly.

    Raises :class:`MissingFileError` naming the file when it does not exist.
    """
    p = Path(path)
    try:
        if p.name.endswith(".gz"):
            return gzip.open(p, "rb")  # type: ignore[return-value]
        return open(p, "rb")
    except FileNotFoundError as exc:
        raise MissingFileError(f"{p}: no such file") from exc


def read_bytes(path: str | os.PathLike, limit: int | None = None) -> bytes:
    """The (decompressed) bytes of a file; at most ``limit`` bytes when given.

    A broken gzip stream raises :class:`CorruptFileError` naming the file.
    """
    p = Path(path)
    try:
        with open_binary(p) as fh:
            return fh.read() if limit is None else fh.read(limit)
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise CorruptFileError(f"{p}: broken gzip stream ({exc}); re-download the file") from exc


def read_head_line(path: str | os.PathLike) -> str:
    """The first line of a (possibly gzip) text file, decoded as UTF-8, without the line ending."""
    p = Path(path)
    try:
        with open_binary(p) as fh:
            line = fh.readline(1 << 16)
    except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise MissingFileError(f"{p}: no such file") from exc
        raise CorruptFileError(f"{p}: cannot read the header line ({exc}); re-download the file") from exc
    return line.decode("utf-8", errors="replace").rstrip("\r\n")
