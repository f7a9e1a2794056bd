"""From any MIMIC-CXR file to a correct picture: headers, stored pixels, the display pipeline, PNG, thumbnails.

Plain functions of a path (``.dcm``, ``.dcm.gz`` or MIMIC-CXR-JPG ``.jpg``):

* :func:`read_header` - the tags users of this dataset care about, as plain Python values, without pixels.
* :func:`read_image` - a display-ready 2-D ``float32`` array in [0, 1], bone white whatever the
  PhotometricInterpretation: modality LUT, then VOI LUT or window, then MONOCHROME1 inversion.
* :func:`read_stored` - the stored integer pixel values (what :mod:`cxrkit.imagestats` counts).
* :func:`to_png`, :func:`thumbnail` - 8-bit PNG bytes for widgets, thumbnails cached by file identity.
* :func:`dicom_to_mimic_jpg` - the MIMIC-CXR-JPG recipe applied to a DICOM file.

Headers of plain little-endian files are read by a small parser that walks the first kilobytes of the file
and decodes only the wanted tags (several times faster than ``pydicom.dcmread(stop_before_pixels=True)``);
anything unusual (big endian, deflate, no preamble, odd encodings) goes through pydicom, and both give the
same dictionary. Every error is an :class:`~cxrkit.errors.ImageReadError` subclass naming the file.

Examples
--------
>>> import numpy as np
>>> png = to_png(np.linspace(0, 1, 64 * 48, dtype=np.float32).reshape(48, 64))
>>> png[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
True
>>> read_header("files/p10/p10000032/s50414267/02aa804e-bde0afdd-112c0b34-7bc16630-4e384014.dcm")  # doctest: +SKIP
{'subject_id': 10000032, 'study_id': 50414267, ..., 'ViewPosition': 'PA', 'Rows': 3056, ...}
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import os
import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from . import layout
from .errors import CxrkitError, ImageReadError, InvalidPathError

__all__ = [
    "HEADER_KEYS",
    "CorruptImageError",
    "NotAnImageError",
    "UndecodableImageError",
    "UnsupportedImageError",
    "block_mean",
    "dicom_to_mimic_jpg",
    "read_header",
    "read_image",
    "read_stored",
    "thumbnail",
    "to_png",
]

#: Largest accepted image side and pixel count; beyond them a header is taken as corrupt.
MAX_SIDE = 16384
MAX_PIXELS = 1 << 27
#: Bumped when thumbnails change, so old cache entries are not reused.
THUMBNAIL_VERSION = 1


class NotAnImageError(ImageReadError):
    """The file is neither DICOM nor JPEG (e.g. a report or an HTML error page saved under a ``.dcm`` name)."""


class CorruptImageError(ImageReadError):
    """The file is damaged: truncated, a cut gzip stream, no pixel data, or an absurd Rows/Columns."""


class UnsupportedImageError(ImageReadError):
    """A valid image the kit does not show: colour or multi-frame (MIMIC-CXR images are single grayscale frames)."""


class UndecodableImageError(ImageReadError):
    """No installed pixel decoder handles the file's transfer syntax (or every one of them failed)."""


# --- header ------------------------------------------------------------------------------------------

#: The keys of :func:`read_header`, in order. Ids are snake_case and come from the path (``None`` when the
#: path is not MIMIC-shaped); the rest are DICOM keywords, except the three ``...CodeMeaning`` /
#: ``PatientOrientation`` fields which hold the CodeMeaning of the first item of ViewCodeSequence,
#: ProcedureCodeSequence and PatientOrientationCodeSequence (``Erect``, ``Recumbent``).
HEADER_KEYS = (
    "subject_id", "study_id", "dicom_id", "Modality", "ViewPosition", "ViewCodeMeaning",
    "PerformedProcedureStepDescription", "ProcedureCodeMeaning", "PatientOrientation", "StudyDate", "StudyTime",
    "Rows", "Columns", "SamplesPerPixel", "NumberOfFrames", "PhotometricInterpretation", "BitsAllocated",
    "BitsStored", "PixelRepresentation", "TransferSyntaxUID", "WindowCenter", "WindowWidth", "RescaleSlope",
    "RescaleIntercept", "PixelSpacing",
)  # fmt: skip

