"""Opening image files with the image errors: what every module of :mod:`cxrkit.images` shares.

Examples
--------
>>> file_kind("a/b.dcm.gz"), file_kind("b.JPG"), file_kind("c.dcm")
('gz', 'jpg', 'dcm')
>>> path_ids("files/p10/p10000032/s50414267/02aa804e-bde0afdd-112c0b34-7bc16630-4e384014.dcm")["study_id"]
50414267
"""

from __future__ import annotations

import os
import warnings
from typing import Any

from .. import layout
from ..errors import (
    CorruptFileError,
    CorruptImageError,
    CxrkitError,
    InvalidPathError,
    MissingFileError,
    NotAnImageError,
)
from ..storage.files import open_binary
from ..storage.files import read_head as storage_read_head
from ._deflated import read_dicom

__all__ = [
    "HEAD_ROOM",
    "PIXEL_FACTOR",
    "data_limit",
    "dcmread",
    "file_kind",
    "image_errors",
    "jpg_bomb",
    "open_jpg",
    "path_ids",
    "pixel_bytes",
    "read_head",
]

#: Bytes of DICOM data accepted besides the pixels (the header, overlays, icons, padding). A read of the
#: header alone stops there; a file whose data goes on past what its header allows is refused (a bomb).
HEAD_ROOM = 16 << 20
#: How many times the pixel bytes the header declares the stored pixel data may take (compressed pixel data is
#: smaller than raw; lossless compression of noise grows it by a few percent at most).
PIXEL_FACTOR = 2


def file_kind(path: str | os.PathLike) -> str:
    """``"gz"`` (a ``.dcm.gz``), ``"jpg"`` or ``"dcm"``, from the file name."""
    name = os.fspath(path).lower()
    if name.endswith(".gz"):
        return "gz"
    if name.endswith((".jpg", ".jpeg")):
        return "jpg"
    return "dcm"


def path_ids(path: str | os.PathLike) -> dict[str, Any]:
    """``subject_id``, ``study_id``, ``dicom_id`` of an image path (``None`` each when not MIMIC-shaped)."""
    tail = "/".join(os.fspath(path).replace("\\", "/").rsplit("/", 4)[-4:])  # pNN/pSUBJECT/sSTUDY/FILE
    try:
        ids = layout.parse_path(tail)  # the short tail parses as the full path would, with less to scan
    except InvalidPathError:
        return {"subject_id": None, "study_id": None, "dicom_id": None}
    return {"subject_id": ids.subject_id, "study_id": ids.study_id, "dicom_id": ids.dicom_id}


class _ImageErrors:
    """``with image_errors:`` turns a :class:`~cxrkit.errors.CorruptFileError` from :mod:`cxrkit.storage`
    into a :class:`CorruptImageError` with the same message (the image functions raise image errors)."""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> bool:
        if (
            kind is not None
            and issubclass(kind, CorruptFileError)
            and not issubclass(kind, CorruptImageError)
        ):
            raise CorruptImageError(str(exc)) from exc
        return False


#: ``with image_errors:`` raises image errors for storage errors.
image_errors = _ImageErrors()


def read_head(path: str | os.PathLike, limit: int) -> bytes:
    """:func:`cxrkit.storage.read_head` (for ``.gz`` only as much of the stream as the head takes), with
    image errors."""
    try:
        return storage_read_head(path, limit)
    except CorruptFileError as exc:
        raise CorruptImageError(str(exc)) from exc


def pixel_bytes(info: dict[str, Any]) -> int:
    """The bytes of pixel data a header declares: Rows x Columns x SamplesPerPixel x BitsAllocated/8 x frames.

    Examples
    --------
    >>> pixel_bytes({"Rows": 3056, "Columns": 2544, "BitsAllocated": 16})
    15548928
    """

    def number(key: str, default: int) -> int:
        try:
            return max(1, int(info.get(key) or default))
        except (TypeError, ValueError):
            return default

    bits = min(number("BitsAllocated", 16), 64)
    frames = number("NumberOfFrames", 1)
    return number("Rows", 1) * number("Columns", 1) * number("SamplesPerPixel", 1) * -(-bits // 8) * frames


def data_limit(info: dict[str, Any]) -> int:
    """The most bytes of DICOM data (decompressed, for ``.dcm.gz``) the kit reads for an image with this
    header: :data:`PIXEL_FACTOR` times its :func:`pixel_bytes`, plus :data:`HEAD_ROOM`.

    Examples
    --------
    >>> data_limit({"Rows": 512, "Columns": 512, "BitsAllocated": 16}) == 2 * 512 * 512 * 2 + HEAD_ROOM
    True
    """
    return PIXEL_FACTOR * pixel_bytes(info) + HEAD_ROOM


def dcmread(path: str | os.PathLike, *, limit: int = HEAD_ROOM, **kwargs: Any):
    """``pydicom.dcmread`` with the kit's errors (naming the file and what to do), reading at most ``limit``
    bytes of data (:func:`data_limit` for the pixels; :data:`HEAD_ROOM` by default, enough for a header read
    with ``stop_before_pixels=True``): a file whose data goes on past it raises :class:`CorruptImageError`
    before more is read or inflated."""
    from pydicom.errors import InvalidDicomError

    what = (
        "the DICOM header's elements"
        if kwargs.get("stop_before_pixels")
        else f"the DICOM data (at most {PIXEL_FACTOR} x the pixel bytes its Rows, Columns, SamplesPerPixel "
        f"and BitsAllocated declare, plus {HEAD_ROOM >> 20} MiB for the rest)"
    )
    try:
        with open_binary(path, limit=limit, what=what) as fh, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ds = read_dicom(fh, path, limit=limit, **kwargs)
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
        raise CorruptImageError(
            f"{path}: cannot parse the DICOM header ({type(exc).__name__}: {exc}); "
            "the file is probably truncated or damaged: re-download it"
        ) from exc


def jpg_bomb(path: str | os.PathLike, exc: Exception) -> CorruptImageError:
    """The error for a JPEG whose declared size Pillow refuses (over twice ``PIL.Image.MAX_IMAGE_PIXELS``)."""
    return CorruptImageError(
        f"{path}: the JPEG declares an absurd size ({exc}); refused before reading further "
        "(a damaged file, or a decompression bomb)"
    )


def open_jpg(path: str | os.PathLike):
    """``PIL.Image.open`` with the kit's errors."""
    from PIL import Image, UnidentifiedImageError

    try:
        return Image.open(path)
    except FileNotFoundError as exc:
        raise MissingFileError(f"{path}: no such file") from exc
    except Image.DecompressionBombError as exc:
        raise jpg_bomb(path, exc) from exc
    except (UnidentifiedImageError, OSError) as exc:
        raise NotAnImageError(f"{path}: not a JPEG image ({exc}); re-download the file") from exc
