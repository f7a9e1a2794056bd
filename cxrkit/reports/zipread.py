"""The reports zip, read in place: members of ``mimic-cxr-reports.zip`` found and inflated, never extracted.

* :func:`find_zip_member` names a study's report inside the zip, whatever its top folder;
  :func:`read_zip_report` reads one member as text (through ``zipfile``, any compression).
* :func:`report_members` lists a zip's report members in file order: where each one's bytes lie, its CRC and
  compression, the ids parsed from its name. The central directory (zip64 too: the real zip has 227,835
  members) is read with ``struct`` and numpy, without ``zipfile``'s object per member; a zip whose directory
  is lost (a truncated download) is read by scanning its local headers, and ``detail["recovered"]`` says so.
* :func:`read_members` reads a run of neighbouring members with one read of the file and inflates each with
  ``zlib``: a frame of ``path, text, error`` in which a member that cannot be read is an error row naming it.

The corpus ingest of :mod:`cxrkit.reports.corpus` reads the zip through :func:`report_members` and
:func:`read_members`, chunk by chunk; texts are decoded by :func:`cxrkit.reports.decode_report`.

Examples
--------
>>> import tempfile, zipfile, pathlib
>>> z = pathlib.Path(tempfile.mkdtemp()) / "mimic-cxr-reports.zip"
>>> with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
...     zf.writestr("mimic-cxr-reports/files/p10/p10000032/s50414267.txt", " FINDINGS: Clear.\\r\\n")
...     zf.writestr("mimic-cxr-reports/README.txt", "not a report")
>>> find_zip_member(z, 10000032, 50414267)
'mimic-cxr-reports/files/p10/p10000032/s50414267.txt'
>>> detail = {}
>>> members = report_members(z, detail)
>>> members.select("name", "subject_id", "study_id").row(0), detail["skipped_members"]
(('mimic-cxr-reports/files/p10/p10000032/s50414267.txt', 10000032, 50414267), 1)
>>> read_members(str(z), members.select(MEMBER_FIELDS).rows())["text"].to_list()
[' FINDINGS: Clear.\\n']
"""

from __future__ import annotations

import os
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import polars as pl

from .. import layout
from ..errors import ReportReadError
from ..storage.cache import file_identity
from .encoding import MAX_REPORT_BYTES, decode_report, inflate_report, read_capped, report_too_large

__all__ = [
    "MEMBER_FIELDS",
    "TEXT_SCHEMA",
    "Member",
    "find_zip_member",
    "read_members",
    "read_zip_report",
    "report_members",
]

#: A member as :func:`read_members` takes it: (name, header offset, end of its bytes, compressed size, CRC,
#: compression method, flag bits), the columns :data:`MEMBER_FIELDS` of :func:`report_members`.
Member = tuple[str, int, int, int, int, int, int]
MEMBER_FIELDS = ("name", "offset", "end", "csize", "crc", "method", "flags")
#: The columns of :func:`read_members`: the member's name as ``path``, its text, or the error that names it.
TEXT_SCHEMA = {"path": pl.String, "text": pl.String, "error": pl.String}


# --- one report ---------------------------------------------------------------------------------------------