# tag -> (key, kind); kinds: str, date, time, int (US), is (IS string), ds (first value), ds2 (pair), code
_TAGS: dict[int, tuple[str, str]] = {
    0x00080020: ("StudyDate", "date"),
    0x00080030: ("StudyTime", "time"),
    0x00080060: ("Modality", "str"),
    0x00081032: ("ProcedureCodeMeaning", "code"),
    0x00181164: ("ImagerPixelSpacing", "ds2"),
    0x00185101: ("ViewPosition", "str"),
    0x00280002: ("SamplesPerPixel", "int"),
    0x00280004: ("PhotometricInterpretation", "str"),
    0x00280008: ("NumberOfFrames", "is"),
    0x00280010: ("Rows", "int"),
    0x00280011: ("Columns", "int"),
    0x00280030: ("PixelSpacing", "ds2"),
    0x00280100: ("BitsAllocated", "int"),
    0x00280101: ("BitsStored", "int"),
    0x00280103: ("PixelRepresentation", "int"),
    0x00281050: ("WindowCenter", "ds"),
    0x00281051: ("WindowWidth", "ds"),
    0x00281052: ("RescaleIntercept", "ds"),
    0x00281053: ("RescaleSlope", "ds"),
    0x00400254: ("PerformedProcedureStepDescription", "str"),
    0x00540220: ("ViewCodeMeaning", "code"),
    0x00540410: ("PatientOrientation", "code"),
}
_KEYWORDS = {  # key -> DICOM keyword where they differ
    "ViewCodeMeaning": "ViewCodeSequence",
    "ProcedureCodeMeaning": "ProcedureCodeSequence",
    "PatientOrientation": "PatientOrientationCodeSequence",
}
_CHARSET, _CODE_MEANING, _PIXEL_DATA, _TS = 0x00080005, 0x00080104, 0x7FE00010, 0x00020010
_LAST_HEADER_TAG = max(_TAGS)
_LONG_VRS = {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"}
_VRS = _LONG_VRS | {
    b"AE", b"AS", b"AT", b"CS", b"DA", b"DS", b"DT", b"FD", b"FL", b"IS", b"LO", b"LT", b"PN", b"SH", b"SL", b"SS",
    b"ST", b"TM", b"UI", b"UL", b"US",
}
_SEQ_TAGS = {t for t, (_, kind) in _TAGS.items() if kind == "code"}
_IMPLICIT_LE, _EXPLICIT_LE = "1.2.840.10008.1.2", "1.2.840.10008.1.2.1"
_CODECS = {"": "ascii", "ISO_IR 6": "ascii", "ISO_IR 100": "latin-1", "ISO_IR 192": "utf-8"}
_U16, _U32, _TAG = struct.Struct("<H"), struct.Struct("<I"), struct.Struct("<HH")


class _Truncated(Exception):
    """The buffer ended before the parse did: read more of the file."""


class _Unusual(Exception):
    """Something the fast parser does not handle: let pydicom read the file."""


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        value = "\\".join(str(v) for v in value)
    text = str(value).strip(" \x00")
    return text or None


def _convert(kind: str, value: Any) -> Any:
    """One converter for both readers: raw strings (fast parser) and pydicom values give the same result."""
    if kind in ("str", "code"):
        return _clean(value)
    if kind == "int":
        return None if value is None else int(value)
    if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        values = list(value)
    else:
        text = _clean(value)
        if text is None:
            return None
        values = text.split("\\")
    try:
        if kind == "is":
            return int(float(values[0]))
        if kind == "ds":
            return float(values[0])
        if kind == "ds2":
            return (float(values[0]), float(values[1])) if len(values) >= 2 else None
        if kind == "date":
            return _parse_date(str(values[0]))
        if kind == "time":
            return _parse_time(str(values[0]))
    except (ValueError, IndexError):
        return None
    raise AssertionError(kind)  # pragma: no cover


def _parse_date(text: str) -> dt.date | None:
    text = text.strip().replace(".", "").replace("-", "")
    try:
        return dt.date(int(text[0:4]), int(text[4:6]), int(text[6:8])) if len(text) == 8 else None
    except ValueError:
        return None


def _parse_time(text: str) -> dt.time | None:
    text = text.strip().replace(":", "")
    whole, _, frac = text.partition(".")
    if len(whole) not in (2, 4, 6) or not whole.isdigit() or (frac and not frac.isdigit()):
        return None
    hh, mm, ss = int(whole[0:2]), int(whole[2:4] or 0), int(whole[4:6] or 0)
    try:
        return dt.time(hh, mm, min(ss, 59), int((frac + "000000")[:6]))
    except ValueError:
        return None


def _path_ids(path: str | os.PathLike) -> dict[str, Any]:
    try:
        ids = layout.parse_path(path)
    except InvalidPathError:
        return {"subject_id": None, "study_id": None, "dicom_id": None}
    return {"subject_id": ids.subject_id, "study_id": ids.study_id, "dicom_id": ids.dicom_id}


def _kind(path: str | os.PathLike) -> str:
    name = os.fspath(path).lower()
    if name.endswith(".gz"):
        return "gz"
    if name.endswith((".jpg", ".jpeg")):
        return "jpg"
    return "dcm"


def _open(path: str | os.PathLike, raw: bool = False):
    """Open for reading, through gzip for ``.gz`` unless ``raw``; a missing file is a MissingFileError."""
    p = Path(path)
    try:
        return gzip.open(p, "rb") if _kind(p) == "gz" and not raw else open(p, "rb")
    except FileNotFoundError as exc:
        from .errors import MissingFileError

        raise MissingFileError(f"{p}: no such file") from exc


def _read_head(path: str | os.PathLike, limit: int) -> bytes:
    """The first ``limit`` (decompressed) bytes; for ``.gz`` only as much of the stream as that takes."""
    if _kind(path) != "gz":
        with _open(path) as fh:
            return fh.read(limit)
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)  # gzip wrapper; cheaper than gzip.open for a head
    out = bytearray()
    try:
        with _open(path, raw=True) as fh:
            while len(out) < limit and not inflater.eof:
                chunk = fh.read(4096)
                if not chunk:
                    break
                out += inflater.decompress(chunk, limit - len(out))
    except zlib.error as exc:
        raise CorruptImageError(f"{path}: broken gzip stream ({exc}); re-download the file") from exc
    return bytes(out)


