"""8-bit outputs of pictures: PNG and JPEG bytes, cached PNG thumbnails, the MIMIC-CXR-JPG recipe on a file.

:func:`to_png` is the kit's one PNG encoder (numpy filtering + one zlib pass; the widgets send it to the
page), :func:`to_jpeg` the fastest lossy preview, :func:`thumbnail` a PNG cached in the cache directory by
the file's identity, and :func:`dicom_to_mimic_jpg` applies :func:`cxrkit.images.mimic_jpg.to_mimic_jpg` to a
DICOM file's stored pixels.

Examples
--------
>>> to_jpeg(np.zeros((4, 4), dtype=np.float32))[:2] == b"\\xff\\xd8"
True
"""

from __future__ import annotations

import io
import os
import struct
import zlib
from typing import Any

import numpy as np

from ..errors import MissingFileError
from ..storage.cache import Cache, file_identity, identity_key
from . import display
from ._files import file_kind
from .header import read_header
from .mimic_jpg import to_mimic_jpg
from .picture import read_image
from .stored import read_stored

__all__ = ["dicom_to_mimic_jpg", "thumbnail", "to_jpeg", "to_png"]

#: Bumped when thumbnails change, so old cache entries are not reused.
THUMBNAIL_VERSION = 1


def _png_chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


def to_png(array: np.ndarray, *, compress_level: int = 1) -> bytes:
    """8-bit grayscale PNG bytes of a 2-D array (float in [0, 1] as from :func:`read_image`, or ``uint8``).

    Every row uses the PNG "Up" filter (each byte minus the byte above, computed with numpy), then one zlib
    pass: cheaper than Pillow's adaptive filtering, for files of about the same size. ``compress_level`` 1
    is the default because higher levels make files only a little smaller and cost much more. For the
    fastest previews see :func:`to_jpeg`.

    Examples
    --------
    >>> import io
    >>> from PIL import Image
    >>> picture = np.linspace(0, 1, 48 * 64, dtype=np.float32).reshape(48, 64)
    >>> png = to_png(picture)
    >>> png[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
    >>> bool((np.asarray(Image.open(io.BytesIO(png))) == display.to_uint8(picture)).all())
    True
    """
    a = np.ascontiguousarray(display.to_uint8(array))
    h, w = a.shape
    raw = np.empty((h, w + 1), np.uint8)
    raw[:, 0] = 2  # filter type Up: each byte minus the byte above (mod 256)
    raw[0, 1:] = a[0]
    np.subtract(a[1:], a[:-1], out=raw[1:, 1:])
    header = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)  # 8-bit greyscale, no interlace
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(raw.tobytes(), compress_level))
        + _png_chunk(b"IEND", b"")
    )


def to_jpeg(array: np.ndarray, *, quality: int = 90) -> bytes:
    """8-bit grayscale JPEG bytes of a 2-D array: quicker to encode than PNG and smaller, for interactive
    previews where lossy is fine.

    Examples
    --------
    >>> to_jpeg(np.zeros((4, 4), dtype=np.float32))[:2] == b"\\xff\\xd8"
    True
    """
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(display.to_uint8(array)).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def thumbnail(path: str | os.PathLike, *, size: int = 256, cache: Any = None) -> bytes:
    """A PNG thumbnail (longest side <= ``size``), cached by the file's identity:
    the second call is a file read.

    Parameters
    ----------
    path
        Any image :func:`read_image` reads.
    size
        Longest side in pixels.
    cache
        A :class:`cxrkit.storage.Cache`, a directory, or ``None`` for the default cache directory.

    Examples
    --------
    >>> import cxrkit
    >>> ds = cxrkit.open_dataset()  # the demo, or $CXRKIT_ROOT
    >>> path = ds.study(ds.records().collect()["study_id"][0]).images[0].path
    >>> png = thumbnail(path, size=128)  # decoded, encoded and written to the cache
    >>> png[:8] == b"\\x89PNG\\r\\n\\x1a\\n", thumbnail(path, size=128) == png  # the second: a file read
    (True, True)
    """
    if not isinstance(cache, Cache):
        cache = Cache(cache)
    try:
        identity = file_identity(path)
    except FileNotFoundError as exc:
        raise MissingFileError(f"{path}: no such file") from exc
    key = identity_key(identity, int(size), THUMBNAIL_VERSION)
    entry = cache.path("thumbnails", key[:2], f"{key}.png")
    try:
        return entry.read_bytes()
    except FileNotFoundError:
        pass
    png = to_png(read_image(path, max_size=size))
    cache.keep(
        entry, lambda tmp: tmp.write_bytes(png), what="thumbnails"
    )  # a full cache: warn, still show it
    return png


def dicom_to_mimic_jpg(path: str | os.PathLike) -> bytes:
    """JPEG bytes made from a DICOM file with the MIMIC-CXR-JPG recipe
    (:func:`cxrkit.images.mimic_jpg.to_mimic_jpg`): stored pixels min-max to 8 bits, MONOCHROME1 inverted,
    histogram equalised, quality 95.

    Examples
    --------
    >>> import cxrkit
    >>> ds = cxrkit.open_dataset()  # the demo, or $CXRKIT_ROOT
    >>> path = ds.study(ds.records().collect()["study_id"][0]).images[0].path
    >>> import io
    >>> from PIL import Image
    >>> with Image.open(io.BytesIO(dicom_to_mimic_jpg(path))) as im:
    ...     im.format, im.mode, im.size == read_stored(path).shape[::-1]
    ('JPEG', 'L', True)
    """
    if file_kind(path) == "jpg":
        raise ValueError(f"{path}: already a JPG; dicom_to_mimic_jpg takes a .dcm or .dcm.gz file")
    header = read_header(path)
    return to_mimic_jpg(read_stored(path), header["PhotometricInterpretation"] or "MONOCHROME2")
