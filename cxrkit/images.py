"""From any MIMIC-CXR file to a correct picture: headers, stored pixels, the display pipeline, PNG, thumbnails.

Plain functions of a path (``.dcm``, ``.dcm.gz`` or MIMIC-CXR-JPG ``.jpg``):

* :func:`read_header` - the tags users of this dataset care about, as plain Python values, without pixels.
* :func:`read_image` - a display-ready 2-D ``float32`` array in [0, 1], bone white whatever the
  PhotometricInterpretation: modality LUT, then VOI LUT or window, then MONOCHROME1 inversion.
* :func:`read_stored` - the stored integer pixel values (what :mod:`cxrkit.imagestats` counts).
* :func:`to_png`, :func:`to_jpeg`, :func:`thumbnail` - 8-bit bytes for widgets; PNG thumbnails cached by
  file identity.
* :func:`dicom_to_mimic_jpg` - the MIMIC-CXR-JPG recipe applied to a DICOM file.

Headers of plain little-endian files are read by :mod:`cxrkit.dicomhead`, which walks the first kilobytes of
the file and decodes only the wanted tags (about 4x cheaper than ``pydicom.dcmread(stop_before_pixels=True)``);
anything unusual (big endian, deflate, no preamble, odd encodings) goes through pydicom, and both give the
same dictionary. Uncompressed pixels are read straight from the file at the pixel data offset; compressed
ones through pydicom's pixel plugins, each available plugin tried in turn. The display math lives in
:mod:`cxrkit.display`; tables over many files in :mod:`cxrkit.imagestats`. Every error is an
:class:`~cxrkit.errors.ImageReadError` subclass naming the file and saying what to do.

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

import gzip
import io
import os
import struct
import warnings
import zlib
from typing import Any

import numpy as np

from . import dicomhead as dh
from . import display, layout
from .display import block_mean  # re-exported: part of this module's API
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
    "to_jpeg",
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

def _path_ids(path: str | os.PathLike) -> dict[str, Any]:
    tail = "/".join(os.fspath(path).replace("\\", "/").rsplit("/", 4)[-4:])  # pNN/pSUBJECT/sSTUDY/FILE
    try:
        ids = layout.parse_path(tail)  # the short tail parses as the full path would, several times faster
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
    try:
        return gzip.open(path, "rb") if not raw and _kind(path) == "gz" else open(path, "rb")
    except FileNotFoundError as exc:
        from .errors import MissingFileError

        raise MissingFileError(f"{path}: no such file") from exc


def _read_head(path: str | os.PathLike, limit: int) -> bytes:
    """The first ``limit`` (decompressed) bytes; for ``.gz`` only as much of the stream as that takes."""
    if _kind(path) != "gz":  # one unbuffered read: the cheapest way to a file's head
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError as exc:
            from .errors import MissingFileError

            raise MissingFileError(f"{path}: no such file") from exc
        try:
            return os.read(fd, limit)
        finally:
            os.close(fd)
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


def _fast_raw(path: str | os.PathLike, stop: int) -> tuple[str, dict[int, Any], int, bool, bytes] | None:
    """The fast parser over a growing head of the file; ``None`` when pydicom should read it instead."""
    limit = 1 << 13
    while True:
        buf = _read_head(path, limit)
        try:
            ts, found, pos, explicit = dh.parse_head(buf, stop)
            if pos < len(buf) or len(buf) < limit:  # done, or the file ends cleanly (no pixel data)
                return ts, found, pos, explicit, buf
        except dh.Truncated:
            if len(buf) < limit:
                raise CorruptImageError(
                    f"{path}: the DICOM header is truncated (the file ends after {len(buf)} bytes); "
                    "the download was cut: re-download the file"
                ) from None
        except (dh.Unusual, struct.error):
            return None
        if limit >= 1 << 24:
            return None
        limit <<= 3


def _check_extent(path: str | os.PathLike, pos: int, explicit: bool, buf: bytes) -> None:
    """Cheaply check that the file holds all of its (uncompressed) pixel data: the file size for ``.dcm``,
    the size recorded in the gzip trailer for ``.dcm.gz`` (a cut stream ends in arbitrary bytes)."""
    length = dh.U32.unpack_from(buf, pos + (8 if explicit else 4))[0]
    if length == 0xFFFFFFFF:
        return  # encapsulated: only decoding tells
    end = pos + (12 if explicit else 8) + length
    if _kind(path) == "gz":
        with _open(path, raw=True) as fh:
            fh.seek(-4, os.SEEK_END)
            size = dh.U32.unpack(fh.read(4))[0]
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
    parsed = _fast_raw(path, dh.PIXEL_DATA if check_extent else dh.LAST_HEADER_TAG + 1)
    if parsed is None:
        return None
    ts, found, pos, explicit, buf = parsed
    if check_extent and pos + 12 <= len(buf):
        _check_extent(path, pos, explicit, buf)
    return dh.raw_values(ts, found)


def _pydicom_header(path: str | os.PathLike) -> dict[str, Any]:
    ds = _dcmread(path, stop_before_pixels=True)
    values: dict[str, Any] = {"TransferSyntaxUID": dh.clean(ds.file_meta.get("TransferSyntaxUID"))}
    for key, kind in dh.TAGS.values():
        keyword = dh.KEYWORDS.get(key, key)
        value = ds.get(keyword)
        if kind == "code":
            value = value[0].get("CodeMeaning") if value else None
        values[key] = dh.convert(kind, value)
    return values


def _dcmread(path: str | os.PathLike, **kwargs: Any):
    """``pydicom.dcmread`` with the kit's errors (naming the file and what to do)."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        with _open(path) as fh, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ds = pydicom.dcmread(fh, **kwargs)
        for warning in caught:  # pydicom warns (not raises) on some damage; a scan must not print thousands
            if "end of file" in str(warning.message).lower():
                raise CorruptImageError(f"{path}: truncated ({warning.message}); re-download the file")
        return ds
    except InvalidDicomError as exc:
        raise NotAnImageError(
            f"{path}: not a DICOM file ({exc}). Check that the download completed and the file is the image."
        ) from exc
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise CorruptImageError(f"{path}: broken gzip stream ({exc}); re-download the file") from exc
    except CxrkitError:
        raise
    except Exception as exc:
        raise CorruptImageError(f"{path}: cannot parse the DICOM header ({type(exc).__name__}: {exc}); "
                                "the file is probably truncated or damaged: re-download it") from exc