def _dataset(buf: bytes, pos: int, end: int | None, explicit: bool, want: set[int] | dict, stop: int,
             found: dict[int, Any]) -> int:
    """Walk elements from ``pos`` until ``end``, an item delimiter or a tag >= ``stop``; fill ``found``."""
    limit = len(buf)
    while end is None or pos < end:
        if pos + 8 > limit:
            if pos == limit and stop != 0xFFFFFFFF:  # top level, on an element boundary: the caller decides
                return pos
            raise _Truncated
        group, elem = _TAG.unpack_from(buf, pos)
        tag = group << 16 | elem
        if tag == 0xFFFEE00D:  # item delimitation
            return pos + 8
        if tag >= stop:
            return pos
        if group == 0xFFFE:
            raise _Unusual
        if explicit:
            vr = buf[pos + 4 : pos + 6]
            if vr not in _VRS:  # e.g. implicit VR data under an explicit transfer syntax: pydicom copes
                raise _Unusual
            if vr in _LONG_VRS:
                if pos + 12 > limit:
                    raise _Truncated
                length, pos = _U32.unpack_from(buf, pos + 8)[0], pos + 12
            else:
                length, pos = _U16.unpack_from(buf, pos + 6)[0], pos + 8
        else:
            vr = None
            length, pos = _U32.unpack_from(buf, pos + 4)[0], pos + 8
        if length == 0xFFFFFFFF:
            if explicit and vr not in (b"SQ", b"UN"):
                raise _Unusual
            meaning: list = []
            pos = _sequence(buf, pos, None, explicit and vr == b"SQ", meaning)
            if tag in want:
                found[tag] = meaning[0] if meaning else None
            continue
        nxt = pos + length
        if tag in want:
            if nxt > limit:
                raise _Truncated
            if tag in _SEQ_TAGS:
                meaning = []
                _sequence(buf, pos, nxt, explicit and vr != b"UN", meaning)
                found[tag] = meaning[0] if meaning else None
            else:
                found[tag] = buf[pos:nxt]
        pos = nxt
    return pos


def _sequence(buf: bytes, pos: int, end: int | None, explicit: bool, meaning: list) -> int:
    """Walk a sequence's items; append the CodeMeaning (raw bytes) of the first item that has one."""
    limit = len(buf)
    while end is None or pos < end:
        if pos + 8 > limit:
            raise _Truncated
        group, elem = _TAG.unpack_from(buf, pos)
        length = _U32.unpack_from(buf, pos + 4)[0]
        pos += 8
        tag = group << 16 | elem
        if tag == 0xFFFEE0DD:  # sequence delimitation
            return pos
        if tag != 0xFFFEE000:
            raise _Unusual
        found: dict[int, Any] = {}
        if length == 0xFFFFFFFF:
            pos = _dataset(buf, pos, None, explicit, {_CODE_MEANING}, 0xFFFFFFFF, found)
        else:
            _dataset(buf, pos, pos + length, explicit, {_CODE_MEANING}, 0xFFFFFFFF, found)
            pos += length
        if not meaning and found.get(_CODE_MEANING) is not None:
            meaning.append(found[_CODE_MEANING])
    return pos


def _parse_head(buf: bytes, stop: int) -> tuple[str, dict[int, Any], int, bool]:
    """Parse a preamble + file meta + dataset head: ``(transfer syntax, raw values, position, explicit)``."""
    if len(buf) < 132 or buf[128:132] != b"DICM":
        raise _Unusual
    meta: dict[int, Any] = {}
    pos = _dataset(buf, 132, None, True, {_TS}, 0x00030000, meta)
    ts = _clean(meta.get(_TS, b"").decode("ascii", "replace")) or ""
    if ts == _IMPLICIT_LE:
        explicit = False
    elif ts == "1.2.840.10008.1.2.2" or ts.startswith("1.2.840.10008.1.2.1.99") or not ts:
        raise _Unusual  # big endian, deflate, no transfer syntax: pydicom
    else:
        explicit = True
    found: dict[int, Any] = {}
    pos = _dataset(buf, pos, None, explicit, _WANT, stop, found)
    return ts, found, pos, explicit


_WANT = set(_TAGS) | {_CHARSET}


