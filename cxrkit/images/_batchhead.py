"""Header rows of many plain ``.dcm`` files at once: the batch engine behind :func:`header_table`.

Reads every file's first 8 KB into one buffer, walks all heads together (:mod:`cxrkit.images._batchwalk`),
then decodes each wanted value column by column (polars on the value bytes) instead of file by file. A file
is handed back to the per-file reader (:func:`cxrkit.images.header.read_header`) whenever anything differs
from the common case: a head over 8 KB, implicit VR, big endian or deflate, a nested or unusual sequence, a
byte outside ASCII, a value not in its plain form (a date that is not 8 digits, a number with spaces...), a
short file, an extent check that fails, a path that is not MIMIC-shaped. So both give the same rows.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from .. import layout
from . import _batchwalk as bw
from . import _dicomhead as dh
from ._files import path_ids

__all__ = ["CHUNK", "header_frame"]

#: Files per batch: the buffer is ``CHUNK * READ`` bytes (64 MB).
CHUNK = 4096
#: Bytes of each file read first. 16 KB, not the per-file reader's 8 KB: the ~10% of MIMIC-shaped heads with
#: a VOI LUT take about 9.7 KB, and a second batch for them costs as much as the first at a few hundred files.
#: The answers are the per-file reader's all the same (its extent check is applied as its reads would).
READ = 1 << 14
_SLOT = {tag: i for i, tag in enumerate(bw.WANTED)}
_EXPLICIT_BAD = ("1.2.840.10008.1.2", "1.2.840.10008.1.2.2", "")  # implicit, big endian, none
_LONGEST = 1024  # bytes of a header string value decoded here (longer: per file)
_FLOAT = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"


def read_heads(paths: Sequence[str], head: int = bw.HEAD) -> tuple[np.ndarray, np.ndarray]:
    """The first ``head`` bytes of each file, one buffer row of ``head + 16`` bytes each, and how many were
    read (-1 when the file cannot be opened: the per-file reader reports it)."""
    stride = head + 16
    buf = np.zeros(len(paths) * stride + _LONGEST, np.uint8)
    view = memoryview(buf)
    got = np.full(len(paths), -1, np.int64)
    for i, path in enumerate(paths):
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            got[i] = os.readv(fd, [view[i * stride : i * stride + head]])
        except OSError:
            pass
        finally:
            os.close(fd)
    return buf, got


def _matrix(buf: np.ndarray, start: np.ndarray, length: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The value bytes at ``start`` (nothing where -1) as rows of a zero-padded matrix, and which rows hold
    a byte outside ASCII or a value too long for a header string (the per-file reader decides those)."""
    ln = np.where(start >= 0, length, 0)
    width = max(1, min(int(ln.max()) if ln.size else 1, _LONGEST))
    cols = np.arange(width)
    mat = buf[np.where(start >= 0, start, 0)[:, None] + cols]  # the buffer ends in _LONGEST spare bytes
    mat *= cols < ln[:, None]
    odd = (mat >= 0x80).any(axis=1) | (ln > _LONGEST)
    mat[odd] = 0  # left to the per-file reader; polars takes only valid text
    return mat, odd


def _binary(mat: np.ndarray) -> pl.Series:
    return pl.Series(np.ascontiguousarray(mat).view(f"S{mat.shape[1]}").ravel())


def _raw(buf: np.ndarray, start: np.ndarray, length: np.ndarray) -> tuple[pl.Series, np.ndarray]:
    mat, odd = _matrix(buf, start, length)
    return _binary(mat), odd


