"""From a file to its stored pixel values: uncompressed data read in place, everything else through pydicom.

:func:`read_stored` gives the stored integers of one image (no LUT, no inversion, no scaling). Uncompressed
little-endian DICOM (plain or ``.dcm.gz``) is read straight from the file at the pixel data offset found by
:mod:`cxrkit.images._dicomhead`; every other transfer syntax goes through pydicom's pixel plugins, each
available plugin tried in turn before giving up with an :class:`~cxrkit.errors.UndecodableImageError` that
names the package to install; a ``.jpg`` gives its 8-bit values. Images the kit does not show (colour,
multi-frame, absurd sizes) are refused here, before any pixel is read. :mod:`cxrkit.images.picture` builds
pictures on it and :mod:`cxrkit.images.stats` counts its values.

Examples
--------
>>> import cxrkit
>>> ds = cxrkit.open_dataset()  # the demo, or $CXRKIT_ROOT
>>> path = ds.study(ds.records().collect()["study_id"][0]).images[0].path
>>> read_stored(path).dtype
dtype('uint16')
"""

from __future__ import annotations

import os
import struct
import warnings
from typing import Any

import numpy as np

from ..errors import CorruptImageError, UndecodableImageError, UnsupportedImageError
from ..storage.files import read_into
from . import _dicomhead as dh
from ._files import data_limit, dcmread, file_kind, image_errors, open_jpg
from .header import parse_file_head

__all__ = ["read_stored"]

#: Largest accepted image side and pixel count; beyond them a header is taken as corrupt.
MAX_SIDE = 16384
MAX_PIXELS = 1 << 27

_DECODER_PACKAGES = {
    "1.2.840.10008.1.2.4.50": "pylibjpeg-libjpeg (or pillow)",
    "1.2.840.10008.1.2.4.51": "pylibjpeg-libjpeg (or pillow)",
    "1.2.840.10008.1.2.4.57": "pylibjpeg-libjpeg",
    "1.2.840.10008.1.2.4.70": "pylibjpeg-libjpeg",
    "1.2.840.10008.1.2.4.80": "pylibjpeg-libjpeg or pyjpegls",
    "1.2.840.10008.1.2.4.81": "pylibjpeg-libjpeg or pyjpegls",
    "1.2.840.10008.1.2.4.90": "pylibjpeg-openjpeg",
    "1.2.840.10008.1.2.4.91": "pylibjpeg-openjpeg",
    "1.2.840.10008.1.2.4.201": "pylibjpeg-openjpeg>=2.2",
    "1.2.840.10008.1.2.4.202": "pylibjpeg-openjpeg>=2.2",
    "1.2.840.10008.1.2.4.203": "pylibjpeg-openjpeg>=2.2",
    "1.2.840.10008.1.2.5": "pylibjpeg-rle (pydicom also decodes it natively)",
}


_NATIVE_SYNTAXES = {
    "1.2.840.10008.1.2",
    "1.2.840.10008.1.2.1",
    "1.2.840.10008.1.2.2",
    "1.2.840.10008.1.2.1.99",
}


def _ts_text(uid: str) -> str:
    from pydicom.uid import UID

    name = UID(uid).name if uid else "no transfer syntax"
    return f"{name} ({uid})" if name != uid else f"unknown transfer syntax {uid}"


def _check_shape(path: str | os.PathLike, info: dict[str, Any]) -> None:
    rows, cols = info.get("Rows"), info.get("Columns")
    if rows is None or cols is None:
        raise CorruptImageError(
            f"{path}: pixel data without Rows/Columns; the header is damaged: re-download the file"
        )
    if not rows or not cols or rows > MAX_SIDE or cols > MAX_SIDE or rows * cols > MAX_PIXELS:
        raise CorruptImageError(
            f"{path}: absurd image size Rows={rows}, Columns={cols} (expected 1..{MAX_SIDE} each); "
            "the header is damaged: re-download the file"
        )
    samples = info.get("SamplesPerPixel") or 1
    photometric = info.get("PhotometricInterpretation") or "MONOCHROME2"
    if samples != 1 or photometric not in ("MONOCHROME1", "MONOCHROME2"):
        raise UnsupportedImageError(
            f"{path}: a colour image (PhotometricInterpretation {photometric}, {samples} samples per pixel); "
            "cxrkit shows grayscale radiographs (MONOCHROME1/MONOCHROME2) only"
        )
    if (info.get("NumberOfFrames") or 1) > 1:
        raise UnsupportedImageError(
            f"{path}: a multi-frame image ({info['NumberOfFrames']} frames); cxrkit shows single-frame "
            "radiographs only: split the frames with pydicom first"
        )


