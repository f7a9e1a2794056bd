"""Free-text reports: reading one, cutting it into sections, and ingesting the whole corpus as a frame.

* :func:`read_report` reads one report (a file, ``.txt.gz``, or a member of ``mimic-cxr-reports.zip``) whatever
  its line endings or encoding (:func:`decode_report`, from :mod:`cxrkit.encoding`).
* :func:`parse_sections` and :func:`sections_frame` (from :mod:`cxrkit.sections`, the section rules) cut one
  report, or a whole frame of them, into normalised sections (``findings``, ``impression``, ...).
* :func:`read_reports` ingests every report of a ``files/`` tree or of the reports zip, in parallel, cached as
  parquet; :func:`read_sections` adds the section columns (also cached).

Examples
--------
>>> text = " FINAL REPORT\\n INDICATION: Cough.\\n \\n FINDINGS: No effusion.\\n \\n IMPRESSION: Normal.\\n"
>>> parse_sections(text)["impression"]
'Normal.'
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import warnings
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import polars as pl

from . import layout
from .cache import Cache, file_identity, identity_key, pending, wait_for_writes, write_in_background
from .encoding import decode_report
from .errors import CxrkitError, ReportReadError
from .sections import PARSER_VERSION, SECTION_COLUMNS, SECTION_SYNONYMS, parse_sections, sections_frame
from .storage import read_bytes
from .tables import patient_dirs

__all__ = [
    "INGEST_VERSION",
    "PARSER_VERSION",
    "SECTION_COLUMNS",
    "SECTION_SYNONYMS",
    "ReportCorpus",
    "ReportIngestWarning",
    "decode_report",
    "find_zip_member",
    "ingest_reports",
    "parse_sections",
    "read_report",
    "read_reports",
    "read_sections",
    "sections_frame",
]

#: Version of the ingest (columns, decoding); part of the cache key of :func:`read_reports`.
INGEST_VERSION = 1

# --- reading one report -------------------------------------------------------------------------------


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
            return decode_report(path.read_bytes())
        except (OSError, KeyError, zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise ReportReadError(f"cannot read report {path}: {exc}") from exc
    if member is not None:
        try:
            with zipfile.ZipFile(path) as zf:
                return decode_report(zf.read(member))
        except KeyError as exc:
            raise ReportReadError(f"{path}: the zip has no member {member!r}") from exc
        except (OSError, zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise ReportReadError(f"cannot read member {member!r} of {path}: {exc}") from exc
    try:
        return decode_report(read_bytes(path))
    except (OSError, CxrkitError, EOFError) as exc:
        raise ReportReadError(f"cannot read report {path}: {exc}") from exc


@lru_cache(maxsize=4)
def _zip_report_index(path: str, size: int, mtime: int) -> dict[int, str]:
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
    parsed = pl.DataFrame({"name": names}).with_columns(layout.parse_path_expr("name")).unnest("parsed")
    parsed = parsed.filter(pl.col("ext") == layout.REPORT_EXTENSION)
    return dict(zip(parsed["study_id"].to_list(), parsed["name"].to_list()))


def find_zip_member(zip_path: str | os.PathLike, subject_id: object, study_id: object) -> str | None:
    """The member name of a study's report inside the reports zip, whatever its top folder; ``None`` if absent.

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


# --- corpus ingest ----------------------------------------------------------------------------------------

_VERSIONS = (INGEST_VERSION, PARSER_VERSION)
_SCHEMA = {"subject_id": pl.Int64, "study_id": pl.Int64, "text": pl.String, "path": pl.String, "error": pl.String}


class ReportIngestWarning(UserWarning):
    """Some reports of a corpus could not be read, or a zip held members that are not reports."""


@dataclass
class ReportCorpus:
    """What :func:`ingest_reports` returns: the frame and a ``detail`` dict of corpus-level facts.

    ``detail`` keys: ``source``, ``kind`` (``folder``, ``zip`` or ``paths``), ``reports`` (rows),
    ``errors`` (rows with an error), ``skipped_members`` and ``skipped_examples`` (zip members not shaped like a
    report), ``duplicates`` (zip members of a study already read), ``recovered`` (only for a truncated zip read
    by scanning its local headers: what happened), ``cached`` (read from the cache).
    """

    frame: pl.DataFrame
    detail: dict[str, Any] = field(default_factory=dict)


