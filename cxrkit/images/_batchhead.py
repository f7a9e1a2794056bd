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

import numpy as np
import polars as pl

from .. import layout
from . import _batchwalk as bw
from . import _dicomhead as dh
from ._files import path_ids

__all__ = ["CHUNK", "header_frame"]

#: Files per batch: the buffer is ``CHUNK * 8 KB`` (32 MB).
CHUNK = 4096
_SLOT = {tag: i for i, tag in enumerate(bw.WANTED)}
_EXPLICIT_BAD = ("1.2.840.10008.1.2", "1.2.840.10008.1.2.2", "")  # implicit, big endian, none
_FLOAT = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"
_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def read_heads(paths: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The first :data:`~cxrkit.images._batchwalk.HEAD` bytes of each file, one buffer row each, and how many
    were read (-1 when the file cannot be opened: the per-file reader reports it)."""
    buf = np.zeros(len(paths) * bw.STRIDE, np.uint8)
    view = memoryview(buf)
    got = np.full(len(paths), -1, np.int64)
    for i, path in enumerate(paths):
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            got[i] = os.readv(fd, [view[i * bw.STRIDE : i * bw.STRIDE + bw.HEAD]])
        except OSError:
            pass
        finally:
            os.close(fd)
    return buf, got


def _texts(buf: np.ndarray, start: np.ndarray, length: np.ndarray) -> tuple[pl.Series, np.ndarray]:
    """The value bytes at ``start`` (null where -1) as stripped strings (empty: null), and which rows hold a
    byte outside ASCII (or a value too long for a header string: the per-file reader decides)."""
    present = start >= 0
    width = int(length[present].max()) if present.any() else 0
    width = max(1, min(width, 1024))
    idx = np.where(present, start, 0)[:, None] + np.arange(width)
    mat = buf[np.minimum(idx, buf.size - 1)]
    mat[np.arange(width)[None, :] >= np.where(present, length, 0)[:, None]] = 0
    odd = present & ((mat >= 0x80).any(axis=1) | (length > 1024))
    raw = pl.Series(mat.view(f"S{width}").ravel())
    text = raw.cast(pl.String, strict=False).str.strip_chars(" \x00")
    text = pl.select(pl.when(pl.Series(present) & (text != "")).then(text)).to_series()
    return text, odd


def _us(buf: np.ndarray, start: np.ndarray, length: np.ndarray) -> pl.Series:
    ok = (start >= 0) & (length >= 2)
    at = np.where(ok, start, 0)
    value = buf[at].astype(np.int32) | buf[at + 1].astype(np.int32) << 8
    return pl.Series(np.where(ok, value, 0)).cast(pl.Int32).scatter(np.flatnonzero(~ok), None)


def _floats(text: pl.Series, first_two: bool) -> tuple[pl.Series, np.ndarray]:
    """DS values: the first (or the first two, as a list; null unless there are two). Rows whose values are
    not plain decimals are marked odd (the per-file reader's ``float()`` takes more forms)."""
    parts = text.str.split("\\")
    a = parts.list.get(0, null_on_oob=True)
    odd = (text.is_not_null() & ~a.str.contains(_FLOAT).fill_null(False)).to_numpy()
    if not first_two:
        return a.cast(pl.Float64, strict=False), odd
    b = parts.list.get(1, null_on_oob=True)
    two = b.is_not_null().to_numpy()
    odd |= two & ~b.str.contains(_FLOAT).fill_null(False).to_numpy()
    frame = pl.DataFrame({"a": a.cast(pl.Float64, strict=False), "b": b.cast(pl.Float64, strict=False)})
    pair = frame.select(pl.when(pl.col("b").is_not_null()).then(pl.concat_list("a", "b"))).to_series()
    return pair, odd


def _dates(text: pl.Series) -> tuple[pl.Series, np.ndarray]:
    plain = text.str.contains(r"^[0-9]{8}$").fill_null(False).to_numpy()
    odd = text.is_not_null().to_numpy() & ~plain
    digits = text.str.slice(0, 8).cast(pl.Int64, strict=False).fill_null(0).to_numpy()
    y, m, d = digits // 10_000, digits // 100 % 100, digits % 100
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    days = _DAYS[np.clip(m - 1, 0, 11)] + ((m == 2) & leap)
    valid = plain & (y >= 1) & (m >= 1) & (m <= 12) & (d >= 1) & (d <= days)
    months = np.where(valid, (y - 1970) * 12 + m - 1, 0).astype("datetime64[M]")
    value = months.astype("datetime64[D]") + np.where(valid, d - 1, 0).astype("timedelta64[D]")
    return pl.Series(value).cast(pl.Date).scatter(np.flatnonzero(~valid), None), odd


def _times(text: pl.Series) -> tuple[pl.Series, np.ndarray]:
    parts = text.str.extract_groups(r"^([0-9]{2})([0-9]{2})?([0-9]{2})?(?:\.([0-9]*))?$")
    plain = parts.struct.field("1").is_not_null().to_numpy()
    odd = text.is_not_null().to_numpy() & ~plain
    hh, mm, ss = (parts.struct.field(k).cast(pl.Int64).fill_null(0).to_numpy() for k in "123")
    frac = (parts.struct.field("4").fill_null("") + "000000").str.slice(0, 6).cast(pl.Int64).to_numpy()
    valid = plain & (hh <= 23) & (mm <= 59)
    ns = ((hh * 3600 + mm * 60 + np.minimum(ss, 59)) * 1_000_000 + frac) * 1000
    return pl.Series(np.where(valid, ns, 0)).cast(pl.Time).scatter(np.flatnonzero(~valid), None), odd


def _ints(text: pl.Series) -> tuple[pl.Series, np.ndarray]:
    """IS values (``int(float(first))``): unsigned integers of at most 9 digits here, the rest per file."""
    a = text.str.split("\\").list.get(0, null_on_oob=True)
    odd = (text.is_not_null() & ~a.str.contains(r"^[0-9]{1,9}$").fill_null(False)).to_numpy()
    return a.cast(pl.Int32, strict=False), odd


def _decode(buf: np.ndarray, start: np.ndarray, length: np.ndarray) -> tuple[dict[str, pl.Series], np.ndarray]:
    """Columns of the header keys from the value spans, and which rows the per-file reader must do."""
    cols: dict[str, pl.Series] = {}
    odd = np.zeros(start.shape[0], bool)
    for tag, (key, kind) in dh.TAGS.items():
        s, ln = start[:, _SLOT[tag]], length[:, _SLOT[tag]]
        if kind == "int":
            cols[key] = _us(buf, s, ln)
            continue
        text, bad = _texts(buf, s, ln)
        odd |= bad
        if kind in ("str", "code"):
            cols[key] = text
            continue
        parse = {"date": _dates, "time": _times, "is": _ints, "ds": lambda t: _floats(t, False)}
        value, bad = _floats(text, True) if kind == "ds2" else parse[kind](text)
        odd |= bad
        cols[key] = value
    ts, bad = _texts(buf, start[:, _SLOT[0x00020010]], length[:, _SLOT[0x00020010]])
    odd |= bad | ts.is_in(_EXPLICIT_BAD).fill_null(True).to_numpy() | ts.str.starts_with(
        "1.2.840.10008.1.2.1.99"
    ).fill_null(True).to_numpy()
    cols["TransferSyntaxUID"] = ts
    return cols, odd


def header_frame(paths: Sequence[str], sizes: Sequence[int]) -> tuple[pl.DataFrame, list[int]]:
    """Header rows (the columns of ``HEADER_SCHEMA`` but ``error``) of the ``.dcm`` files whose heads take
    the common path, with ``_order`` (their index in ``paths``); and the indices the per-file reader must
    read. ``sizes`` are the files' sizes (for the extent check: a cut download is left to the per-file
    reader, which reports it)."""
    frames, rest = [], []
    for at in range(0, len(paths), CHUNK):
        frame, left = _chunk(paths[at : at + CHUNK], np.asarray(sizes[at : at + CHUNK], np.int64))
        frames.append(frame.with_columns(pl.col("_order") + at))
        rest.extend(i + at for i in left)
    return pl.concat(frames) if frames else pl.DataFrame(), rest


def _chunk(paths: Sequence[str], sizes: np.ndarray) -> tuple[pl.DataFrame, list[int]]:
    buf, got = read_heads(paths)
    status, start, length, stop_pos = bw.walk(buf, got)
    n = len(paths)
    row0 = np.arange(n, dtype=np.int64) * bw.STRIDE
    start = np.where(start >= 0, start + row0[:, None], -1)
    # the extent check of the per-file reader: the pixel data must end inside the file
    sp = np.where(stop_pos >= 0, stop_pos, 0) + row0
    checked = (status == bw.STOPPED) & (stop_pos + 12 <= got)
    u32 = buf[(sp + 8)[:, None] + np.arange(4)].astype(np.int64) @ (1 << np.arange(0, 32, 8))
    cut = checked & (u32 != 0xFFFFFFFF) & (stop_pos + 12 + u32 > sizes)
    good = (status != bw.FALLBACK) & ~cut & (got >= 0)
    cols, odd = _decode(buf, start[good], length[good])
    frame = pl.DataFrame({"_order": pl.Series(np.flatnonzero(good), dtype=pl.UInt32), **cols})
    frame = frame.with_columns(
        pl.coalesce("PixelSpacing", "ImagerPixelSpacing").alias("PixelSpacing"),
        pl.Series("path", [paths[i] for i in np.flatnonzero(good)], dtype=pl.String),
    ).drop("ImagerPixelSpacing")
    ids = frame.select(
        layout.parse_path_expr(pl.col("path").str.replace_all("\\", "/", literal=True)).alias("ids")
    ).unnest("ids")
    frame = frame.with_columns(ids.select("subject_id", "study_id", "dicom_id"))
    other = np.flatnonzero(ids["subject_id"].is_null().to_numpy())
    if other.size:  # not MIMIC-shaped (or a form only the per-file reader's regex takes): its ids, per file
        found = [path_ids(frame["path"][int(i)]) for i in other]
        frame = frame.with_columns(
            pl.col(k).scatter(other, [f[k] for f in found]) for k in ("subject_id", "study_id", "dicom_id")
        )
    frame = frame.filter(~pl.Series(odd))
    rest = sorted(set(range(n)) - set(frame["_order"].to_list()))
    return frame, rest