def _native_dtype(info: dict[str, Any]) -> np.dtype | None:
    bits = info.get("BitsAllocated")
    if bits not in (8, 16):
        return None
    return np.dtype(f"<{'i' if info.get('PixelRepresentation') == 1 else 'u'}{bits // 8}")


def fix_sign(arr: np.ndarray, info: dict[str, Any]) -> np.ndarray:
    """Sign-extend signed data stored in fewer bits than allocated (as pydicom does)."""
    stored, allocated = info.get("BitsStored") or 0, arr.dtype.itemsize * 8
    if arr.dtype.kind == "i" and 0 < stored < allocated:
        shift = allocated - stored
        arr = (arr << shift) >> shift
    return arr


def native_layout(path: str | os.PathLike) -> tuple[dict[str, Any], int, np.dtype] | None:
    """``(header, pixel data offset, dtype)`` for uncompressed little-endian files, else ``None``."""
    return _head(path)[1]


def _head(
    path: str | os.PathLike,
) -> tuple[dict[str, Any] | None, tuple[dict[str, Any], int, np.dtype] | None]:
    """One fast parse of the file's head: ``(its header values, or None when pydicom must read the header;
    the native layout, or None)``."""
    parsed = parse_file_head(path, dh.PIXEL_DATA)
    if parsed is None:
        return None, None
    ts, found, pos, explicit, buf = parsed
    info = dh.raw_values(ts, found)
    if info is None:
        return None, None
    if ts not in (dh.IMPLICIT_LE, dh.EXPLICIT_LE) or pos + 8 > len(buf):
        return info, None
    group, elem = dh.TAG.unpack_from(buf, pos)
    if group << 16 | elem != dh.PIXEL_DATA:
        return info, None
    if explicit:
        length, offset = dh.U32.unpack_from(buf, pos + 8)[0], pos + 12
    else:
        length, offset = dh.U32.unpack_from(buf, pos + 4)[0], pos + 8
    dtype = _native_dtype(info)
    if length == 0xFFFFFFFF or dtype is None:
        return info, None
    _check_shape(path, info)
    return info, (info, offset, dtype)


def _read_native(path: str | os.PathLike, info: dict[str, Any], offset: int, dtype: np.dtype) -> np.ndarray:
    rows, cols = info["Rows"], info["Columns"]
    count = rows * cols
    nbytes = count * dtype.itemsize
    arr = np.empty(count, dtype=dtype)
    with image_errors:
        got = read_into(path, arr, offset)
    if got < nbytes:
        raise CorruptImageError(
            f"{path}: pixel data truncated: expected {nbytes} bytes, found {got - got % dtype.itemsize}; "
            "the download was cut: re-download the file"
        )
    return fix_sign(arr.reshape(rows, cols), info)