_CHUNK_SCHEMA = {"path": pl.String, "text": pl.String, "error": pl.String}
# (name, header offset, end of its bytes, compressed size, CRC, compression method, flag bits)
_Member = tuple[str, int, int, int, int, int, int]
_MEMBER_FIELDS = ("name", "offset", "end", "csize", "crc", "method", "flags")


def _read_files(root: str, rels: list[str]) -> pl.DataFrame:
    texts: list[str | None] = []
    errors: list[str | None] = []
    for rel in rels:
        path = os.path.join(root, rel)
        try:
            if path.endswith(".txt"):  # the hot path: a plain local file, opened directly (no Path objects)
                try:
                    with open(path, "rb") as fh:
                        texts.append(decode_report(fh.read()))
                    errors.append(None)
                    continue
                except OSError:
                    pass  # let read_report raise the error that names the file
            texts.append(read_report(path))
            errors.append(None)
        except ReportReadError as exc:
            texts.append(None)
            errors.append(str(exc))
    return pl.DataFrame({"path": rels, "text": texts, "error": errors}, schema=_CHUNK_SCHEMA)


def _read_patients(root: str, patient_dirs: list[str]) -> pl.DataFrame:
    """Read every report in these patient folders (``files/pNN/pSUBJECT``): the walk happens in the workers."""
    rels: list[str] = []
    failed: list[tuple[str, str]] = []
    for rel_dir in patient_dirs:
        try:
            with os.scandir(os.path.join(root, rel_dir)) as it:
                rels.extend(f"{rel_dir}/{e.name}" for e in it if layout.REPORT_NAME_RE.fullmatch(e.name) and e.is_file())
        except OSError as exc:
            failed.append((rel_dir, f"cannot list {os.path.join(root, rel_dir)}: {exc}"))
    rels.sort()
    frame = _read_files(root, rels)
    if failed:
        frame = pl.concat([frame, pl.DataFrame({"path": [f[0] for f in failed], "text": [None] * len(failed),
                                                "error": [f[1] for f in failed]}, schema=_CHUNK_SCHEMA)])
    return frame


def _read_chunk(task: tuple[str, str, list[Any], bool]) -> pl.DataFrame:
    """Read one chunk: patient folders, report paths or zip members."""
    kind, where, items, _ = task
    if kind == "zip":
        return _read_zip_members(where, items)
    if kind == "folder":
        return _read_patients(where, items)
    return _read_files(where, items)


def _sectioned(frame: pl.DataFrame) -> pl.DataFrame:
    """:func:`sections_frame` of a chunk; should it fail, the texts are kept (null sections) and ``error`` says why."""
    try:
        return sections_frame(frame)  # type: ignore[return-value]
    except Exception as exc:  # noqa: BLE001 - a bug in the rules must not lose the texts read
        message = pl.lit(f"cannot cut into sections: {type(exc).__name__}: {exc}")
        return frame.with_columns(pl.coalesce("error", message).alias("error"))


def _ingest_chunk(task: tuple[str, str, list[Any], bool]) -> dict[str, Any]:
    """Worker of a given executor: read one chunk, optionally section it."""
    frame = _read_chunk(task)
    return {"frame": _sectioned(frame) if task[3] else frame}


def _ingest_locally(tasks: list[tuple[str, str, list[Any], bool]], kind: str, progress: bool,
                    desc: str) -> list[dict[str, Any]]:
    """The default run, in threads of this process: reading holds the GIL (inflating, decoding, opening files)
    while sectioning runs in polars without it, so readers (:func:`_thread_workers`) hand each chunk to a pool
    of sectioning threads (one per CPU) as soon as it is read. Rows as :func:`cxrkit.scan.map_paths` gives them.

    A reader that also sectioned its own chunks (a plain pool over :func:`_ingest_chunk`) left a CPU idle
    whenever both threads were reading: 20-25% slower on the full zip."""
    from .scan import default_workers

    results: list[dict[str, Any]] = [{}] * len(tasks)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(tasks), desc=desc, unit="chunk")
    with (concurrent.futures.ThreadPoolExecutor(_thread_workers(kind)) as readers,
          concurrent.futures.ThreadPoolExecutor(default_workers()) as sectioners):
        live = {readers.submit(_read_chunk, task): (i, "read") for i, task in enumerate(tasks)}
        try:
            while live:
                done, _ = concurrent.futures.wait(live, return_when=concurrent.futures.FIRST_COMPLETED)
                for fut in done:
                    i, stage = live.pop(fut)
                    try:
                        frame = fut.result()
                    except Exception as exc:  # noqa: BLE001 - an unreadable chunk gets error rows, as in map_paths
                        results[i] = {"frame": None, "error": f"{type(exc).__name__}: {exc}"}
                    else:
                        if stage == "read" and tasks[i][3]:
                            live[sectioners.submit(_sectioned, frame)] = (i, "sections")
                            continue
                        results[i] = {"frame": frame, "error": None}
                    if bar is not None:
                        bar.update(1)
        finally:
            for fut in live:
                fut.cancel()
            if bar is not None:
                bar.close()
    return results