def _fast_raw(path: str | os.PathLike, stop: int) -> tuple[str, dict[int, Any], int, bool, bytes] | None:
    """The fast parser over a growing head of the file; ``None`` when pydicom should read it instead."""
    limit = 1 << 13
    while True:
        buf = _read_head(path, limit)
        try:
            ts, found, pos, explicit = _parse_head(buf, stop)
            if pos < len(buf) or len(buf) < limit:  # done, or the file ends cleanly (no pixel data)
                return ts, found, pos, explicit, buf
        except _Truncated:
            if len(buf) < limit:
                raise CorruptImageError(
                    f"{path}: the DICOM header is truncated (the file ends after {len(buf)} bytes); "
                    "the download was cut: re-download the file"
                ) from None
        except (_Unusual, struct.error):
            return None
        if limit >= 1 << 24:
            return None
        limit <<= 3


def _values(ts: str, found: dict[int, Any]) -> dict[str, Any] | None:
    """Convert the fast parser's raw values; ``None`` when a character set needs pydicom."""
    charset = _clean(found.get(_CHARSET, b"").decode("ascii", "replace")) or ""
    codec = _CODECS.get(charset.split("\\")[0].strip())
    values: dict[str, Any] = {"TransferSyntaxUID": ts}
    for tag, (key, kind) in _TAGS.items():
        raw = found.get(tag)
        if raw is None:
            values[key] = None
        elif kind == "int":
            values[key] = _U16.unpack_from(raw)[0] if len(raw) >= 2 else None
        else:
            try:
                text = raw.decode("ascii")
            except UnicodeDecodeError:
                if codec is None:
                    return None
                text = raw.decode(codec, "replace")
            values[key] = _convert(kind, text)
    return values


def _check_extent(path: str | os.PathLike, pos: int, explicit: bool, buf: bytes) -> None:
    """Cheaply check that the file holds all of its (uncompressed) pixel data: the file size for ``.dcm``,
    the size recorded in the gzip trailer for ``.dcm.gz`` (a cut stream ends in arbitrary bytes)."""
    length = _U32.unpack_from(buf, pos + (8 if explicit else 4))[0]
    if length == 0xFFFFFFFF:
        return  # encapsulated: only decoding tells
    end = pos + (12 if explicit else 8) + length
    if _kind(path) == "gz":
        with _open(path, raw=True) as fh:
            fh.seek(-4, os.SEEK_END)
            size = _U32.unpack(fh.read(4))[0]
        if not 0 <= size - end % (1 << 32) < 1 << 20:
            raise CorruptImageError(
                f"{path}: the gzip stream is cut or damaged (its trailer does not match the pixel data, which "
                f"ends at byte {end}); re-download the file"
            )
        return
    size = os.path.getsize(path)
    if end > size:
        raise CorruptImageError(
            f"{path}: truncated: the pixel data ends at byte {end} but the file has {size} bytes; "
            "the download was cut: re-download the file"
        )


def _fast_header(path: str | os.PathLike, check_extent: bool = False) -> dict[str, Any] | None:
    parsed = _fast_raw(path, _PIXEL_DATA if check_extent else _LAST_HEADER_TAG + 1)
    if parsed is None:
        return None
    ts, found, pos, explicit, buf = parsed
    if check_extent and pos + 12 <= len(buf):
        _check_extent(path, pos, explicit, buf)
    return _values(ts, found)


def _pydicom_header(path: str | os.PathLike) -> dict[str, Any]:
    ds = _dcmread(path, stop_before_pixels=True)
    values: dict[str, Any] = {"TransferSyntaxUID": _clean(ds.file_meta.get("TransferSyntaxUID"))}
    for key, kind in _TAGS.values():
        keyword = _KEYWORDS.get(key, key)
        value = ds.get(keyword)
        if kind == "code":
            value = value[0].get("CodeMeaning") if value else None
        values[key] = _convert(kind, value)
    return values