def _decode(path: str | os.PathLike, ds: Any) -> np.ndarray:
    """Decode pixel data through pydicom's plugins (each available plugin is tried before giving up)."""
    from pydicom.pixels import get_decoder

    uid = dh.clean(ds.file_meta.get("TransferSyntaxUID")) or ""
    try:
        decoder = get_decoder(uid)
    except NotImplementedError as exc:
        raise UndecodableImageError(
            f"{path}: no pixel decoder exists for {_ts_text(uid)}; convert the file with dcmtk's dcmdjpeg / "
            "gdcmconv to an uncompressed transfer syntax"
        ) from exc
    if not decoder.is_available:
        missing = "; ".join(decoder.missing_dependencies) or _DECODER_PACKAGES.get(
            uid, "a pydicom pixel plugin"
        )
        raise UndecodableImageError(
            f"{path}: no installed plugin decodes {_ts_text(uid)}; install "
            f"{_DECODER_PACKAGES.get(uid, 'a pydicom pixel plugin')} (pydicom says: {missing})"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            arr = ds.pixel_array
    except (
        ValueError,
        RuntimeError,
        NotImplementedError,
        AttributeError,
        struct.error,
        EOFError,
        OSError,
    ) as exc:
        first = str(exc).strip().splitlines()
        reason = " ".join(line.strip() for line in first)[:400]
        if "pixel data" in reason.lower() and ("shorter" in reason.lower() or "truncat" in reason.lower()):
            raise CorruptImageError(f"{path}: pixel data truncated ({reason}); re-download the file") from exc
        if uid in _NATIVE_SYNTAXES:  # nothing to decode: the header or the data is damaged
            raise CorruptImageError(
                f"{path}: unreadable pixel data ({reason}); re-download the file"
            ) from exc
        raise UndecodableImageError(
            f"{path}: the {_ts_text(uid)} pixel data could not be decoded by any installed plugin "
            f"({reason}). The file may be damaged (re-download it); another decoder may help: "
            f"{_DECODER_PACKAGES.get(uid, 'a pydicom pixel plugin')}"
        ) from exc
    return arr


_PIXEL_KEYS = {"Rows", "Columns", "SamplesPerPixel", "BitsAllocated", "BitsStored", "PixelRepresentation"}


def _pixel_info(ds: Any) -> dict[str, Any]:
    info = {key: ds.get(key) for key in _PIXEL_KEYS | {"PhotometricInterpretation", "NumberOfFrames"}}
    info["NumberOfFrames"] = dh.convert("is", info["NumberOfFrames"])
    return info


def _pydicom_stored(path: str | os.PathLike, head: dict[str, Any] | None = None) -> tuple[np.ndarray, Any]:
    """Pixels through pydicom, reading no more than the header (``head``, else pydicom's reading of it)
    allows (:func:`~cxrkit.images._files.data_limit`)."""
    if head is None:
        head = _pixel_info(dcmread(path, stop_before_pixels=True))
    if head.get("Rows") is not None and head.get("Columns") is not None:
        _check_shape(path, head)  # refused before any pixel is read
    ds = dcmread(path, limit=data_limit(head))
    info = _pixel_info(ds)
    if "PixelData" not in ds:
        floats = "FloatPixelData" in ds or "DoubleFloatPixelData" in ds
        raise CorruptImageError(
            f"{path}: the file has no pixel data{' (float pixel data is not supported)' if floats else ''}; "
            "it may be a structured report or a header-only copy: re-download the image"
        )
    _check_shape(path, info)
    arr = _decode(path, ds)
    if arr.ndim != 2 or arr.shape != (info["Rows"], info["Columns"]):
        raise UnsupportedImageError(f"{path}: decoded pixels have shape {arr.shape}, expected one 2-D frame")
    if not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))
    return arr, ds


def read_stored(path: str | os.PathLike) -> np.ndarray:
    """The stored pixel values of one image as a 2-D integer array (no LUT, no inversion, no scaling).

    Uncompressed little-endian DICOM (plain or ``.dcm.gz``) is read straight from the file at the pixel data
    offset; every other transfer syntax goes through pydicom's pixel plugins; a ``.jpg`` gives its 8-bit
    values.

    Examples
    --------
    >>> import cxrkit
    >>> from cxrkit import images
    >>> ds = cxrkit.open_dataset()  # the demo, or $CXRKIT_ROOT
    >>> path = ds.study(ds.records().collect()["study_id"][0]).images[0].path
    >>> stored = read_stored(path)
    >>> header = images.read_header(path)
    >>> stored.dtype, stored.shape == (header["Rows"], header["Columns"])
    (dtype('uint16'), True)
    """
    return read_stored_with_header(path)[0]


def read_stored_with_header(path: str | os.PathLike) -> tuple[np.ndarray, Any | None]:
    """``(stored array, pydicom dataset or None)``; the dataset is ``None`` on the fast path and for
    a ``.jpg``."""
    if file_kind(path) == "jpg":
        return read_jpg_values(path), None
    head, fast = _head(path)
    if fast is not None:
        return _read_native(path, *fast), None
    return _pydicom_stored(path, head)


def read_jpg_values(path: str | os.PathLike, max_size: int | None = None) -> np.ndarray:
    """8-bit values of a JPG; with ``max_size``, the same shape :func:`read_image` gives a DICOM, made by
    libjpeg's DCT scaling (1/2, 1/4, 1/8: nearly free) then a box (area-average) resize."""
    from PIL import Image

    with open_jpg(path) as im:
        try:
            factor = -(-max(im.size) // int(max_size)) if max_size else 1
            if factor > 1:
                target = (im.size[0] // factor, im.size[1] // factor)
                im.draft("L", target)
                if im.size != target:
                    im = im.convert("L").resize(target, Image.Resampling.BOX)
            if im.mode != "L":
                im = im.convert("L")
            return np.asarray(im)
        except OSError as exc:
            raise CorruptImageError(f"{path}: damaged JPEG ({exc}); re-download the file") from exc