def _read_member(zip_path: str, buf: bytes, lo: int, member: _Member) -> str:
    import struct

    name, offset, _end, csize, crc, method, flags = member
    h = offset - lo
    if buf[h : h + 4] != b"PK\x03\x04":
        raise ReportReadError(f"{zip_path}: member {name!r} has no local header at {offset} (corrupt zip)")
    if flags & 0x1:
        raise ReportReadError(f"{zip_path}: member {name!r} is encrypted")
    nlen, elen = struct.unpack("<HH", buf[h + 26 : h + 30])
    start = h + 30 + nlen + elen
    data = buf[start : start + csize]
    if len(data) < csize:
        raise ReportReadError(f"{zip_path}: member {name!r} is truncated")
    if method == zipfile.ZIP_STORED:
        raw = data
    elif method == zipfile.ZIP_DEFLATED:
        try:
            raw = zlib.decompress(data, -15)
        except zlib.error as exc:
            raise ReportReadError(f"{zip_path}: member {name!r} is corrupt ({exc})") from exc
    else:  # bzip2, lzma: rare, let zipfile do it
        return read_report(zip_path, name)
    if zlib.crc32(raw) != crc:
        raise ReportReadError(f"{zip_path}: member {name!r} fails its CRC check (corrupt zip)")
    return decode_report(raw)


def _read_zip_members(zip_path: str, members: list[_Member]) -> pl.DataFrame:
    """Read a run of members that lie next to each other in the zip with one read, then decode each."""
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
    # its CRC, plain UTF-8 with \n line ends): no copies of the compressed bytes, no per-member calls. Anything
    # else goes through _read_member, which gives the same text or names the problem.
    view = memoryview(buf)
    lengths = struct.Struct("<HH").unpack_from
    decompress, crc32, size = zlib.decompress, zlib.crc32, len(buf)
    for member in members:
        _name, offset, _end, csize, crc, method, flags = member
        h = offset - lo
        if method == zipfile.ZIP_DEFLATED and not flags & 0x1 and buf.startswith(b"PK\x03\x04", h):
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
    return pl.DataFrame({"path": names, "text": texts, "error": errors}, schema=_CHUNK_SCHEMA)


def _tree_fingerprint(root: Path) -> list[tuple[str, int, int]]:
    """Per ``pNN`` group: its mtime and its number of entries (no per-patient stat: ~20 ms for 65,000 patients)."""
    parts = []
    for group in sorted(os.scandir(root / layout.FILES_DIR), key=lambda e: e.name):
        if group.is_dir() and layout.GROUP_DIR_RE.fullmatch(group.name):
            with os.scandir(group.path) as it:
                count = sum(1 for _ in it)
            parts.append((group.name, group.stat().st_mtime_ns, count))
    return parts


def _source(source: Any, paths: Iterable[str | os.PathLike] | None) -> tuple[str, Path | None, list[str] | None, str]:
    """``(kind, root or zip, explicit relative paths, cache key)`` of a source."""
    if isinstance(source, (str, os.PathLike)) and paths is None:
        p = Path(source).expanduser()
        if p.is_file():
            return "zip", p, None, identity_key("zip", _VERSIONS, file_identity(p))
        if p.is_dir():
            if p.name == layout.FILES_DIR and not (p / layout.FILES_DIR).is_dir():
                p = p.parent
            if not (p / layout.FILES_DIR).is_dir():
                raise ReportReadError(
                    f"{p} has no {layout.FILES_DIR}/ folder: pass a MIMIC-CXR root (holding files/pNN/...) or "
                    "the mimic-cxr-reports.zip"
                )
            root = p.resolve()
            return "folder", root, None, identity_key("folder", _VERSIONS, str(root), _tree_fingerprint(root))
        raise ReportReadError(f"{p}: no such file or folder (expected a dataset root or mimic-cxr-reports.zip)")
    if paths is None:  # a sequence of report paths
        root, rels = Path("/"), [str(Path(q).expanduser().resolve()) for q in source]
    else:
        root, rels = Path(source).expanduser().resolve(), [str(q) for q in paths]
    stats = []
    for rel in rels:
        try:
            st = os.stat(root / rel)
            stats.append((st.st_size, st.st_mtime_ns))
        except OSError:
            stats.append(None)
    return "paths", root, rels, identity_key("paths", _VERSIONS, str(root), rels, stats)