def _dcmread(path: str | os.PathLike, **kwargs: Any):
    """``pydicom.dcmread`` with the kit's errors (naming the file and what to do)."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        with _open(path) as fh:
            return pydicom.dcmread(fh, **kwargs)
    except InvalidDicomError as exc:
        raise NotAnImageError(
            f"{path}: not a DICOM file ({exc}). Check that the download completed and the file is the image."
        ) from exc
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise CorruptImageError(f"{path}: broken gzip stream ({exc}); re-download the file") from exc
    except CxrkitError:
        raise
    except Exception as exc:  # noqa: BLE001 - pydicom raises many types on damaged files
        raise CorruptImageError(f"{path}: cannot parse the DICOM header ({type(exc).__name__}: {exc}); "
                                "the file is probably truncated or damaged: re-download it") from exc


def _jpg_header(path: str | os.PathLike) -> dict[str, Any]:
    with _open_jpg(path) as im:
        samples = len(im.getbands())
        return {"TransferSyntaxUID": None, **{key: None for key, _ in _TAGS.values()},
                "Rows": im.height, "Columns": im.width, "SamplesPerPixel": samples, "NumberOfFrames": 1,
                "PhotometricInterpretation": "MONOCHROME2" if samples == 1 else "RGB",
                "BitsAllocated": 8, "BitsStored": 8, "PixelRepresentation": 0}


def _open_jpg(path: str | os.PathLike):
    from PIL import Image, UnidentifiedImageError

    try:
        return Image.open(path)
    except FileNotFoundError as exc:
        from .errors import MissingFileError

        raise MissingFileError(f"{path}: no such file") from exc
    except (UnidentifiedImageError, OSError) as exc:
        raise NotAnImageError(f"{path}: not a JPEG image ({exc}); re-download the file") from exc


def read_header(path: str | os.PathLike) -> dict[str, Any]:
    """The tags a MIMIC-CXR user cares about, as plain Python values, without reading pixel data.

    Parameters
    ----------
    path
        A ``.dcm``, ``.dcm.gz`` (only the header bytes are decompressed) or MIMIC-CXR-JPG ``.jpg`` file.

    Returns
    -------
    dict
        The keys of :data:`HEADER_KEYS`, always all of them, ``None`` where the file has no value.
        ``subject_id``/``study_id`` (int) and ``dicom_id`` (str) come from the path via
        :func:`cxrkit.layout.parse_path`. Strings are stripped (empty becomes ``None``); ``StudyDate`` is a
        :class:`datetime.date`, ``StudyTime`` a :class:`datetime.time`; ``WindowCenter``/``WindowWidth`` are
        the first window as floats; ``PixelSpacing`` is ``(row, column)`` in mm (ImagerPixelSpacing when
        PixelSpacing is absent). A ``.jpg`` gives its size, ``MONOCHROME2`` and 8 bits; the rest is ``None``.

    Raises
    ------
    NotAnImageError, CorruptImageError, cxrkit.errors.MissingFileError

    Examples
    --------
    >>> h = read_header("files/p10/p10000032/s50414267/02aa804e-bde0afdd-112c0b34-7bc16630-4e384014.dcm")  # doctest: +SKIP
    >>> h["ViewPosition"], h["Rows"], h["StudyDate"]  # doctest: +SKIP
    ('PA', 3056, datetime.date(2180, 5, 6))
    """
    return _header(path)


def _header(path: str | os.PathLike, check_extent: bool = False) -> dict[str, Any]:
    """:func:`read_header`; with ``check_extent`` a plain file cut inside its pixel data raises (tables)."""
    if _kind(path) == "jpg":
        values = _jpg_header(path)
    else:
        values = _fast_header(path, check_extent) or _pydicom_header(path)
        if values.get("PixelSpacing") is None:
            values["PixelSpacing"] = values.get("ImagerPixelSpacing")
    values.pop("ImagerPixelSpacing", None)
    values.update(_path_ids(path))
    return {key: values.get(key) for key in HEADER_KEYS}


# --- stored pixels ------------------------------------------------------------------------------------

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


def _ts_text(uid: str) -> str:
    from pydicom.uid import UID

    name = UID(uid).name if uid else "no transfer syntax"
    return f"{name} ({uid})" if name != uid else f"unknown transfer syntax {uid}"


def _check_shape(path: str | os.PathLike, info: dict[str, Any]) -> None:
    rows, cols = info.get("Rows"), info.get("Columns")
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


def _native_dtype(info: dict[str, Any], big_endian: bool = False) -> np.dtype | None:
    bits = info.get("BitsAllocated")
    if bits not in (8, 16):
        return None
    kind = "i" if info.get("PixelRepresentation") == 1 else "u"
    return np.dtype(f"{'>' if big_endian else '<'}{kind}{bits // 8}")


def _fix_sign(arr: np.ndarray, info: dict[str, Any]) -> np.ndarray:
    """Sign-extend signed data stored in fewer bits than allocated (as pydicom does)."""
    stored, allocated = info.get("BitsStored") or 0, arr.dtype.itemsize * 8
    if arr.dtype.kind == "i" and 0 < stored < allocated:
        shift = allocated - stored
        arr = (arr << shift) >> shift
    return arr


def _fast_native(path: str | os.PathLike) -> tuple[dict[str, Any], int, np.dtype] | None:
    """``(header, pixel data offset, dtype)`` for uncompressed little-endian files, else ``None``."""
    parsed = _fast_raw(path, _PIXEL_DATA)
    if parsed is None:
        return None
    ts, found, pos, explicit, buf = parsed
    info = _values(ts, found)
    if info is None:
        return None
    if ts not in (_IMPLICIT_LE, _EXPLICIT_LE) or pos + 8 > len(buf):
        return None
    group, elem = _TAG.unpack_from(buf, pos)
    if group << 16 | elem != _PIXEL_DATA:
        return None
    if explicit:
        length, offset = _U32.unpack_from(buf, pos + 8)[0], pos + 12
    else:
        length, offset = _U32.unpack_from(buf, pos + 4)[0], pos + 8
    dtype = _native_dtype(info)
    if length == 0xFFFFFFFF or dtype is None:
        return None
    _check_shape(path, info)
    info["_length"] = length
    return info, offset, dtype


def _read_native(path: str | os.PathLike, info: dict[str, Any], offset: int, dtype: np.dtype) -> np.ndarray:
    rows, cols = info["Rows"], info["Columns"]
    count = rows * cols
    nbytes = count * dtype.itemsize
    if _kind(path) == "gz":
        try:
            with gzip.open(path, "rb") as fh:
                fh.seek(offset)
                data = fh.read(nbytes)
        except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
            raise CorruptImageError(f"{path}: broken gzip stream ({exc}); re-download the file") from exc
        arr = np.frombuffer(data, dtype=dtype)
    else:
        arr = np.fromfile(path, dtype=dtype, count=count, offset=offset)
    if arr.size < count:
        raise CorruptImageError(
            f"{path}: pixel data truncated: expected {nbytes} bytes, found {arr.size * dtype.itemsize}; "
            "the download was cut: re-download the file"
        )
    return _fix_sign(arr.reshape(rows, cols), info)


def _decode(path: str | os.PathLike, ds: Any) -> np.ndarray:
    """Decode pixel data through pydicom's plugins (each available plugin is tried before giving up)."""
    from pydicom.pixels import get_decoder

    uid = _clean(ds.file_meta.get("TransferSyntaxUID")) or ""
    try:
        decoder = get_decoder(uid)
    except NotImplementedError as exc:
        raise UndecodableImageError(
            f"{path}: no pixel decoder exists for {_ts_text(uid)}; convert the file with dcmtk's dcmdjpeg / "
            "gdcmconv to an uncompressed transfer syntax"
        ) from exc
    if not decoder.is_available:
        missing = "; ".join(decoder.missing_dependencies) or _DECODER_PACKAGES.get(uid, "a pydicom pixel plugin")
        raise UndecodableImageError(
            f"{path}: no installed plugin decodes {_ts_text(uid)}; install "
            f"{_DECODER_PACKAGES.get(uid, 'a pydicom pixel plugin')} (pydicom says: {missing})"
        )
    try:
        arr = ds.pixel_array
    except (ValueError, RuntimeError, NotImplementedError, struct.error, EOFError, OSError) as exc:
        first = str(exc).strip().splitlines()
        reason = " ".join(line.strip() for line in first)[:400]
        if "pixel data" in reason.lower() and ("shorter" in reason.lower() or "truncat" in reason.lower()):
            raise CorruptImageError(f"{path}: pixel data truncated ({reason}); re-download the file") from exc
        raise UndecodableImageError(
            f"{path}: the {_ts_text(uid)} pixel data could not be decoded by any installed plugin ({reason}). "
            f"The file may be damaged (re-download it); another decoder may help: "
            f"{_DECODER_PACKAGES.get(uid, 'a pydicom pixel plugin')}"
        ) from exc
    return arr