def _parts(buf: np.ndarray, start: np.ndarray, length: np.ndarray) -> tuple[pl.Series, pl.Series, np.ndarray]:
    """The first and second value of a DS or IS (split at backslashes after the reader's strip of spaces and
    NULs at both ends) as Binary columns, and the odd rows: a space or NUL left inside, or an empty first
    value in a value that has one (``float("")`` fails: the per-file reader decides)."""
    mat, odd = _matrix(buf, start, length)
    width = mat.shape[1]
    cols = np.arange(width)[None, :]
    pad = (mat == 32) | (mat == 0)
    solid = ~pad
    some = solid.any(axis=1)
    lead = np.argmax(solid, axis=1)
    end = np.where(some, width - np.argmax(solid[:, ::-1], axis=1), 0)
    inside = (cols >= lead[:, None]) & (cols < end[:, None])
    odd |= (pad & inside).any(axis=1)
    slash = (mat == 92) & inside
    has = slash.any(axis=1)
    b1 = np.where(has, np.argmax(slash, axis=1), end)
    odd |= has & (b1 == lead)
    later = slash & (cols > b1[:, None])
    b2 = np.where(later.any(axis=1), np.argmax(later, axis=1), end)

    def span(first: np.ndarray, stop: np.ndarray) -> pl.Series:
        idx = np.minimum(first[:, None] + cols, width - 1)
        part = np.take_along_axis(mat, idx, axis=1) * (cols < (stop - first)[:, None])
        return _binary(part)

    return span(lead, b1), span(np.where(has, b1 + 1, end), np.where(has, b2, end)), odd


def _dates(buf: np.ndarray, start: np.ndarray, length: np.ndarray) -> tuple[np.ndarray, ...]:
    """DA values of 8 digits as days since 1970, which are dates (an impossible one is null, as per file),
    and which rows are in another form (odd)."""
    present = (start >= 0) & (length > 0)
    eight = present & (length == 8)
    digits = buf[np.where(eight, start, 0)[:, None] + np.arange(8)].astype(np.int64) - 48
    eight &= ((digits >= 0) & (digits <= 9)).all(axis=1)
    value = digits @ 10 ** np.arange(7, -1, -1)
    y, m, d = value // 10_000, value // 100 % 100, value % 100
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    days = _DAYS[np.clip(m - 1, 0, 11)] + ((m == 2) & leap)
    valid = eight & (y >= 1) & (m >= 1) & (m <= 12) & (d >= 1) & (d <= days)
    months = np.where(valid, (y - 1970) * 12 + m - 1, 0).astype("datetime64[M]")
    date = months.astype("datetime64[D]") + np.where(valid, d - 1, 0).astype("timedelta64[D]")
    return date.astype(np.int32), valid, present & ~eight


def _times(buf: np.ndarray, start: np.ndarray, length: np.ndarray) -> tuple[np.ndarray, ...]:
    """TM values ``HH``, ``HHMM``, ``HHMMSS`` or ``HHMMSS.F...`` (trailing spaces/NULs stripped); any other
    form is odd. Nanoseconds since midnight, which are times (hours over 23 or minutes over 59 are null and
    seconds over 59 are 59, as per file), and which rows are odd."""
    width = 16
    present = (start >= 0) & (length > 0)
    ln = np.where(present, np.minimum(length, width), 0)
    mat = buf[np.where(present, start, 0)[:, None] + np.arange(width)].astype(np.int64)
    col = np.arange(width)[None, :]
    inside = col < ln[:, None]
    pad = inside & ((mat == 32) | (mat == 0))
    filled = inside & ~pad
    end = np.where(filled.any(axis=1), width - np.argmax(filled[:, ::-1], axis=1), 0)  # after the last char
    used = col < end[:, None]
    digit = (mat >= 48) & (mat <= 57)
    dot = used & (col == 6) & (mat == 46)
    shape = np.isin(end, (2, 4, 6)) | ((end >= 7) & dot.any(axis=1))
    plain = (
        present
        & (length <= width)
        & shape
        & (digit | ~used | dot).all(axis=1)
        & (pad | ~inside | used).all(axis=1)
    )
    plain &= ~(used & ~inside).any(axis=1)
    num = np.where(digit & used, mat - 48, 0)
    hh = num[:, 0] * 10 + num[:, 1]
    mm = np.where(end >= 4, num[:, 2] * 10 + num[:, 3], 0)
    ss = np.where(end >= 6, num[:, 4] * 10 + num[:, 5], 0)
    frac = num[:, 7:13] @ 10 ** np.arange(5, -1, -1)
    valid = plain & (hh <= 23) & (mm <= 59)
    ns = ((hh * 3600 + mm * 60 + np.minimum(ss, 59)) * 1_000_000 + frac) * 1000
    return np.where(valid, ns, 0), valid, present & ~plain