def read_zip_report(zip_path: str | os.PathLike, member: str) -> str:
    """One member of a zip as report text (see :func:`~cxrkit.reports.decode_report`).

    Raises
    ------
    ReportReadError
        The zip has no such member, or it cannot be read; the message names both.
    """
    where = f"member {member!r} of {zip_path}"
    try:
        with zipfile.ZipFile(zip_path) as zf:
            info = zf.getinfo(member)
            if info.file_size > MAX_REPORT_BYTES:  # what the directory declares
                raise report_too_large(where, info.file_size)
            with zf.open(info) as fh:  # and what it inflates to: the declared size may lie
                raw = read_capped(fh)
            if len(raw) > MAX_REPORT_BYTES:
                raise report_too_large(where)
            return decode_report(raw)
    except KeyError as exc:
        raise ReportReadError(f"{zip_path}: the zip has no member {member!r}") from exc
    except (OSError, zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise ReportReadError(f"cannot read member {member!r} of {zip_path}: {exc}") from exc


@lru_cache(maxsize=4)
def _zip_report_index(path: str, *identity: int) -> dict[int, str]:
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
    parsed = pl.DataFrame({"name": names}).with_columns(layout.parse_path_expr("name")).unnest("parsed")
    parsed = parsed.filter(pl.col("ext") == layout.REPORT_EXTENSION)
    return dict(zip(parsed["study_id"].to_list(), parsed["name"].to_list()))


def find_zip_member(zip_path: str | os.PathLike, subject_id: object, study_id: object) -> str | None:
    """The member name of a study's report inside the reports zip, whatever its top folder;
    ``None`` if absent.

    The zip's member list is read once per zip (and again when the zip changes).

    Raises
    ------
    ReportReadError
        The zip cannot be opened.
    """
    try:
        index = _zip_report_index(*file_identity(zip_path))
    except (OSError, zipfile.BadZipFile) as exc:
        raise ReportReadError(f"cannot open the reports zip {zip_path}: {exc}; re-download it") from exc
    name = index.get(layout.study_id(study_id))
    if name is None or layout.parse_path(name).subject_id != layout.subject_id(subject_id):
        return None
    return name


# --- the members: the central directory, or the local headers of a truncated zip ----------------------------


@dataclass
class _LocalEntry:
    """A member found by scanning local headers (the attributes of ``zipfile.ZipInfo`` that are used here)."""

    filename: str
    header_offset: int
    compress_size: int
    CRC: int
    compress_type: int
    flag_bits: int

    def is_dir(self) -> bool:
        return self.filename.endswith("/")


def _scan_local_headers(zip_path: Path) -> tuple[list[_LocalEntry], int]:
    """Members of a zip whose central directory is lost (a truncated download), found by walking the local
    headers from the start. Stops at the first entry it cannot size (data descriptors,
    zip64) or at the end."""
    import struct

    data = zip_path.read_bytes()
    entries: list[_LocalEntry] = []
    pos = 0
    while pos + 30 <= len(data) and data[pos : pos + 4] == b"PK\x03\x04":
        header = struct.unpack("<HHHHHIIIHH", data[pos + 4 : pos + 30])
        _ver, flags, method, _time, _date, crc, csize, _usize, nlen, elen = header
        if flags & 0x8 or csize == 0xFFFFFFFF:
            break
        name = data[pos + 30 : pos + 30 + nlen].decode(
            "utf-8" if flags & 0x800 else "cp437", errors="replace"
        )
        entries.append(_LocalEntry(name, pos, csize, crc, method, flags))
        pos += 30 + nlen + elen + csize
    return entries, min(pos, len(data))


_ENTRY_SCHEMA = {
    "name": pl.String,
    "offset": pl.Int64,
    "csize": pl.Int64,
    "crc": pl.Int64,
    "method": pl.Int64,
    "flags": pl.Int64,
}


def _central_directory(zip_path: Path) -> tuple[pl.DataFrame, int] | None:
    """The entries of a plain zip's central directory as a frame, read with ``struct`` (no ``ZipInfo``
    object per entry, unlike ``zipfile``), and where the directory starts. ``None`` for anything unusual
    (zip64, data before the archive, a damaged directory): the caller then asks ``zipfile``."""
    import struct

    with open(zip_path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        fh.seek(max(0, size - 65_557))
        tail = fh.read()
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < 22:
            return None
        _d1, _d2, _n1, count, cd_size, cd_offset, _clen = struct.unpack("<HHHHIIH", tail[at + 4 : at + 22])
        cd_end = size - (len(tail) - at)
        zip64 = at >= 20 and tail[at - 20 : at - 16] == b"PK\x06\x07"  # e.g. more than 65,535 members
        if zip64:
            (z64_at,) = struct.unpack("<Q", tail[at - 12 : at - 4])
            fh.seek(z64_at)
            record = fh.read(56)
            if len(record) < 56 or record[:4] != b"PK\x06\x06":
                return None
            count, cd_size, cd_offset = struct.unpack("<QQQ", record[32:56])
            cd_end = z64_at
        if cd_offset + cd_size != cd_end or (
            not zip64 and (count == 0xFFFF or 0xFFFFFFFF in (cd_size, cd_offset))
        ):
            return None
        fh.seek(cd_offset)
        data = fh.read(cd_size)
    fast = central_entries(data, count)
    if fast is not None:
        return fast, cd_offset
    cols: dict[str, list[Any]] = {k: [] for k in _ENTRY_SCHEMA}
    pos = 0
    unpack = struct.Struct("<4s4xHH4xIIIHHH8xI").unpack_from  # 46-byte central header
    for _ in range(count):
        if pos + 46 > len(data):
            return None
        sig, flags, method, crc, csize, usize, nlen, elen, clen, offset = unpack(data, pos)
        if sig != b"PK\x01\x02" or 0xFFFFFFFF in (csize, usize, offset):
            return None
        raw = data[pos + 46 : pos + 46 + nlen]
        cols["name"].append(raw.decode("utf-8" if flags & 0x800 else "cp437", errors="replace"))
        cols["offset"].append(offset)
        cols["csize"].append(csize)
        cols["crc"].append(crc)
        cols["method"].append(method)
        cols["flags"].append(flags)
        pos += 46 + nlen + elen + clen
    return pl.DataFrame(cols, schema=_ENTRY_SCHEMA), cd_offset


def central_entries(data: bytes, count: int) -> pl.DataFrame | None:
    """The central directory's ``count`` headers read with numpy (the loop in :func:`_central_directory` reads
    them one by one, a Python step per entry): every ``PK\\1\\2`` signature is found, and the entries are
    accepted only when they chain exactly (each header's sizes lead to the next signature, the first at 0).
    ``None`` when they do not (e.g. a signature inside a name), or for zip64 values: the loop decides then."""
    import numpy as np

    d = np.frombuffer(data, np.uint8)
    if len(d) < 46:
        return None
    at = np.flatnonzero((d[:-3] == 0x50) & (d[1:-2] == 0x4B) & (d[2:-1] == 1) & (d[3:] == 2))
    if len(at) != count or not count or at[0] != 0 or at[-1] + 46 > len(d):
        return None

    def field(offset: int, size: int) -> np.ndarray:
        value = np.zeros(len(at), np.int64)
        for k in range(size):
            value |= d[at + offset + k].astype(np.int64) << (8 * k)
        return value

    nlen, elen, clen = field(28, 2), field(30, 2), field(32, 2)
    after = at + 46 + nlen + elen + clen
    if np.any(after[:-1] != at[1:]) or after[-1] > len(d):
        return None
    flags, method, crc, csize, usize, offset = (
        field(8, 2),
        field(10, 2),
        field(16, 4),
        field(20, 4),
        field(24, 4),
        field(42, 4),
    )
    if np.any((csize == 0xFFFFFFFF) | (usize == 0xFFFFFFFF) | (offset == 0xFFFFFFFF)):
        return None
    # the names: all ASCII (the usual case) read the same in UTF-8, cp437 and latin-1, so one latin-1 decode
    # of the directory is sliced; anything else is decoded name by name
    text = data.decode("latin-1")
    first = at + 46
    names = [text[a:b] for a, b in zip(first.tolist(), (first + nlen).tolist())]
    if not "".join(names).isascii():
        utf8 = (flags & 0x800 != 0).tolist()
        names = [
            data[a:b].decode("utf-8" if u else "cp437", errors="replace")
            for a, b, u in zip(first.tolist(), (first + nlen).tolist(), utf8)
        ]
    return pl.DataFrame(
        {"name": names, "offset": offset, "csize": csize, "crc": crc, "method": method, "flags": flags},
        schema=_ENTRY_SCHEMA,
    )


def _entries_frame(infos: Sequence[Any]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "name": [i.filename for i in infos],
            "offset": [i.header_offset for i in infos],
            "csize": [i.compress_size for i in infos],
            "crc": [i.CRC for i in infos],
            "method": [i.compress_type for i in infos],
            "flags": [i.flag_bits for i in infos],
        },
        schema=_ENTRY_SCHEMA,
    )


def report_members(zip_path: str | os.PathLike, detail: dict[str, Any] | None = None) -> pl.DataFrame:
    """The report members of a zip in file order (the :data:`MEMBER_FIELDS`, then ``subject_id, study_id``
    parsed from the name), counting in ``detail`` the members that are not reports and the duplicates.

    A zip whose central directory is unreadable (truncated) is read by scanning its local headers; the members
    found are ingested (the cut one gets an error row) and ``detail["recovered"]`` says so.

    Raises
    ------
    ReportReadError
        Neither the central directory nor the local headers give a member: the zip is not one, or is cut
        inside its first member."""
    zip_path = Path(zip_path)
    detail = {} if detail is None else detail
    try:
        found = _central_directory(zip_path)
    except OSError:
        found = None
    if found is not None:
        entries, central = found
    else:
        try:
            with zipfile.ZipFile(zip_path) as zf:
                entries, central = _entries_frame(zf.infolist()), zf.start_dir
        except (OSError, zipfile.BadZipFile, EOFError, ValueError) as exc:
            try:
                infos, central = _scan_local_headers(zip_path)
            except OSError:
                infos = []
            if not infos:
                raise ReportReadError(
                    f"cannot open the reports zip {zip_path}: {exc}. It is corrupt or truncated; re-download "
                    "mimic-cxr-reports.zip (or pass the extracted dataset root instead)"
                ) from exc
            entries = _entries_frame(infos)
            detail["recovered"] = (
                f"the zip's central directory is unreadable ({exc}): probably a truncated download; "
                f"{len(infos)} member(s) recovered by scanning local headers. "
                "Re-download it for the full corpus."
            )
    # where each member's bytes end: the next local header in the file, or the central directory
    ends = (
        entries.select("offset")
        .unique()
        .sort("offset")
        .with_columns(pl.col("offset").shift(-1).fill_null(central).alias("end"))
    )
    entries = (
        entries.join(ends, on="offset", how="left", maintain_order="left")
        .with_columns(pl.when(pl.col("offset") < central).then(pl.col("end")).otherwise(pl.col("offset")))
        .filter(~pl.col("name").str.ends_with("/"))  # folders
        .with_columns(layout.parse_path_expr("name"))
        .unnest("parsed")
    )
    is_report = (pl.col("ext") == layout.REPORT_EXTENSION).fill_null(False)
    skipped = entries.filter(~is_report)["name"]
    detail["skipped_members"] = skipped.len()
    detail["skipped_examples"] = skipped.head(5).to_list()
    reports = entries.filter(is_report)
    unique = reports.unique(["subject_id", "study_id"], keep="first", maintain_order=True)
    detail["duplicates"] = reports.height - unique.height
    return unique.sort("offset").select(*MEMBER_FIELDS, "subject_id", "study_id")


#: Deflate inflates at most 1032 bytes per compressed byte: a member this small stays under MAX_REPORT_BYTES.
_SAFE_CSIZE = MAX_REPORT_BYTES // 1032

# --- reading a run of members -------------------------------------------------------------------------------


def _read_member(zip_path: str, buf: bytes, lo: int, member: Member) -> str:
    import struct

    name, offset, _end, csize, crc, method, flags = member
    h = offset - lo
    if buf[h : h + 4] != b"PK\x03\x04":
        raise ReportReadError(f"{zip_path}: member {name!r} has no local header at {offset} (corrupt zip)")
    if flags & 0x1:
        raise ReportReadError(f"{zip_path}: member {name!r} is encrypted")
    (declared,) = struct.unpack("<I", buf[h + 22 : h + 26])  # 0 with a data descriptor: inflating decides
    nlen, elen = struct.unpack("<HH", buf[h + 26 : h + 30])
    start = h + 30 + nlen + elen
    data = buf[start : start + csize]
    where = f"{zip_path}: member {name!r}"
    if declared > MAX_REPORT_BYTES or (method == zipfile.ZIP_STORED and csize > MAX_REPORT_BYTES):
        raise report_too_large(where, max(declared, csize if method == zipfile.ZIP_STORED else 0))
    if len(data) < csize:
        raise ReportReadError(f"{where} is truncated")
    if method == zipfile.ZIP_STORED:
        raw = data
    elif method == zipfile.ZIP_DEFLATED:
        raw = inflate_report(data, where)
    else:  # bzip2, lzma: rare, let zipfile do it
        return read_zip_report(zip_path, name)
    if zlib.crc32(raw) != crc:
        raise ReportReadError(f"{zip_path}: member {name!r} fails its CRC check (corrupt zip)")
    return decode_report(raw)


def read_members(zip_path: str, members: list[Member]) -> pl.DataFrame:
    """Read a run of members that lie next to each other in the zip with one read, then decode each.

    ``members`` are :data:`Member` tuples (rows of :func:`report_members`); the frame has :data:`TEXT_SCHEMA`,
    a row per member in their order. A member that cannot be read (corrupt, cut, encrypted) is a row with a
    null ``text`` and an ``error`` naming it; only a zip that cannot be opened at all raises."""
    lo = min(m[1] for m in members)
    hi = max(m[2] for m in members)
    try:
        with open(zip_path, "rb") as fh:
            fh.seek(lo)
            buf = fh.read(hi - lo)
    except OSError as exc:
        raise ReportReadError(f"cannot read the reports zip {zip_path}: {exc}") from exc
    import struct

    texts: list[str | None] = []
    errors: list[str | None] = []
    # The common case inline (a deflated member with its local header where the directory says, inflating to
    # its CRC, plain UTF-8 with \n line ends): no copies of the compressed bytes, no per-member calls.
    # Anything else goes through _read_member, which gives the same text or names the problem.
    view = memoryview(buf)
    lengths = struct.Struct("<HH").unpack_from
    decompress, crc32, size = zlib.decompress, zlib.crc32, len(buf)
    for member in members:
        _name, offset, _end, csize, crc, method, flags = member
        h = offset - lo
        if (
            method == zipfile.ZIP_DEFLATED
            and csize <= _SAFE_CSIZE  # cannot inflate past the cap: no cap needed here
            and not flags & 0x1
            and buf.startswith(b"PK\x03\x04", h)
        ):
            nlen, elen = lengths(buf, h + 26)
            start = h + 30 + nlen + elen
            if start + csize <= size:
                try:
                    raw = decompress(view[start : start + csize], -15)
                except zlib.error:
                    raw = None
                if raw is not None and crc32(raw) == crc:
                    text = raw.decode("utf-8", errors="cxrkit-latin1")
                    if "\r" in text or text.startswith("\ufeff"):
                        text = decode_report(raw)
                    texts.append(text)
                    errors.append(None)
                    continue
        try:
            texts.append(_read_member(zip_path, buf, lo, member))
            errors.append(None)
        except ReportReadError as exc:
            texts.append(None)
            errors.append(str(exc))
    names = [m[0] for m in members]
    return pl.DataFrame({"path": names, "text": texts, "error": errors}, schema=TEXT_SCHEMA)
