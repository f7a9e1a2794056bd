"""Reading one report: a ``.txt`` (or ``.txt.gz``) file or a member of the reports zip, as text.

Examples
--------
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "s50000001.txt"
>>> _ = p.write_bytes(b" FINDINGS: Clear.\\r\\n")
>>> read_report(p)
' FINDINGS: Clear.\\n'
"""

from __future__ import annotations

import os
import zipfile
import zlib

from ..errors import CxrkitError, ReportReadError
from ..storage.files import open_binary
from .encoding import MAX_REPORT_BYTES, decode_report, read_capped, report_too_large
from .zipread import read_zip_report

__all__ = ["read_report"]


def read_report(path: str | os.PathLike | zipfile.Path, member: str | None = None) -> str:
    """Read one report as text with ``\\n`` line endings (see :func:`decode_report`).

    Parameters
    ----------
    path
        A report file (``.txt`` or ``.txt.gz``), a ``zipfile.Path`` pointing at a member, or the reports zip
        when ``member`` is given.
    member
        Name of a member inside the zip ``path`` (e.g. from :func:`find_zip_member`).

    Raises
    ------
    ReportReadError
        The file (or zip member) is missing or unreadable; the message names it.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "s50000001.txt"
    >>> _ = p.write_bytes(b" FINDINGS: Clear.\\r\\n")
    >>> read_report(p)
    ' FINDINGS: Clear.\\n'
    """
    if isinstance(path, zipfile.Path):
        try:
            with path.open("rb") as fh:
                raw = read_capped(fh)
            if len(raw) > MAX_REPORT_BYTES:
                raise report_too_large(f"report {path}")
            return decode_report(raw)
        except (OSError, KeyError, zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise ReportReadError(f"cannot read report {path}: {exc}") from exc
    if member is not None:
        return read_zip_report(path, member)
    try:
        with open_binary(
            path, limit=MAX_REPORT_BYTES, what="the report's bytes (a report may take 4 MiB)"
        ) as fh:
            return decode_report(fh.read())
    except (OSError, CxrkitError, EOFError) as exc:
        raise ReportReadError(f"cannot read report {path}: {exc}") from exc
