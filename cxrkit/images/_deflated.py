"""Reading a DICOM file object through pydicom with the deflate transfer syntax inflated here, with a cap.

pydicom reads a Deflated Explicit VR Little Endian file (``1.2.840.10008.1.2.1.99``) with one unbounded
``zlib.decompress`` of everything after the file meta: a few megabytes on disk can inflate to gigabytes. Here
that data is inflated in steps and refused past ``limit`` bytes; pydicom then parses the inflated dataset.
Every other transfer syntax goes to ``pydicom.dcmread`` unchanged. The caller (:func:`cxrkit.images._files.
dcmread`) bounds what is read from the file itself and maps errors to the kit's.

Examples
--------
>>> import io
>>> meta_end(io.BytesIO(b"no preamble")) is None
True
"""

from __future__ import annotations

import io
import os
import struct
import zlib
from typing import Any, BinaryIO

from ..errors import CorruptImageError

__all__ = ["DEFLATED", "meta_end", "read_dicom"]

DEFLATED = "1.2.840.10008.1.2.1.99"
_LONG_VRS = {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"}
_PIXEL_TAGS = {0x7FE00008, 0x7FE00009, 0x7FE00010}
_STEP = 1 << 20


def meta_end(fh: BinaryIO) -> tuple[int, str] | None:
    """``(where the dataset after the file meta starts, the transfer syntax)`` of a file object (left at its
    start), from its first 64 KiB; ``None`` when it has no DICM preamble."""
    head = fh.read(1 << 16)
    fh.seek(0)
    if len(head) < 132 or head[128:132] != b"DICM":
        return None
    pos, ts = 132, ""
    while pos + 8 <= len(head):
        group, elem = struct.unpack_from("<HH", head, pos)
        if group != 2:
            break
        vr = head[pos + 4 : pos + 6]
        if vr in _LONG_VRS:
            if pos + 12 > len(head):
                break
            length, at = struct.unpack_from("<I", head, pos + 8)[0], pos + 12
        else:
            length, at = struct.unpack_from("<H", head, pos + 6)[0], pos + 8
        if elem == 0x0010:
            ts = head[at : at + length].decode("ascii", "replace").strip("\x00 ")
        pos = at + length
    return pos, ts


def _inflate(fh: BinaryIO, path: Any, limit: int, *, header_only: bool) -> tuple[bytes, bool]:
    """The deflated dataset from ``fh``'s position, at most ``limit`` bytes; ``(bytes, complete)``. Past
    ``limit`` a full read is refused; a header read keeps the first ``limit`` bytes."""
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    out = bytearray()
    try:
        while not inflater.eof:
            chunk = inflater.unconsumed_tail or fh.read(_STEP)
            if not chunk:
                break
            out += inflater.decompress(chunk, limit + 1 - len(out))
            if len(out) > limit:
                if header_only:
                    return bytes(out[:limit]), False
                raise CorruptImageError(
                    f"{path}: the deflated DICOM data inflate to more than {limit:,} bytes, more than its "
                    "header allows; refused before reading further (a damaged file, or a decompression bomb)"
                )
    except zlib.error as exc:
        raise CorruptImageError(f"{path}: broken deflate data ({exc}); re-download the file") from exc
    if not inflater.eof and not header_only:
        raise CorruptImageError(f"{path}: the deflated DICOM data end early; re-download the file")
    return bytes(out), inflater.eof


def read_dicom(
    fh: BinaryIO, path: str | os.PathLike, *, limit: int, stop_before_pixels: bool = False, **kwargs: Any
):
    """``pydicom.dcmread(fh, ...)``, with a deflated dataset inflated here to at most ``limit`` bytes."""
    import pydicom
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.filereader import read_dataset

    found = meta_end(fh)
    if found is None or found[1] != DEFLATED:
        return pydicom.dcmread(fh, stop_before_pixels=stop_before_pixels, **kwargs)
    start = found[0]
    head = fh.read(start)
    data, complete = _inflate(fh, path, limit, header_only=stop_before_pixels)
    meta = FileMetaDataset(read_dataset(io.BytesIO(head[132:]), False, True))
    buffer = io.BytesIO(data)
    dataset = read_dataset(
        buffer,
        False,
        True,
        stop_when=(lambda tag, vr, length: tag in _PIXEL_TAGS) if stop_before_pixels else None,
    )
    if not complete and buffer.tell() >= len(data):  # the header alone goes on past the limit
        raise CorruptImageError(
            f"{path}: the DICOM header's elements take more than {limit:,} bytes once inflated; refused "
            "before reading further (a damaged file, or a decompression bomb)"
        )
    return FileDataset(os.fspath(path), dataset, head[:128], meta, False, True)