def _jpg_header(path: str | os.PathLike) -> dict[str, Any]:
    with _open_jpg(path) as im:
        samples = len(im.getbands())
        return {"TransferSyntaxUID": None, **{key: None for key, _ in dh.TAGS.values()},
                "Rows": im.height, "Columns": im.width, "SamplesPerPixel": samples,
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


_NATIVE_SYNTAXES = {"1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99"}


def _ts_text(uid: str) -> str:
    from pydicom.uid import UID

    name = UID(uid).name if uid else "no transfer syntax"
    return f"{name} ({uid})" if name != uid else f"unknown transfer syntax {uid}"


def _check_shape(path: str | os.PathLike, info: dict[str, Any]) -> None:
    rows, cols = info.get("Rows"), info.get("Columns")
    if rows is None or cols is None:
        raise CorruptImageError(f"{path}: pixel data without Rows/Columns; the header is damaged: re-download the file")
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


def _fix_sign(arr: np.ndarray, info: dict[str, Any]) -> np.ndarray:
    """Sign-extend signed data stored in fewer bits than allocated (as pydicom does)."""
    stored, allocated = info.get("BitsStored") or 0, arr.dtype.itemsize * 8
    if arr.dtype.kind == "i" and 0 < stored < allocated:
        shift = allocated - stored
        arr = (arr << shift) >> shift
    return arr


def _fast_native(path: str | os.PathLike) -> tuple[dict[str, Any], int, np.dtype] | None:
    """``(header, pixel data offset, dtype)`` for uncompressed little-endian files, else ``None``."""
    parsed = _fast_raw(path, dh.PIXEL_DATA)
    if parsed is None:
        return None
    ts, found, pos, explicit, buf = parsed
    info = dh.raw_values(ts, found)
    if info is None:
        return None
    if ts not in (dh.IMPLICIT_LE, dh.EXPLICIT_LE) or pos + 8 > len(buf):
        return None
    group, elem = dh.TAG.unpack_from(buf, pos)
    if group << 16 | elem != dh.PIXEL_DATA:
        return None
    if explicit:
        length, offset = dh.U32.unpack_from(buf, pos + 8)[0], pos + 12
    else:
        length, offset = dh.U32.unpack_from(buf, pos + 4)[0], pos + 8
    dtype = _native_dtype(info)
    if length == 0xFFFFFFFF or dtype is None:
        return None
    _check_shape(path, info)
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

    uid = dh.clean(ds.file_meta.get("TransferSyntaxUID")) or ""
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
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            arr = ds.pixel_array
    except (ValueError, RuntimeError, NotImplementedError, AttributeError, struct.error, EOFError, OSError) as exc:
        first = str(exc).strip().splitlines()
        reason = " ".join(line.strip() for line in first)[:400]
        if "pixel data" in reason.lower() and ("shorter" in reason.lower() or "truncat" in reason.lower()):
            raise CorruptImageError(f"{path}: pixel data truncated ({reason}); re-download the file") from exc
        if uid in _NATIVE_SYNTAXES:  # nothing to decode: the header or the data is damaged
            raise CorruptImageError(f"{path}: unreadable pixel data ({reason}); re-download the file") from exc
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
    info["NumberOfFrames"] = dh.convert("is", info["NumberOfFrames"])
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


def _read_jpg(path: str | os.PathLike, max_size: int | None = None) -> np.ndarray:
    """8-bit values of a JPG; with ``max_size``, the same shape :func:`read_image` gives a DICOM, made by
    libjpeg's DCT scaling (1/2, 1/4, 1/8: nearly free) then a box (area-average) resize."""
    from PIL import Image

    with _open_jpg(path) as im:
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


# --- display pipeline ---------------------------------------------------------------------------------


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
    if _kind(path) == "jpg":  # already display-ready 8-bit: downsample while decoding
        x = _read_jpg(path, max_size).astype(np.float32)
        if window is None:
            return x * np.float32(1 / 255)
        return _apply_window(x, window, None)
    stored, ds = _stored(path)
    factor = 1 if not max_size else max(1, -(-max(stored.shape) // int(max_size)))
    x = display.block_mean(stored, factor)
    if ds is None:  # fast path read the pixels; the VOI details come from pydicom's reading of the header
        ds = _dcmread(path, stop_before_pixels=True)
    modality_lut = ds.get("ModalityLUTSequence")
    if modality_lut:
        x = display.apply_lut(x, modality_lut[0], ds.get("PixelRepresentation") == 1)[0]
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
        return display.auto_window(x)
    if window in ("minmax", "none"):
        return display.minmax(x)
    if window is not None:
        center, width = window
        return display.window(x, float(center), float(width))
    voi_lut = ds.get("VOILUTSequence") if ds is not None else None
    if voi_lut:
        signed = ds.get("PixelRepresentation") == 1 or float(ds.get("RescaleIntercept") or 0) < 0
        out, lo, hi = display.apply_lut(x, voi_lut[0], signed)
        return display.linear(out, lo, hi)
    if ds is not None and ds.get("WindowCenter") is not None and ds.get("WindowWidth") is not None:
        center = dh.convert("ds", ds.WindowCenter)
        width = dh.convert("ds", ds.WindowWidth)
        if center is not None and width is not None and width > 0:
            return display.window(x, center, width, str(ds.get("VOILUTFunction") or "LINEAR"))
    return display.minmax(x)


# --- PNG, thumbnails, the MIMIC-CXR-JPG recipe --------------------------------------------------------


def _to_uint8(array: np.ndarray) -> np.ndarray:
    arr = np.asarray(array)
    if arr.ndim != 2:
        raise ValueError(f"expected a 2-D array (one grayscale image), got shape {arr.shape}")
    if arr.dtype != np.uint8:
        arr = (np.clip(np.nan_to_num(arr), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    return arr


def to_png(array: np.ndarray, *, compress_level: int = 1) -> bytes:
    """8-bit grayscale PNG bytes of a 2-D array (float in [0, 1] as from :func:`read_image`, or ``uint8``).

    ``compress_level`` 1 keeps encoding fast (about 10 ms for a 1024 px radiograph); 6-9 gives files ~15%
    smaller at several times the cost. For the fastest previews see :func:`to_jpeg`.

    Examples
    --------
    >>> png = to_png(np.zeros((4, 4), dtype=np.float32))
    >>> png.startswith(b"\\x89PNG")
    True
    """
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(_to_uint8(array)).save(buf, format="PNG", compress_level=compress_level)
    return buf.getvalue()


def to_jpeg(array: np.ndarray, *, quality: int = 90) -> bytes:
    """8-bit grayscale JPEG bytes of a 2-D array: ~10x faster to encode than PNG and ~5x smaller, for
    interactive previews where lossy is fine (a 1024 px radiograph in ~1-2 ms).

    Examples
    --------
    >>> to_jpeg(np.zeros((4, 4), dtype=np.float32))[:2] == b"\\xff\\xd8"
    True
    """
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(_to_uint8(array)).save(buf, format="JPEG", quality=quality)
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
