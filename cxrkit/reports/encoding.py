"""The reports' text encoding: a report file's bytes as text, whatever its line endings or stray bytes.

MIMIC-CXR reports are UTF-8 with ``\\n`` line endings, nearly all plain ASCII; a few hold a byte that is not
valid UTF-8 (read here as latin-1), a copy may have ``\\r\\n`` endings or a byte-order mark. Every reader of
reports (a file, a member of the reports zip, the corpus ingest) decodes through :func:`decode_report`; the
zip reader's fast path decodes with the ``"cxrkit-latin1"`` error handler registered here and hands anything
unusual to it.

Examples
--------
>>> decode_report(b"\\xef\\xbb\\xbf FINDINGS: Clear.\\r\\n")
' FINDINGS: Clear.\\n'
"""

from __future__ import annotations

import codecs
import os
import zlib
from typing import Any

from ..errors import ReportReadError

__all__ = [
    "MAX_REPORT_BYTES",
    "decode_report",
    "inflate_report",
    "read_capped",
    "read_file_capped",
    "report_too_large",
]

#: The largest report the kit reads, in bytes. MIMIC-CXR's reports are a few kilobytes (the longest well under
#: 100 kB); a report file or zip member that declares or inflates to more is refused as an error naming it,
#: before more of it is read or inflated (a damaged file, or a decompression bomb).
MAX_REPORT_BYTES = 4 << 20


def _latin1_fallback(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):  # pragma: no cover - only registered for decoding
        raise exc
    return exc.object[exc.start : exc.end].decode("latin-1"), exc.end


codecs.register_error("cxrkit-latin1", _latin1_fallback)


def decode_report(data: bytes) -> str:
    """Decode report bytes: UTF-8, any byte that is not valid UTF-8 read as latin-1;
    line endings made ``\\n``.

    Never raises. A UTF-8 byte-order mark is dropped.

    Examples
    --------
    >>> decode_report(b"caf\\xc3\\xa9 \\xe9\\r\\nnext\\rlast")
    'café é\\nnext\\nlast'
    """
    text = data.decode("utf-8", errors="cxrkit-latin1")
    text = text.removeprefix("\ufeff")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


#: The first read of a report: every MIMIC-CXR report fits, and no 4 MiB buffer is allocated per file.
FIRST_READ = 1 << 16


def read_capped(fh: Any, limit: int = MAX_REPORT_BYTES) -> bytes:
    """Up to ``limit + 1`` bytes of a binary file object: more than ``limit`` means too large.

    Reads :data:`FIRST_READ` bytes first and only then the rest: ``fh.read(limit + 1)`` would allocate a
    ``limit``-sized buffer for every few-kilobyte report, which made reading 227,000 report files several
    times slower (and slower still in threads, which then contend for the allocator).

    Examples
    --------
    >>> import io
    >>> len(read_capped(io.BytesIO(b"x" * 100), limit=10)), len(read_capped(io.BytesIO(b"x" * 5), limit=10))
    (11, 5)
    """
    raw = fh.read(min(FIRST_READ, limit + 1))
    if len(raw) < FIRST_READ or len(raw) > limit:
        return raw
    return raw + fh.read(limit + 1 - len(raw))


_O_READ = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def read_file_capped(path: str, limit: int = MAX_REPORT_BYTES) -> bytes:
    """:func:`read_capped` of a file by its path, through the file descriptor alone (``os.open``,
    ``os.read``, ``os.close``): no file object, which made opening each of 227,835 report files about 45%
    cheaper, and that cost is spent holding the GIL. Raises :class:`OSError` like ``open``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "r.txt"
    >>> _ = p.write_bytes(b"x" * 100)
    >>> len(read_file_capped(str(p))), len(read_file_capped(str(p), limit=10))
    (100, 11)
    """
    fd = os.open(path, _O_READ)
    try:
        raw = os.read(fd, min(FIRST_READ, limit + 1))
        if len(raw) < FIRST_READ or len(raw) > limit:
            return raw
        parts = [raw]
        size = len(raw)
        while size <= limit:
            more = os.read(fd, min(1 << 20, limit + 1 - size))
            if not more:
                break
            parts.append(more)
            size += len(more)
        return b"".join(parts)
    finally:
        os.close(fd)


def report_too_large(where: str, size: int | None = None) -> ReportReadError:
    """The error for a report over :data:`MAX_REPORT_BYTES` (``size``: what it declares, when known)."""
    said = f"declares {size:,} bytes" if size is not None else f"holds more than {MAX_REPORT_BYTES:,} bytes"
    return ReportReadError(
        f"{where}: {said}, over the {MAX_REPORT_BYTES >> 20} MiB a report may take; refused before reading "
        "further (a damaged file, or a decompression bomb): re-download it"
    )


def inflate_report(data: bytes | memoryview, where: str) -> bytes:
    """A raw deflate stream (a zip member's data) inflated to at most :data:`MAX_REPORT_BYTES`.

    Raises :class:`~cxrkit.errors.ReportReadError` naming ``where`` when the stream inflates to more (having
    inflated no further) or is corrupt.

    Examples
    --------
    >>> import zlib
    >>> c = zlib.compressobj(wbits=-15)
    >>> inflate_report(c.compress(b"FINDINGS: Clear.") + c.flush(), "a.zip:s1.txt")
    b'FINDINGS: Clear.'
    >>> c = zlib.compressobj(wbits=-15)
    >>> inflate_report(c.compress(bytes(MAX_REPORT_BYTES + 1)) + c.flush(), "a.zip:s1.txt")
    Traceback (most recent call last):
    ...
    cxrkit.errors.ReportReadError: a.zip:s1.txt: holds more than 4,194,304 bytes, over the 4 MiB a report \
may take; refused before reading further (a damaged file, or a decompression bomb): re-download it
    """
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        raw = inflater.decompress(data, MAX_REPORT_BYTES + 1)
    except zlib.error as exc:
        raise ReportReadError(f"{where}: corrupt deflate data ({exc}) (corrupt zip)") from exc
    if len(raw) > MAX_REPORT_BYTES:
        raise report_too_large(where)
    if not inflater.eof:
        raise ReportReadError(f"{where}: the deflate data ends early (corrupt zip)")
    return raw