_PIXEL_KEYS = {"Rows", "Columns", "SamplesPerPixel", "BitsAllocated", "BitsStored", "PixelRepresentation"}


def _pydicom_stored(path: str | os.PathLike) -> tuple[np.ndarray, Any]:
    ds = _dcmread(path)
    info = {key: ds.get(key) for key in _PIXEL_KEYS | {"PhotometricInterpretation", "NumberOfFrames"}}
    info["NumberOfFrames"] = _convert("is", info["NumberOfFrames"])
    _check_shape(path, info)
    if "PixelData" not in ds:
        kind = "FloatPixelData" if "FloatPixelData" in ds or "DoubleFloatPixelData" in ds else None
        raise CorruptImageError(
            f"{path}: the file has no pixel data{' (float pixel data is not supported)' if kind else ''}; "
            "it may be a structured report or a header-only copy: re-download the image"
        )
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
    >>> read_stored("files/p10/p10000032/s50414267/02aa804e-bde0afdd-112c0b34-7bc16630-4e384014.dcm").dtype  # doctest: +SKIP
    dtype('uint16')
    """
    return _stored(path)[0]


def _stored(path: str | os.PathLike) -> tuple[np.ndarray, Any | None]:
    """``(stored array, pydicom dataset or None)``; the dataset is ``None`` on the fast path."""
    if _kind(path) == "jpg":
        return _read_jpg(path), None
    fast = _fast_native(path)
    if fast is not None:
        return _read_native(path, *fast), None
    return _pydicom_stored(path)


def _read_jpg(path: str | os.PathLike) -> np.ndarray:
    with _open_jpg(path) as im:
        try:
            if im.mode != "L":
                im = im.convert("L")
            return np.asarray(im)
        except OSError as exc:
            raise CorruptImageError(f"{path}: damaged JPEG ({exc}); re-download the file") from exc


# --- display pipeline ---------------------------------------------------------------------------------


def block_mean(arr: np.ndarray, factor: int) -> np.ndarray:
    """Downsample a 2-D array by averaging ``factor x factor`` blocks (edge rows/columns that do not fill a
    block are dropped). Integer input is summed in integers, so this is fast on stored pixels.

    Examples
    --------
    >>> block_mean(np.arange(16, dtype=np.uint16).reshape(4, 4), 2)
    array([[ 2.5,  4.5],
           [10.5, 12.5]], dtype=float32)
    """
    if factor <= 1:
        return arr.astype(np.float32)
    h, w = arr.shape[0] // factor * factor, arr.shape[1] // factor * factor
    arr = arr[:h, :w]
    acc = np.int64 if arr.dtype.kind == "f" or factor > 100 or arr.dtype.itemsize > 2 else np.int32
    if arr.dtype.kind == "f":
        acc = np.float64
    cols = arr[:, 0::factor].astype(acc)
    for k in range(1, factor):
        cols += arr[:, k::factor]
    out = cols[0::factor].copy()
    for k in range(1, factor):
        out += cols[k::factor]
    return (out / (factor * factor)).astype(np.float32)


def _lut(x: np.ndarray, item: Any) -> tuple[np.ndarray, float, float]:
    """Apply a DICOM LUT (Modality or VOI LUT sequence item) by interpolation: exact on integers."""
    n, first = int(item.LUTDescriptor[0]) or 65536, int(item.LUTDescriptor[1])
    if item.LUTDescriptor[1] > 32767 and getattr(item, "_pixel_signed", False):  # pragma: no cover
        first -= 65536
    data = item.LUTData
    values = np.asarray(data if not isinstance(data, bytes) else np.frombuffer(data, "<u2"), dtype=np.float64)
    values = values[:n]
    out = np.interp(x, first + np.arange(values.size, dtype=np.float64), values).astype(np.float32)
    return out, float(values.min()), float(values.max())


def _linear(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    if hi <= lo:
        return (x > lo).astype(np.float32)
    out = (x - np.float32(lo)) * np.float32(1.0 / (hi - lo))
    return np.clip(out, 0.0, 1.0, out=out)


def _window(x: np.ndarray, center: float, width: float, function: str = "LINEAR") -> np.ndarray:
    """The DICOM VOI window functions (PS3.3 C.11.2.1.2), mapped to [0, 1]."""
    function = (function or "LINEAR").upper()
    if function == "SIGMOID":
        return (1.0 / (1.0 + np.exp(-4.0 * (x.astype(np.float64) - center) / width))).astype(np.float32)
    if function == "LINEAR_EXACT":
        return _linear(x, center - width / 2, center + width / 2)
    if width <= 1:  # degenerate LINEAR window: a threshold
        return (x > center - 0.5).astype(np.float32)
    c, w = center - 0.5, width - 1
    return _linear(x, c - w / 2, c + w / 2)


def _minmax(x: np.ndarray) -> np.ndarray:
    return _linear(x, float(x.min()), float(x.max()))


def _auto(x: np.ndarray) -> np.ndarray:
    step = max(1, int(np.sqrt(x.size / 1_000_000)))
    lo, hi = np.percentile(x[::step, ::step], [0.5, 99.5])
    return _linear(x, float(lo), float(hi))


def read_image(
    path: str | os.PathLike,
    *,
    max_size: int | None = None,
    window: tuple[float, float] | str | None = None,
) -> np.ndarray:
    """A display-ready picture: 2-D ``float32`` in [0, 1], brighter = denser (bone white).

    The pipeline: stored values -> (``max_size``: area-average downsampling, still on the integers) ->
    modality LUT (ModalityLUTSequence, or RescaleSlope/RescaleIntercept) -> VOI -> MONOCHROME1 inversion.

    Parameters
    ----------
    path
        ``.dcm``, ``.dcm.gz`` or MIMIC-CXR-JPG ``.jpg``.
    max_size
        Longest side of the result, at most: the image is averaged over integer blocks of
        ``ceil(longest side / max_size)`` pixels (edge pixels that do not fill a block are dropped).
    window
        ``None``: the file's own VOI (its first VOI LUT, else its first WindowCenter/WindowWidth with its
        VOILUTFunction, else the image's min-max; a ``.jpg`` is shown as stored, 0-255).
        ``(center, width)``: a DICOM LINEAR window in modality units (stored units for ``.jpg``).
        ``"auto"``: a robust window from the 0.5th to the 99.5th percentile.
        ``"minmax"`` (or ``"none"``): the image's own min-max, no VOI.

    Raises
    ------
    NotAnImageError, CorruptImageError, UnsupportedImageError, UndecodableImageError
        Each names the file and says what to do.

    Examples
    --------
    >>> img = read_image("files/p10/p10000032/s50414267/02aa804e-bde0afdd-112c0b34-7bc16630-4e384014.dcm",
    ...                  max_size=1024)  # doctest: +SKIP
    >>> img.shape, img.dtype, float(img.min()) >= 0, float(img.max()) <= 1  # doctest: +SKIP
    ((1018, 848), dtype('float32'), True, True)
    """
    if isinstance(window, str) and window not in ("auto", "minmax", "none"):
        raise ValueError(f"window must be None, (center, width), 'auto', 'minmax' or 'none', not {window!r}")
    stored, ds = _stored(path)
    factor = 1 if not max_size else max(1, -(-max(stored.shape) // int(max_size)))
    x = block_mean(stored, factor)
    if _kind(path) == "jpg":
        if window is None:
            return x * np.float32(1 / 255)
        return _apply_window(x, window, None)
    if ds is None:  # fast path read the pixels; the VOI details come from pydicom's reading of the header
        ds = _dcmread(path, stop_before_pixels=True)
    modality_lut = ds.get("ModalityLUTSequence")
    if modality_lut:
        x = _lut(x, modality_lut[0])[0]
    elif "RescaleSlope" in ds and "RescaleIntercept" in ds:
        slope, intercept = float(ds.RescaleSlope), float(ds.RescaleIntercept)
        if slope != 1.0 or intercept != 0.0:
            x = x * np.float32(slope) + np.float32(intercept)
    out = _apply_window(x, window, ds)
    if ds.get("PhotometricInterpretation") == "MONOCHROME1":
        out = np.subtract(np.float32(1.0), out, out=out)
    return out


def _apply_window(x: np.ndarray, window: Any, ds: Any | None) -> np.ndarray:
    if window == "auto":
        return _auto(x)
    if window in ("minmax", "none"):
        return _minmax(x)
    if window is not None:
        center, width = window
        return _window(x, float(center), float(width))
    voi_lut = ds.get("VOILUTSequence") if ds is not None else None
    if voi_lut:
        out, lo, hi = _lut(x, voi_lut[0])
        return _linear(out, lo, hi)
    if ds is not None and ds.get("WindowCenter") is not None and ds.get("WindowWidth") is not None:
        center = _convert("ds", ds.WindowCenter)
        width = _convert("ds", ds.WindowWidth)
        if center is not None and width is not None and width > 0:
            return _window(x, center, width, str(ds.get("VOILUTFunction") or "LINEAR"))
    return _minmax(x)


# --- PNG, thumbnails, the MIMIC-CXR-JPG recipe --------------------------------------------------------


def to_png(array: np.ndarray, *, compress_level: int = 1) -> bytes:
    """8-bit grayscale PNG bytes of a 2-D array (float in [0, 1] as from :func:`read_image`, or ``uint8``).

    ``compress_level`` 1 keeps encoding fast (a 1024 px preview in a few ms); use 6-9 for smaller files.

    Examples
    --------
    >>> png = to_png(np.zeros((4, 4), dtype=np.float32))
    >>> png.startswith(b"\\x89PNG")
    True
    """
    from PIL import Image

    arr = np.asarray(array)
    if arr.ndim != 2:
        raise ValueError(f"to_png needs a 2-D array, got shape {arr.shape}")
    if arr.dtype != np.uint8:
        arr = (np.clip(arr, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG", compress_level=compress_level)
    return buf.getvalue()


def thumbnail(path: str | os.PathLike, *, size: int = 256, cache: Any = None) -> bytes:
    """A PNG thumbnail (longest side <= ``size``), cached by the file's identity: the second call is a file read.

    Parameters
    ----------
    path
        Any image :func:`read_image` reads.
    size
        Longest side in pixels.
    cache
        A :class:`cxrkit.cache.Cache`, a directory, or ``None`` for the default cache directory.

    Examples
    --------
    >>> png = thumbnail("files/p10/p10000032/s50414267/02aa804e-bde0afdd-112c0b34-7bc16630-4e384014.dcm")  # doctest: +SKIP
    """
    from .cache import Cache, file_identity, identity_key

    if not isinstance(cache, Cache):
        cache = Cache(cache)
    try:
        identity = file_identity(path)
    except FileNotFoundError as exc:
        from .errors import MissingFileError

        raise MissingFileError(f"{path}: no such file") from exc
    key = identity_key(identity, int(size), THUMBNAIL_VERSION)
    entry = cache.path("thumbnails", key[:2], f"{key}.png")
    try:
        return entry.read_bytes()
    except FileNotFoundError:
        pass
    png = to_png(read_image(path, max_size=size))
    with cache.atomic_path(entry) as tmp:
        tmp.write_bytes(png)
    return png


def dicom_to_mimic_jpg(path: str | os.PathLike) -> bytes:
    """JPEG bytes made from a DICOM file with the MIMIC-CXR-JPG recipe (:func:`cxrkit.mimic_jpg.to_mimic_jpg`):
    stored pixels min-max to 8 bits, MONOCHROME1 inverted, histogram equalised, quality 95.

    Examples
    --------
    >>> jpg = dicom_to_mimic_jpg("files/p10/p10000032/s50414267/02aa804e-bde0afdd-112c0b34-7bc16630-4e384014.dcm")  # doctest: +SKIP
    """
    from .mimic_jpg import to_mimic_jpg  # lazy: the recipe lives in its own module

    if _kind(path) == "jpg":
        raise ValueError(f"{path}: already a JPG; dicom_to_mimic_jpg takes a .dcm or .dcm.gz file")
    header = read_header(path)
    return to_mimic_jpg(read_stored(path), header["PhotometricInterpretation"] or "MONOCHROME2")
