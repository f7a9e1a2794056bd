"""Image headers: the tags users of this dataset care about, as plain Python values, without pixels.

:func:`read_header` reads them from a file (``.dcm``, ``.dcm.gz``, MIMIC-CXR-JPG ``.jpg``);
:func:`header_from_bytes` from the first bytes of one (a ranged read of a remote file). Plain little-endian
files are parsed by :mod:`cxrkit.images._dicomhead`, which walks the first kilobytes and decodes only the
wanted tags (less work than ``pydicom.dcmread(stop_before_pixels=True)``); anything unusual (big endian,
deflate, no preamble, odd encodings) goes through pydicom, and both give the same dictionary.

Examples
--------
>>> import cxrkit
>>> ds = cxrkit.open_dataset()  # the demo, or $CXRKIT_ROOT
>>> path = ds.study(ds.records().collect()["study_id"][0]).images[0].path
>>> header = read_header(path)
>>> header["Modality"], header == header_from_bytes(path.read_bytes()[:8192], path)
('DX', True)
"""

from __future__ import annotations

import io
import os
import struct
import zlib
from typing import Any

from ..errors import CorruptImageError, NotAnImageError
from ..storage.files import gzip_size
from . import _dicomhead as dh
from ._deflated import read_dicom
from ._files import HEAD_ROOM, dcmread, file_kind, image_errors, jpg_bomb, open_jpg, path_ids, read_head

__all__ = ["HEADER_KEYS", "header_from_bytes", "read_header"]


#: The keys of :func:`read_header`, in order. Ids are snake_case and come from the path (``None`` when the
#: path is not MIMIC-shaped); the rest are DICOM keywords, except the three ``...CodeMeaning`` /
#: ``PatientOrientation`` fields which hold the CodeMeaning of the first item of ViewCodeSequence,
#: ProcedureCodeSequence and PatientOrientationCodeSequence (``Erect``, ``Recumbent``).
HEADER_KEYS = (
    "subject_id", "study_id", "dicom_id", "Modality", "ViewPosition", "ViewCodeMeaning",
    "PerformedProcedureStepDescription", "ProcedureCodeMeaning", "PatientOrientation", "StudyDate",
    "StudyTime", "Rows", "Columns", "SamplesPerPixel", "NumberOfFrames", "PhotometricInterpretation",
    "BitsAllocated", "BitsStored", "PixelRepresentation", "TransferSyntaxUID", "WindowCenter", "WindowWidth",
    "RescaleSlope", "RescaleIntercept", "PixelSpacing",
)  # fmt: skip


def parse_file_head(
    path: str | os.PathLike, stop: int
) -> tuple[str, dict[int, Any], int, bool, bytes] | None:
    """The fast parser over a growing head of the file, up to tag ``stop``: ``(transfer syntax, raw values,
    position of the stop tag, explicit VR, the head)``; ``None`` when pydicom should read the file instead."""
    limit = 1 << 13
    while True:
        buf = read_head(path, limit)
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
    if file_kind(path) == "gz":
        with image_errors:
            size = gzip_size(path)
        if not 0 <= size - end % (1 << 32) < 1 << 20:
            raise CorruptImageError(
                f"{path}: the gzip stream is cut or damaged (its trailer does not match the pixel data, "
                f"which ends at byte {end}); re-download the file"
            )
        return
    size = os.path.getsize(path)
    if end > size:
        raise CorruptImageError(
            f"{path}: truncated: the pixel data ends at byte {end} but the file has {size} bytes; "
            "the download was cut: re-download the file"
        )


def fast_header(path: str | os.PathLike, check_extent: bool = False) -> dict[str, Any] | None:
    parsed = parse_file_head(path, dh.PIXEL_DATA if check_extent else dh.LAST_HEADER_TAG + 1)
    if parsed is None:
        return None
    ts, found, pos, explicit, buf = parsed
    if check_extent and pos + 12 <= len(buf):
        _check_extent(path, pos, explicit, buf)
    return dh.raw_values(ts, found)


def pydicom_header(path: str | os.PathLike) -> dict[str, Any]:
    return _pydicom_values(dcmread(path, stop_before_pixels=True))


def _pydicom_values(ds: Any) -> dict[str, Any]:
    values: dict[str, Any] = {"TransferSyntaxUID": dh.clean(ds.file_meta.get("TransferSyntaxUID"))}
    for key, kind in dh.TAGS.values():
        keyword = dh.KEYWORDS.get(key, key)
        value = ds.get(keyword)
        if kind == "code":
            value = value[0].get("CodeMeaning") if value else None
        values[key] = dh.convert(kind, value)
    return values


def _jpg_header(path: str | os.PathLike) -> dict[str, Any]:
    with open_jpg(path) as im:
        return _jpg_fields(im)