def _as_cache(cache: Cache | str | os.PathLike | bool | None) -> Cache | None:
    if cache is False:
        return None
    if cache is None or cache is True:
        return Cache()
    return cache if isinstance(cache, Cache) else Cache(cache)


def _thread_workers(kind: str = "folder") -> int:
    """Reading threads of the local run: two per CPU for files (opening 227,835 small files waits on the disk),
    one for a zip (one read per chunk, then inflating and decoding under the GIL: more threads only contend)."""
    from .scan import default_workers

    return 1 if kind == "zip" else 2 * default_workers()


def _chunks(items: Sequence[Any], executor: Any, most: int) -> list[list[Any]]:
    """About four chunks per worker, each of at most ``most`` items (at least a tenth of that)."""
    from .scan import default_workers

    workers = getattr(executor, "_max_workers", None) or default_workers()
    size = max(max(1, most // 10), min(most, -(-len(items) // (workers * 4))))
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


@dataclass
class _LocalEntry:
    """A member found by scanning local headers (the attributes of ``zipfile.ZipInfo`` that the ingest uses)."""

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
    headers from the start. Stops at the first entry it cannot size (data descriptors, zip64) or at the end."""
    import struct

    data = zip_path.read_bytes()
    entries: list[_LocalEntry] = []
    pos = 0
    while pos + 30 <= len(data) and data[pos : pos + 4] == b"PK\x03\x04":
        header = struct.unpack("<HHHHHIIIHH", data[pos + 4 : pos + 30])
        _ver, flags, method, _time, _date, crc, csize, _usize, nlen, elen = header
        if flags & 0x8 or csize == 0xFFFFFFFF:
            break
        name = data[pos + 30 : pos + 30 + nlen].decode("utf-8" if flags & 0x800 else "cp437", errors="replace")
        entries.append(_LocalEntry(name, pos, csize, crc, method, flags))
        pos += 30 + nlen + elen + csize
    return entries, min(pos, len(data))


_ENTRY_SCHEMA = {"name": pl.String, "offset": pl.Int64, "csize": pl.Int64, "crc": pl.Int64, "method": pl.Int64,
                 "flags": pl.Int64}


def _central_directory(zip_path: Path) -> tuple[pl.DataFrame, int] | None:
    """The entries of a plain zip's central directory as a frame, read with ``struct`` (about four times faster
    than ``zipfile`` for 227,835 entries), and where the directory starts. ``None`` for anything unusual (zip64,
    data before the archive, a damaged directory): the caller then asks ``zipfile``."""
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
        if cd_offset + cd_size != cd_end or (not zip64 and (count == 0xFFFF or 0xFFFFFFFF in (cd_size, cd_offset))):
            return None
        fh.seek(cd_offset)
        data = fh.read(cd_size)
    fast = _central_entries(data, count)
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


def _central_entries(data: bytes, count: int) -> pl.DataFrame | None:
    """The central directory's ``count`` headers read with numpy (the loop in :func:`_central_directory` reads
    them one by one, about ten times slower): every ``PK\\1\\2`` signature is found, and the entries are
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
    flags, method, crc, csize, usize, offset = (field(8, 2), field(10, 2), field(16, 4), field(20, 4),
                                                 field(24, 4), field(42, 4))
    if np.any((csize == 0xFFFFFFFF) | (usize == 0xFFFFFFFF) | (offset == 0xFFFFFFFF)):
        return None
    # the names: all ASCII (the usual case) read the same in UTF-8, cp437 and latin-1, so one latin-1 decode of
    # the directory is sliced; anything else is decoded name by name
    text = data.decode("latin-1")
    first = at + 46
    names = [text[a:b] for a, b in zip(first.tolist(), (first + nlen).tolist())]
    if not "".join(names).isascii():
        utf8 = (flags & 0x800 != 0).tolist()
        names = [data[a:b].decode("utf-8" if u else "cp437", errors="replace")
                 for a, b, u in zip(first.tolist(), (first + nlen).tolist(), utf8)]
    return pl.DataFrame({"name": names, "offset": offset, "csize": csize, "crc": crc, "method": method,
                         "flags": flags}, schema=_ENTRY_SCHEMA)


