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

__all__ = ["dcmread", "file_kind", "image_errors", "open_jpg", "path_ids", "read_head"]


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


def dcmread(path: str | os.PathLike, **kwargs: Any):
    """``pydicom.dcmread`` with the kit's errors (naming the file and what to do)."""
    import pydicom
    from pydicom.errors import InvalidDicomError

    try:
        with open_binary(path) as fh, warnings.catch_warnings(record=True) as caught:
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
        raise CorruptImageError(
            f"{path}: cannot parse the DICOM header ({type(exc).__name__}: {exc}); "
            "the file is probably truncated or damaged: re-download it"
        ) from exc


def open_jpg(path: str | os.PathLike):
    """``PIL.Image.open`` with the kit's errors."""
    from PIL import Image, UnidentifiedImageError

    try:
        return Image.open(path)
    except FileNotFoundError as exc:
        raise MissingFileError(f"{path}: no such file") from exc
    except (UnidentifiedImageError, OSError) as exc:
        raise NotAnImageError(f"{path}: not a JPEG image ({exc}); re-download the file") from exc