def _jpg_fields(im: Any) -> dict[str, Any]:
    samples = len(im.getbands())
    return {
        "TransferSyntaxUID": None,
        **{key: None for key, _ in dh.TAGS.values()},
        "Rows": im.height,
        "Columns": im.width,
        "SamplesPerPixel": samples,
        "PhotometricInterpretation": "MONOCHROME2" if samples == 1 else "RGB",
        "BitsAllocated": 8,
        "BitsStored": 8,
        "PixelRepresentation": 0,
    }


def read_header(path: str | os.PathLike, *, check_extent: bool = False) -> dict[str, Any]:
    """The tags a MIMIC-CXR user cares about, as plain Python values, without reading pixel data.

    Parameters
    ----------
    path
        A ``.dcm``, ``.dcm.gz`` (only the header bytes are decompressed) or MIMIC-CXR-JPG ``.jpg`` file.
    check_extent
        Also check, cheaply, that the file holds all of its uncompressed pixel data (the file size; a
        ``.dcm.gz``'s trailer): a download cut inside the pixel data then raises :class:`CorruptImageError`
        (what the header tables want; compressed pixel data is only checked by decoding it).

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
    cxrkit.errors.NotAnImageError, cxrkit.errors.CorruptImageError, cxrkit.errors.MissingFileError

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
    if file_kind(path) == "jpg":
        values = _jpg_header(path)
    else:
        values = fast_header(path, check_extent) or pydicom_header(path)
    return _finish(values, path)


def _finish(values: dict[str, Any], path: str | os.PathLike) -> dict[str, Any]:
    if values.get("PixelSpacing") is None:
        values["PixelSpacing"] = values.get("ImagerPixelSpacing")
    values.pop("ImagerPixelSpacing", None)
    values.update(path_ids(path))
    return {key: values.get(key) for key in HEADER_KEYS}


def header_from_bytes(
    head: bytes, path: str | os.PathLike, *, complete: bool = True
) -> dict[str, Any] | None:
    """:func:`read_header` of the first bytes of a file, as stored (a ``.dcm.gz``'s are compressed).

    Parameters
    ----------
    head
        The file's first bytes.
    path
        The file's name or path: its extension tells the format, its MIMIC-shaped tail gives the ids.
    complete
        Whether ``head`` is the whole file. When it is not and the header goes on past ``head``, the answer is
        ``None``: read more bytes and ask again.

    Raises
    ------
    cxrkit.errors.NotAnImageError, cxrkit.errors.CorruptImageError

    Examples
    --------
    >>> import cxrkit
    >>> path = cxrkit.open_dataset().image_files()["file"][0]
    >>> header_from_bytes(open(path, "rb").read(64), path, complete=False) is None  # the header goes on
    True
    """
    kind = file_kind(path)
    if kind == "jpg":
        return _finish(_jpg_values(head, path), path)
    buf = head
    if kind == "gz":
        try:
            buf = zlib.decompressobj(wbits=31).decompress(head, HEAD_ROOM)  # a header takes no more
        except zlib.error as exc:
            if complete or len(head) > 1 << 16:
                raise CorruptImageError(
                    f"{path}: not a gzip stream, or a damaged one ({exc}); re-download it"
                ) from exc
            return None
    try:
        ts, found, pos, _ = dh.parse_head(buf, dh.LAST_HEADER_TAG + 1)
        if pos >= len(buf) and not complete:
            return None
        values = dh.raw_values(ts, found)
    except dh.Truncated:
        if complete:
            raise CorruptImageError(
                f"{path}: the DICOM header is truncated (the file ends after {len(buf)} bytes); "
                "the download was cut: re-download the file"
            ) from None
        return None
    except (dh.Unusual, struct.error):
        values = None
    if values is None:
        from pydicom.errors import InvalidDicomError

        try:
            ds = read_dicom(io.BytesIO(buf), path, limit=HEAD_ROOM, stop_before_pixels=True)
            if not complete and ds.get("Rows") is None:
                return None  # the head ended in the file meta or before the image tags: read more
            values = _pydicom_values(ds)
        except InvalidDicomError as exc:
            if not complete and len(buf) < 132:  # not even the preamble yet
                return None
            raise NotAnImageError(f"{path}: not a DICOM file ({exc})") from exc
        except Exception as exc:
            if not complete:
                return None
            raise CorruptImageError(
                f"{path}: cannot parse the DICOM header ({type(exc).__name__}: {exc}); "
                "the file is probably truncated or damaged: re-download it"
            ) from exc
    return _finish(values, path)


def _jpg_values(head: bytes, path: str | os.PathLike) -> dict[str, Any]:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(head)) as im:
            return _jpg_fields(im)
    except Image.DecompressionBombError as exc:
        raise jpg_bomb(path, exc) from exc
    except (UnidentifiedImageError, OSError) as exc:
        raise NotAnImageError(f"{path}: not a JPEG image ({exc}); re-download the file") from exc
