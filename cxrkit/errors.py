"""The kit's exceptions: one hierarchy rooted in :class:`CxrkitError`.

Every message names the value or file at fault, what was expected, and what to do.

Examples
--------
>>> from cxrkit.errors import CxrkitError, InvalidIdError
>>> issubclass(InvalidIdError, (CxrkitError, ValueError))
True
"""

from __future__ import annotations

from collections.abc import Iterable


class CxrkitError(Exception):
    """Base class of every error the kit raises on purpose."""


class InvalidIdError(CxrkitError, ValueError):
    """An identifier does not have the MIMIC-CXR shape
    (e.g. a study id that is not 8 digits starting with 5)."""


class InvalidPathError(CxrkitError, ValueError):
    """A path does not follow the ``files/pNN/pSUBJECT/sSTUDY/...`` layout."""


class NotADatasetError(CxrkitError, FileNotFoundError):
    """A root folder holds none of the files of a MIMIC-CXR or MIMIC-CXR-JPG copy."""


class TableError(CxrkitError):
    """A table file (``.csv.gz``) is unreadable: truncated, corrupt,
    missing columns or values of the wrong type."""


class MissingFileError(CxrkitError, FileNotFoundError):
    """A file the user asked for is not present in this copy (e.g. no chexpert labels, a partial download)."""


class StudyNotFoundError(CxrkitError, KeyError):
    """A study id that this copy does not list."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


class CorruptFileError(CxrkitError):
    """A file's bytes are damaged: a cut or broken ``.gz`` stream, data that ends early
    (:mod:`cxrkit.storage` raises it; :class:`CorruptImageError` is one too)."""


class ImageReadError(CxrkitError):
    """An image file cannot be read or decoded."""


class NotAnImageError(ImageReadError):
    """The file is neither DICOM nor JPEG (e.g. a report or an HTML error page saved under
    a ``.dcm`` name)."""


class CorruptImageError(ImageReadError, CorruptFileError):
    """The file is damaged: truncated, a cut gzip stream, no pixel data, or an absurd Rows/Columns."""


class UnsupportedImageError(ImageReadError):
    """A valid image the kit does not show: colour or multi-frame
    (MIMIC-CXR images are single grayscale frames)."""


class UndecodableImageError(ImageReadError):
    """No installed pixel decoder handles the file's transfer syntax (or every one of them failed)."""


class ReportReadError(CxrkitError):
    """A report file cannot be read."""


class RemoteError(CxrkitError, OSError):
    """A remote copy could not be reached or read (network error, unexpected answer, size mismatch)."""


class RemoteAuthError(RemoteError, PermissionError):
    """The server or object store refused the credentials (HTTP 401/403, access denied)."""

    status: int | str | None = None


class InvalidUrlError(CxrkitError, ValueError):
    """A URL the kit will not send anywhere: its credentials would be mis-split (an unencoded ``/``, ``?`` or
    ``#`` in a password), or it does not parse (a bad port, a control character).
    The message shows no secret."""


class MissingExtraError(CxrkitError, ImportError):
    """Opening a URL needs an optional extra that is not installed."""


class DemoError(CxrkitError, ValueError):
    """Invalid arguments to :func:`cxrkit.demo.make_demo` (unknown flavour, non-positive size...)."""


class DemoExistsError(CxrkitError, FileExistsError):
    """The demo destination already exists and ``overwrite`` was not given."""


class CacheError(CxrkitError):
    """The cache directory is unusable (e.g. it lies inside the dataset root)."""


class MissingColumnError(CxrkitError, KeyError):
    """A frame handed to the kit lacks a column the function needs."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


def require_columns(frame: object, columns: Iterable[str], what: str) -> None:
    """Raise :class:`MissingColumnError` naming the ``columns`` that ``what`` needs and ``frame`` (a polars
    DataFrame or LazyFrame; a lazy frame's schema is resolved, nothing is read) does not have.

    Examples
    --------
    >>> import polars as pl
    >>> require_columns(pl.DataFrame({"txt": ["x"]}), ["text"], "sections_frame")
    Traceback (most recent call last):
    ...
    cxrkit.errors.MissingColumnError: sections_frame needs column(s) text, which the frame lacks \
(it has: txt); name the right column in the call, or add it to the frame
    """
    names = frame.collect_schema().names() if hasattr(frame, "collect_schema") else list(frame.columns)  # type: ignore[attr-defined]
    missing = [c for c in columns if c not in names]
    if missing:
        raise MissingColumnError(
            f"{what} needs column(s) {', '.join(missing)}, which the frame lacks "
            f"(it has: {', '.join(names) or 'none'})"
            "; name the right column in the call, or add it to the frame"
        )


class CohortError(CxrkitError, ValueError):
    """A cohort step cannot be built: an unknown category, view or split, a table or the reports the step
    needs are not in this copy (:mod:`cxrkit.cohorts`)."""


class EmptyCohortError(CohortError):
    """A cohort step left no image; the message names the step and what was left before it."""


class ManifestError(CxrkitError):
    """A cohort manifest cannot be read: not a cxrkit manifest, written by a newer kit, or for another
    dataset."""