def _entries_frame(infos: Sequence[Any]) -> pl.DataFrame:
    return pl.DataFrame(
        {"name": [i.filename for i in infos], "offset": [i.header_offset for i in infos],
         "csize": [i.compress_size for i in infos], "crc": [i.CRC for i in infos],
         "method": [i.compress_type for i in infos], "flags": [i.flag_bits for i in infos]},
        schema=_ENTRY_SCHEMA,
    )


def _zip_members(zip_path: Path, detail: dict[str, Any]) -> pl.DataFrame:
    """The report members of a zip in file order (the :data:`_Member` fields, then ``subject_id, study_id``
    parsed from the name), counting the members that are not reports.

    A zip whose central directory is unreadable (truncated) is read by scanning its local headers; the members
    found are ingested (the cut one gets an error row) and ``detail["recovered"]`` says so."""
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
                f"{len(infos)} member(s) recovered by scanning local headers. Re-download it for the full corpus."
            )
    # where each member's bytes end: the next local header in the file, or the central directory
    ends = entries.select("offset").unique().sort("offset").with_columns(
        pl.col("offset").shift(-1).fill_null(central).alias("end")
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
    return unique.sort("offset").select(*_MEMBER_FIELDS, "subject_id", "study_id")


def _write_entry(store: Cache, entry: Path, meta: Path, frame: pl.DataFrame, detail: dict[str, Any]) -> None:
    with store.atomic_path(meta) as tmp:
        tmp.write_text(json.dumps(detail))
    with store.atomic_path(entry) as tmp:
        frame.write_parquet(tmp, compression="lz4")


#: Block until every corpus cache entry :func:`ingest_reports` writes in the background is on disk.
wait_for_cache_writes = wait_for_writes


def _cache_entry(store: Cache | None, key: str) -> tuple[Path | None, Path | None]:
    if store is None:
        return None, None
    return store.path("reports", f"corpus-{key}.parquet"), store.path("reports", f"corpus-{key}.json")


def ingest_reports(
    source: str | os.PathLike | Sequence[str | os.PathLike],
    *,
    paths: Iterable[str | os.PathLike] | None = None,
    cache: Cache | str | os.PathLike | bool | None = None,
    executor: Any = None,
    progress: bool = True,
    refresh: bool = False,
    sections: bool = False,
) -> ReportCorpus:
    """Like :func:`read_reports`, returning a :class:`ReportCorpus` (the frame plus corpus-level ``detail``).

    With ``sections=True`` the frame also has the :data:`SECTION_COLUMNS`, computed in the workers as the
    reports are read. A cache entry always holds both (one parquet file; each reader loads only its columns).
    """
    kind, where, rels, key = _source(source, paths)
    store = _as_cache(cache)
    entry, meta = _cache_entry(store, key)
    base_cols = list(_SCHEMA)
    cols = base_cols + (list(SECTION_COLUMNS) if sections else [])
    if entry is not None and meta is not None and not refresh:
        if entry.exists() and meta.exists():
            detail = json.loads(meta.read_text())
            detail["cached"] = True
            return ReportCorpus(pl.read_parquet(entry, columns=cols), detail)
        held = pending(entry)
        if held is not None:  # still being written by an earlier call of this process
            return ReportCorpus(held[0].select(cols), dict(held[1], cached=True))
    with_sections = sections or store is not None
    detail: dict[str, Any] = {"source": str(where), "kind": kind, "skipped_members": 0, "skipped_examples": [],
                              "duplicates": 0}
    items: list[Any]
    member_ids = None  # a zip's ids, parsed once with its directory (rows come back in member order)
    if kind == "zip":
        members = _zip_members(where, detail)  # type: ignore[arg-type]
        items = members.select(_MEMBER_FIELDS).rows()
        member_ids = members.select("name", "subject_id", "study_id")
        chunks = _chunks(items, executor, 5000)
        names = [[m[0] for m in c] for c in chunks]
        desc = "reading reports from the zip (chunks of up to 5,000)"
    elif kind == "folder" and rels is None:
        items = patient_dirs(where)  # type: ignore[arg-type]
        chunks = _chunks(items, executor, 1500)
        names = chunks
        desc = "reading reports (chunks of up to 1,500 patients)"
    else:
        items = rels or []
        chunks = _chunks(items, executor, 5000)
        names = chunks
        desc = "reading reports (chunks of up to 5,000)"
    tasks = [(kind, str(where), c, with_sections) for c in chunks]
    if executor is None and len(tasks) > 1:
        # Threads, not a forked process pool: polars runs the sections without the GIL (and with its own
        # threads), nothing is pickled back, and a fork after polars started its thread pool can deadlock.
        rows = _ingest_locally(tasks, kind, progress, desc)
    else:
        from .scan import map_paths

        rows = map_paths(_ingest_chunk, tasks, executor=executor or "serial", progress=progress, chunksize=1,
                         desc=desc)
    frames = []
    for row, chunk_names in zip(rows, names):
        if row.get("frame") is not None:
            frames.append(row["frame"])
        else:  # the whole chunk failed (e.g. the zip vanished): one error row per item
            frames.append(pl.DataFrame({"path": chunk_names, "text": [None] * len(chunk_names),
                                        "error": [row["error"]] * len(chunk_names)}, schema=_CHUNK_SCHEMA))
    schema = dict(_CHUNK_SCHEMA, **({s: pl.String for s in SECTION_COLUMNS} if with_sections else {}))
    chunk = pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame(schema=schema)
    chunk = chunk.with_columns(pl.lit(None, pl.String).alias(c) for c in schema if c not in chunk.columns)
    if member_ids is not None and chunk["path"].equals(member_ids["name"], check_names=False):
        chunk = chunk.with_columns(member_ids["subject_id"], member_ids["study_id"])
    else:
        ids = layout.parse_path_expr("path")
        chunk = chunk.with_columns(ids.struct.field("subject_id"), ids.struct.field("study_id"))
    frame = (
        chunk
        .with_columns(
            pl.when(pl.col("study_id").is_null() & pl.col("error").is_null())
            .then(pl.concat_str([pl.col("path"), pl.lit(": not a report path (.../pNN/pSUBJECT/sSTUDY.txt)")]))
            .otherwise(pl.col("error")).alias("error")
        )
        .select(base_cols + [c for c in SECTION_COLUMNS if with_sections])
        .cast(_SCHEMA)  # type: ignore[arg-type]
    )
    order = pl.col("subject_id") * 100_000_000 + pl.col("study_id")
    if frame["subject_id"].null_count() or not frame.select(order.is_sorted()).item():  # folder walks are sorted
        frame = frame.sort("subject_id", "study_id", "path", nulls_last=True)
    detail["reports"] = frame.height
    detail["errors"] = int(frame["error"].is_not_null().sum())
    if detail["errors"] or detail["skipped_members"] or detail["duplicates"] or detail.get("recovered"):
        warnings.warn(
            f"{where}: {detail['errors']} report(s) unreadable (see the error column), "
            f"{detail['skipped_members']} zip member(s) not shaped like a report skipped, "
            f"{detail['duplicates']} duplicate member(s) ignored"
            + (f"; {detail['recovered']}" if detail.get("recovered") else ""),
            ReportIngestWarning,
            stacklevel=3,
        )
    if store is not None and entry is not None and meta is not None:
        # this process's later calls use the frame until the entry is on disk
        write_in_background(entry, (frame, dict(detail)),
                            lambda held: _write_entry(store, entry, meta, *held),
                            what=f"the reports in {store.root}")
    detail["cached"] = False
    return ReportCorpus(frame.select(cols), detail)


def read_reports(
    source: str | os.PathLike | Sequence[str | os.PathLike],
    *,
    paths: Iterable[str | os.PathLike] | None = None,
    cache: Cache | str | os.PathLike | bool | None = None,
    executor: Any = None,
    progress: bool = True,
    refresh: bool = False,
) -> pl.DataFrame:
    """Every report of a corpus as a frame: ``subject_id``, ``study_id`` (Int64), ``text``, ``path``, ``error``.

    Parameters
    ----------
    source
        * a dataset root (the folder holding ``files/``): every ``files/p1N/pSUBJECT/sSTUDY.txt`` is read
          (the workers list the patient folders they read);
        * ``mimic-cxr-reports.zip`` (or any zip): members named like ``p1N/pSUBJECT/sSTUDY.txt`` under any top
          folder are read without extracting; other members are skipped and counted (``detail``);
        * a list of report file paths.
    paths
        With a root: read only these report paths (relative to the root) instead of walking ``files/``.
    cache
        A :class:`~cxrkit.cache.Cache` or folder; ``None`` uses the default cache directory; ``False`` disables
        caching. The corpus (text and sections) is stored once as parquet (written in a background thread
        after the call returns; :func:`wait_for_cache_writes` waits for it), keyed on the source's identity:

        * zip: its absolute path, size and mtime (any change re-reads it);
        * folder: its absolute path and, per ``pNN`` group, the group folder's mtime and number of entries (cheap:
          no walk). Adding or removing a patient (or a group) changes the key; a report added to, removed from or
          edited in an existing patient folder does not: pass ``refresh=True`` after such a change (e.g. a
          resumed download that completed a patient);
        * list of paths: the paths and each file's size and mtime.

        The versions of the ingest and of the section rules are part of the key too.
    executor
        ``None``: threads of this process, reading threads (two per CPU for files, whose reading waits on the
        disk; one for a zip) handing each chunk to sectioning threads (one per CPU; polars runs them without the
        GIL). A forked process pool can deadlock polars. Or ``"serial"``, any ``concurrent.futures`` executor
        (a process pool should use the ``forkserver`` or ``spawn`` start method) or a Dask client, through
        :func:`cxrkit.scan.map_paths`. Work goes in chunks (up to 5,000 reports or 1,500 patient folders); each
        worker opens the files (or the zip) itself.
    progress
        Show a progress bar (one step per chunk).
    refresh
        Ignore (and rewrite) the cached entry.

    Returns
    -------
    polars.DataFrame
        One row per report, sorted by ``subject_id, study_id``. A report that cannot be read has a null
        ``text`` and an ``error`` naming the file; the corpus is never abandoned for one bad file. A
        :class:`ReportIngestWarning` summarises such problems; :func:`ingest_reports` returns them as ``detail``.

    Raises
    ------
    ReportReadError
        The source does not exist, a folder has no ``files/``, or a zip cannot be read at all. A truncated zip
        (its central directory lost) is read by scanning its local headers: the complete members are ingested,
        the cut one gets an error row, and ``detail["recovered"]`` (and the warning) say so.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> p = root / "files/p10/p10000032/s50414267.txt"
    >>> p.parent.mkdir(parents=True)
    >>> _ = p.write_text(" FINDINGS: Clear.\\n")
    >>> read_reports(root, cache=False, executor="serial", progress=False).select("study_id", "text").row(0)
    (50414267, ' FINDINGS: Clear.\\n')
    """
    return ingest_reports(source, paths=paths, cache=cache, executor=executor, progress=progress,
                          refresh=refresh).frame


def read_sections(
    source: str | os.PathLike | Sequence[str | os.PathLike],
    *,
    paths: Iterable[str | os.PathLike] | None = None,
    cache: Cache | str | os.PathLike | bool | None = None,
    executor: Any = None,
    progress: bool = True,
    refresh: bool = False,
    keep_text: bool = False,
) -> pl.DataFrame:
    """Every report of a corpus cut into sections: ``subject_id, study_id, path, error`` and
    :data:`SECTION_COLUMNS` (and ``text`` when ``keep_text``).

    Same sources, cache and invalidation rules as :func:`read_reports` (and the same cache entry). The sections
    are computed with :func:`sections_frame` in the workers, chunk by chunk, as the reports are read.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> p = root / "files/p10/p10000032/s50414267.txt"
    >>> p.parent.mkdir(parents=True)
    >>> _ = p.write_text(" FINDINGS: Clear.\\n IMPRESSION: Normal.\\n")
    >>> read_sections(root, cache=False, executor="serial", progress=False).select("findings", "impression").row(0)
    ('Clear.', 'Normal.')
    """
    frame = ingest_reports(source, paths=paths, cache=cache, executor=executor, progress=progress,
                           refresh=refresh, sections=True).frame
    return frame if keep_text else frame.drop("text")