def _us(buf: np.ndarray, start: np.ndarray, length: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ok = (start >= 0) & (length >= 2)
    at = np.where(ok, start, 0)
    return (buf[at].astype(np.int32) | buf[at + 1].astype(np.int32) << 8), ok


_KINDS = {**{key: kind for key, kind in dh.TAGS.values()}, "TransferSyntaxUID": "str"}
_TAG_OF = {**{key: tag for tag, (key, _) in dh.TAGS.items()}, "TransferSyntaxUID": 0x00020010}
_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def _text(key: str) -> pl.Expr:
    """Stripped of spaces and NULs; empty is null (the per-file reader's ``strip(" \\x00") or None``)."""
    text = pl.col(key).cast(pl.String, strict=False).str.strip_chars(" \x00")
    return pl.when(text != "").then(text)


def _number(key: str, kind: str) -> tuple[pl.Expr, pl.Expr]:
    """A DS or IS value from its first (and second) value's text, and whether they are in the plain form
    decoded here."""
    first, second = _text(key), _text(f"{key}/2")
    if kind == "is":  # int(float(first)): unsigned integers of up to 9 digits here
        return first.cast(pl.Int32, strict=False), first.is_null() | first.str.contains(r"^[0-9]{1,9}$")
    ok = first.is_null() | first.str.contains(_FLOAT)
    if kind == "ds":
        return first.cast(pl.Float64, strict=False), ok
    pair = pl.concat_list(first.cast(pl.Float64, strict=False), second.cast(pl.Float64, strict=False))
    return pl.when(second.is_not_null()).then(pair), ok & (second.is_null() | second.str.contains(_FLOAT))


def _exprs() -> tuple[list[pl.Expr], pl.Expr]:
    """The expressions of every header value from the raw columns, and the check that all are plain."""
    out, checks = [], []
    for key, kind in _KINDS.items():
        if kind in ("str", "code"):
            out.append(_text(key).alias(key))
        elif kind in ("ds", "ds2", "is"):
            value, ok = _number(key, kind)
            out.append(value.alias(key))
            checks.append(ok)
        else:
            dtype = {"int": pl.Int32, "date": pl.Date, "time": pl.Time}[kind]
            out.append(pl.when(pl.col(f"{key}?")).then(pl.col(key).cast(dtype)).alias(key))
    ts = _text("TransferSyntaxUID")
    checks.append(~ts.is_in(_EXPLICIT_BAD).fill_null(True) & ~ts.str.starts_with("1.2.840.10008.1.2.1.99"))
    return out, pl.all_horizontal(checks).fill_null(False)


_VALUES, _PLAIN = _exprs()


def _raw_columns(buf: np.ndarray, start: np.ndarray, length: np.ndarray) -> dict[str, Any]:
    """The raw columns the decode query reads (value bytes; dates, times and US values decoded in numpy,
    with their validity), and ``_odd``: the rows the per-file reader must do."""
    raw: dict[str, Any] = {}
    odd = np.zeros(start.shape[0], bool)
    for key, kind in _KINDS.items():
        slot = _SLOT[_TAG_OF[key]]
        s, ln = start[:, slot], length[:, slot]
        if kind == "int":
            raw[key], raw[f"{key}?"] = _us(buf, s, ln)
        elif kind in ("date", "time"):
            raw[key], raw[f"{key}?"], bad = (_dates if kind == "date" else _times)(buf, s, ln)
            odd |= bad
        elif kind in ("ds", "ds2", "is"):
            raw[key], raw[f"{key}/2"], bad = _parts(buf, s, ln)
            odd |= bad
        else:
            raw[key], bad = _raw(buf, s, ln)
            odd |= bad
    raw["_odd"] = odd
    return raw


def header_frame(
    paths: Sequence[str], sizes: Sequence[int], bar: Any = None
) -> tuple[pl.DataFrame, list[int]]:
    """Header rows (the columns of ``HEADER_SCHEMA`` but ``error``) of the ``.dcm`` files whose heads take
    the common path, with ``_order`` (their index in ``paths``); and the indices the per-file reader must
    read. ``sizes`` are the files' sizes (for the extent check: a cut download is left to the per-file
    reader, which reports it). ``bar``: a tqdm bar to advance per chunk."""
    frames, rest = [], []
    for at in range(0, len(paths), CHUNK):
        frame, left = _chunk(paths[at : at + CHUNK], np.asarray(sizes[at : at + CHUNK], np.int64))
        frames.append(frame.with_columns(pl.col("_order") + at))
        rest.extend(i + at for i in left)
        if bar is not None:
            bar.update(len(paths[at : at + CHUNK]))
    return pl.concat(frames) if frames else pl.DataFrame(), rest


def _chunk(paths: Sequence[str], sizes: np.ndarray) -> tuple[pl.DataFrame, list[int]]:
    """One chunk: every head at :data:`READ` bytes; the heads that go on past it again at 64 KB (the per-file
    reader's second read), in a second, smaller batch."""
    frame, rest, longer = _round(paths, sizes, READ)
    if longer.size:
        more, left, _ = _round([paths[i] for i in longer], sizes[longer], bw.HEAD << 3)
        frame = pl.concat(
            [frame, more.with_columns(_order=pl.Series(longer[more["_order"].to_numpy()], dtype=pl.UInt32))]
        )
        rest = sorted(set(rest) - set(longer.tolist()) | {int(longer[i]) for i in left})
    return frame, rest


def _round(paths: Sequence[str], sizes: np.ndarray, head: int) -> tuple[pl.DataFrame, list[int], np.ndarray]:
    """Rows of the files whose walk ends inside ``head`` bytes; the indices left to the per-file reader; and
    those of them whose walk ran past a full head (worth a larger one)."""
    buf, got = read_heads(paths, head)
    status, start, length, stop_pos = bw.walk(buf, got, head)
    n = len(paths)
    row0 = np.arange(n, dtype=np.int64) * (head + 16)
    start = np.where(start >= 0, start + row0[:, None], -1)
    # the extent check of the per-file reader: the pixel data must end inside the file
    sp = np.where(stop_pos >= 0, stop_pos, 0) + row0
    # which read of the per-file reader ends its walk (8 KB, else 64 KB): the check needs the 12 bytes in it
    first = np.where(stop_pos + 8 <= bw.HEAD, bw.HEAD, bw.HEAD << 3)
    checked = (status == bw.STOPPED) & (stop_pos + 12 <= np.minimum(first, sizes))
    u32 = buf[(sp + 8)[:, None] + np.arange(4)].astype(np.int64) @ (1 << np.arange(0, 32, 8))
    cut = checked & (u32 != 0xFFFFFFFF) & (stop_pos + 12 + u32 > sizes)
    good = (status != bw.FALLBACK) & ~cut & (got >= 0)
    longer = np.flatnonzero((status == bw.FALLBACK) & (got == head))
    raw = _raw_columns(buf, start[good], length[good])
    raw["path"] = pl.Series([paths[i] for i in np.flatnonzero(good)], dtype=pl.String)
    raw["_order"] = pl.Series(np.flatnonzero(good), dtype=pl.UInt32)
    ids = layout.parse_path_expr(pl.col("path").str.replace_all("\\", "/", literal=True))
    frame = (  # one query: values, the plain-form checks, the ids, the pixel spacing fallback
        pl.DataFrame(raw)
        .lazy()
        .select("path", "_order", "_odd", *_VALUES, _PLAIN.alias("_plain"), ids.alias("ids"))
        .filter(pl.col("_plain") & ~pl.col("_odd"))
        .with_columns(pl.coalesce("PixelSpacing", "ImagerPixelSpacing").alias("PixelSpacing"))
        .unnest("ids")
        .drop("ImagerPixelSpacing", "ext", "_plain", "_odd")
        .collect()
    )
    other = np.flatnonzero(frame["subject_id"].is_null().to_numpy())
    if other.size:  # not MIMIC-shaped (or a form only the per-file reader's regex takes): its ids, per file
        found = [path_ids(frame["path"][int(i)]) for i in other]
        frame = frame.with_columns(
            frame[k].scatter(other, [f[k] for f in found]) for k in ("subject_id", "study_id", "dicom_id")
        )
    rest = sorted(set(range(n)) - set(frame["_order"].to_list()))
    return frame, rest, longer
