"""From any MIMIC-CXR file to a correct picture: the public face of the image functions, and headers.

Plain functions of a path (``.dcm``, ``.dcm.gz`` or MIMIC-CXR-JPG ``.jpg``), each in the module of its idea
and all importable from here:

* :func:`read_header` (this module) - the tags users of this dataset care about, as plain Python values,
  without pixels.
* :func:`read_stored` (:mod:`cxrkit.decode`) - the stored integer pixel values, any transfer syntax (what
  :mod:`cxrkit.imagestats` counts).
* :func:`read_modality`, :func:`read_image` (:mod:`cxrkit.picture`) - modality values with their display
  info, and the display-ready 2-D ``float32`` picture in [0, 1], bone white whatever the
  PhotometricInterpretation: modality LUT, then VOI LUT or window, then MONOCHROME1 inversion.
  :func:`apply_window` and :func:`block_mean` (:mod:`cxrkit.display`) are the array math behind it.
* :func:`to_png`, :func:`to_jpeg`, :func:`thumbnail`, :func:`dicom_to_mimic_jpg` (:mod:`cxrkit.outputs`) -
  8-bit bytes for widgets, PNG thumbnails cached by file identity, the MIMIC-CXR-JPG recipe on a DICOM file.

Headers of plain little-endian files are read by :mod:`cxrkit.dicomhead`, which walks the first kilobytes of
the file and decodes only the wanted tags (about 4x cheaper than ``pydicom.dcmread(stop_before_pixels=True)``);
anything unusual (big endian, deflate, no preamble, odd encodings) goes through pydicom, and both give the
same dictionary. Tables over many files live in :mod:`cxrkit.imagestats`. Every error is an
:class:`~cxrkit.errors.ImageReadError` subclass naming the file and saying what to do.

Examples
--------
>>> import cxrkit
>>> from cxrkit.images import read_header, read_image, to_png
>>> ds = cxrkit.open_dataset()  # the demo, or $CXRKIT_ROOT
>>> path = ds.study(ds.records().collect()["study_id"][0]).images[0].path
>>> header, picture = read_header(path), read_image(path, max_size=512)
>>> f = -(-max(header["Rows"], header["Columns"]) // 512)  # averaged over f x f blocks
>>> picture.dtype, picture.shape == (header["Rows"] // f, header["Columns"] // f)
(dtype('float32'), True)
>>> to_png(picture)[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
True
"""

from __future__ import annotations

import importlib
import os
import struct
import warnings
from typing import TYPE_CHECKING, Any

from . import dicomhead as dh
from . import layout, storage
from .display import apply_window, block_mean  # re-exported: part of this module's API
from .errors import CorruptFileError, CxrkitError, ImageReadError, InvalidPathError

if TYPE_CHECKING:  # defined in the modules of their idea, re-exported lazily (see __getattr__ at the end)
    from .decode import read_stored
    from .outputs import dicom_to_mimic_jpg, thumbnail, to_jpeg, to_png
    from .picture import read_image, read_modality

__all__ = [
    "HEADER_KEYS",
    "CorruptImageError",
    "NotAnImageError",
    "UndecodableImageError",
    "UnsupportedImageError",
    "apply_window",
    "block_mean",
    "dicom_to_mimic_jpg",
    "read_header",
    "read_image",
    "read_modality",
    "read_stored",
    "thumbnail",
    "to_jpeg",
    "to_png",
]



class NotAnImageError(ImageReadError):
    """The file is neither DICOM nor JPEG (e.g. a report or an HTML error page saved under a ``.dcm`` name)."""


class CorruptImageError(ImageReadError, CorruptFileError):
    """The file is damaged: truncated, a cut gzip stream, no pixel data, or an absurd Rows/Columns."""


class _ImageErrors:
    """``with _image_errors:`` turns a :class:`~cxrkit.errors.CorruptFileError` from :mod:`cxrkit.storage`
    into a :class:`CorruptImageError` with the same message (the image functions raise image errors)."""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> bool:
        if kind is not None and issubclass(kind, CorruptFileError) and not issubclass(kind, CorruptImageError):
            raise CorruptImageError(str(exc)) from exc
        return False


_image_errors = _ImageErrors()


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


def _read_head(path: str | os.PathLike, limit: int) -> bytes:
    """:func:`cxrkit.storage.read_head` (for ``.gz`` only as much of the stream as the head takes), with
    image errors."""
    try:
        return storage.read_head(path, limit)
    except CorruptFileError as exc:
        raise CorruptImageError(str(exc)) from exc


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
        with _image_errors:
            size = storage.gzip_size(path)
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
        with storage.open_binary(path) as fh, warnings.catch_warnings(record=True) as caught:
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
    except CorruptFileError as exc:  # a cut or broken stream (storage's error, named for images)
        if isinstance(exc, CorruptImageError):
            raise
        raise CorruptImageError(str(exc)) from exc
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
    >>> import cxrkit
    >>> ds = cxrkit.open_dataset()  # the demo, or $CXRKIT_ROOT
    >>> path = ds.study(ds.records().collect()["study_id"][0]).images[0].path
    >>> h = read_header(path)
    >>> list(h) == list(HEADER_KEYS), h["Modality"], h["ViewPosition"] in ("PA", "AP", "LATERAL", "LL")
    (True, 'DX', True)
    >>> type(h["study_id"]).__name__, type(h["StudyDate"]).__name__, h["Rows"] > 0
    ('int', 'date', True)
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


# --- the rest of the family -----------------------------------------------------------------------------

#: Public names defined in the modules of their own idea, loaded on first use (those modules import the
#: helpers above, and ``import cxrkit.images`` stays cheap).
_ELSEWHERE = {
    "read_stored": "decode", "read_modality": "picture", "read_image": "picture", "to_png": "outputs",
    "to_jpeg": "outputs", "thumbnail": "outputs", "dicom_to_mimic_jpg": "outputs",
}  # fmt: skip


def __getattr__(name: str) -> Any:
    if name not in _ELSEWHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_ELSEWHERE[name]}", __package__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_ELSEWHERE})
