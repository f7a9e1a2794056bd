"""Image tables at full scale: one row per image of header fields (:func:`header_table`) or pixel
statistics (:func:`pixel_stats`), computed in parallel and cached incrementally.

Both take a list of paths or a Dataset-like object (anything with ``image_files()`` returning a polars frame
with a ``file`` column of absolute paths, null when missing on disk, and a ``cache`` attribute). Work runs
through :func:`cxrkit.storage.map_paths`: this process or the session's warm process pool by default, any
:class:`concurrent.futures.Executor`, or a ``dask.distributed.Client``. A bad file is a row with its
``error``, never the end of the scan.

With the default or the serial executor, the ``.dcm`` files of a header table of :data:`BATCH_MIN` files or
more are read by a batch engine in this process (every head read into one buffer, all elements walked
together in numpy, values decoded per column: :mod:`cxrkit.images._batchhead`); files off its common path
(compressed copies, JPGs, implicit VR, long heads, odd values) go through the per-file reader, and both give
the same rows.

Results are cached as one Arrow IPC file per table kind in the cache directory (``images/headers-v1.arrow``,
``images/pixel-stats-v1.arrow``; columnar like parquet, and cheaper to rewrite, which every
call that read new files does), keyed per row by ``(path, size, mtime_ns)``: a second call reads only new
or changed files. Error rows are cached too when the error lies in the file's bytes (not an image, corrupt,
colour/multi-frame); I/O errors and missing decoder plugins are retried on the next call. On a Dask cluster
the workers need cxrkit installed (the per-file functions are sent by reference).

Examples
--------
>>> import tempfile
>>> header_table([], cache=tempfile.mkdtemp()).columns[:4]
['path', 'subject_id', 'study_id', 'dicom_id']
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from .. import layout
from ..errors import CorruptImageError, CxrkitError, RemoteAuthError
from ..storage.cache import Cache, identity_key
from ..storage.files import read_chunks
from ..storage.scan import map_paths
from ._batchhead import header_frame
from ._files import file_kind, image_errors, path_ids
from .header import HEADER_KEYS, header_from_bytes, read_header
from .stored import fix_sign, native_layout, read_stored_with_header

__all__ = [
    "HEADER_SCHEMA",
    "STATS_SCHEMA",
    "header_table",
    "pixel_stats",
    "stats_from_counts",
    "stored_counts",
]

#: Bumped when a table's content or schema changes, so old cache files are not reused.
TABLE_VERSION = 2
#: Pixels per chunk when counting stored values (bounds memory to a few MB per worker).
CHUNK_PIXELS = 1 << 19
#: Seconds per pixel of :func:`pixel_stats` on an uncompressed file (2.3-3.0 ns measured on 6-8 Mpixel
#: demo images in the page cache, 4.6 ns the slowest): with the default executor, the estimate that chooses
#: between this process and the shared pool (:func:`cxrkit.storage.choose_executor`) when the header cache
#: knows every file's size and syntax; otherwise the first files are timed.
STATS_PIXEL_S = 3e-9
#: Fewest ``.dcm`` files a header table reads with the batch engine: its walk costs about 10 ms a batch
#: whatever the number of files (75 steps of numpy calls), so below a few hundred files the per-file reader is
#: as fast (measured, whole header_table in fresh processes, load 2.3-2.6: 300 files 32-36 ms either way;
#: 1,000 files 64 against 99-113 ms; 3,000 files 148 against 324-358 ms).
BATCH_MIN = 500
#: Transfer syntaxes counted without decoding (implicit and explicit VR little endian).
_RAW_SYNTAXES = ("1.2.840.10008.1.2", "1.2.840.10008.1.2.1")

_IDS = {"path": pl.String, "subject_id": pl.Int64, "study_id": pl.Int64, "dicom_id": pl.String}
_INT_KEYS = {
    "Rows",
    "Columns",
    "SamplesPerPixel",
    "NumberOfFrames",
    "BitsAllocated",
    "BitsStored",
    "PixelRepresentation",
}
_FLOAT_KEYS = {"WindowCenter", "WindowWidth", "RescaleSlope", "RescaleIntercept"}

#: Columns of :func:`header_table`: ``path``, the keys of :data:`cxrkit.images.HEADER_KEYS`, ``error``.
HEADER_SCHEMA: dict[str, pl.DataType] = {
    **_IDS,
    **{
        key: (
            pl.Int32
            if key in _INT_KEYS
            else pl.Float64
            if key in _FLOAT_KEYS
            else pl.Date
            if key == "StudyDate"
            else pl.Time
            if key == "StudyTime"
            else pl.List(pl.Float64)
            if key == "PixelSpacing"
            else pl.String
        )
        for key in HEADER_KEYS
        if key not in _IDS
    },
    "error": pl.String,
}

#: Columns of :func:`pixel_stats`. Values are stored values (before any LUT). ``histogram`` counts pixels in
#: ``bins`` equal bins from ``hist_lo`` (inclusive) to ``hist_hi`` (exclusive): the whole stored bit range.
STATS_SCHEMA: dict[str, pl.DataType] = {
    **_IDS,
    "n_pixels": pl.Int64, "bits_stored": pl.Int32, "min": pl.Int64, "max": pl.Int64, "mean": pl.Float64,
    "std": pl.Float64, "p1": pl.Float64, "p50": pl.Float64, "p99": pl.Float64, "frac_at_min": pl.Float64,
    "frac_at_max": pl.Float64, "hist_lo": pl.Int64, "hist_hi": pl.Int64, "histogram": pl.List(pl.Int64),
    "error": pl.String,
}  # fmt: skip

#: What a cached row is keyed on besides the path (with what ``cp -p`` or a size-and-mtime-preserving edit
#: cannot keep).
_IDENTITY = {"size": pl.Int64, "mtime_ns": pl.Int64, "ctime_ns": pl.Int64, "inode": pl.Int64}
_LASTING_ERRORS = r"^(NotAnImageError|CorruptImageError|UnsupportedImageError): "


# --- per-file work (module level: picklable for process pools and Dask) ------------------------------


def _header_row(path: str) -> dict[str, Any]:
    row = read_header(path, check_extent=True)  # a download cut in the pixel data is an error row
    if row["PixelSpacing"] is not None:
        row["PixelSpacing"] = list(row["PixelSpacing"])
    return row


def stored_counts(path: str | os.PathLike) -> tuple[np.ndarray, int, int | None]:
    """Counts of every stored value of one image: ``(counts, offset, bits_stored)``; ``counts[i]`` is the
    number of pixels whose stored value is ``i + offset``.

    Uncompressed little-endian files are streamed in chunks of :data:`CHUNK_PIXELS`, so memory stays at a
    few MB whatever the image size; compressed ones are decoded once (one frame in memory).

    Examples
    --------
    >>> import cxrkit
    >>> ds = cxrkit.open_dataset()  # the demo, or $CXRKIT_ROOT
    >>> path = ds.study(ds.records().collect()["study_id"][0]).images[0].path
    >>> counts, offset, bits = stored_counts(path)
    >>> from cxrkit.images import read_stored
    >>> int(counts.sum()) == read_stored(path).size, offset, bits
    (True, 0, 12)
    """
    fast = None if file_kind(path) == "jpg" else native_layout(path)
    if fast is not None:
        info, offset, dtype = fast
        return _stream_counts(path, info, offset, dtype), _offset(dtype), info.get("BitsStored")
    arr, ds = read_stored_with_header(path)
    bits = 8 if ds is None else ds.get("BitsStored")
    flat = arr.ravel()
    if arr.dtype.itemsize > 2 or arr.dtype.kind not in "iu":  # 32-bit or float: count from the minimum
        base = int(flat.min())
        return np.bincount(flat.astype(np.int64) - base), base, bits
    counts = np.zeros(1 << (8 * arr.dtype.itemsize), dtype=np.int64)
    for start in range(0, flat.size, CHUNK_PIXELS):
        counts += _chunk_counts(flat[start : start + CHUNK_PIXELS], counts.size)
    return counts, _offset(arr.dtype), bits


def _offset(dtype: np.dtype) -> int:
    return -(1 << (8 * dtype.itemsize - 1)) if dtype.kind == "i" else 0


def _chunk_counts(chunk: np.ndarray, size: int) -> np.ndarray:
    if chunk.dtype.kind == "i":  # flip the sign bit: signed order becomes unsigned order
        unsigned = np.dtype(
            f"{chunk.dtype.byteorder if chunk.dtype.byteorder != '|' else ''}u{chunk.dtype.itemsize}"
        )
        chunk = chunk.view(unsigned) ^ np.array(1 << (8 * chunk.dtype.itemsize - 1), dtype=unsigned)
    return np.bincount(chunk, minlength=size)


def _stream_counts(path: str | os.PathLike, info: dict[str, Any], offset: int, dtype: np.dtype) -> np.ndarray:
    total = info["Rows"] * info["Columns"]
    size = 1 << (8 * dtype.itemsize)
    counts = np.zeros(size, dtype=np.int64)
    item = dtype.itemsize
    seen = 0
    with image_errors:
        for view in read_chunks(path, CHUNK_PIXELS * item, offset=offset, total=total * item):
            got = len(view) - len(view) % item  # a cut file may end inside a pixel
            if got:
                chunk = fix_sign(np.frombuffer(view[:got], dtype=dtype), info)
                counts += _chunk_counts(chunk, size)
                seen += got // item
    if seen < total:
        raise CorruptImageError(
            f"{path}: pixel data truncated: expected {total} pixels, found {seen}; re-download the file"
        )
    return counts


def stats_from_counts(
    counts: np.ndarray, offset: int = 0, bits_stored: int | None = None, bins: int = 64
) -> dict[str, Any]:
    """Range, mean, std, percentiles (numpy's default linear method), extreme fractions and a fixed-bin
    histogram, all from value counts.

    The histogram has ``bins`` equal bins over the whole stored bit range (``[0, 2**bits)`` unsigned,
    ``[-2**(bits-1), 2**(bits-1))`` signed); values outside it (stray high bits) count in the end bins.

    Examples
    --------
    >>> s = stats_from_counts(np.bincount(np.array([0, 1, 1, 2, 3])), bits_stored=2, bins=4)
    >>> s["mean"], s["p50"], s["histogram"]
    (1.4, 1.0, [1, 2, 1, 1])
    """
    nz = np.flatnonzero(counts)
    if nz.size == 0:
        raise ValueError("no pixels")
    c = counts[nz].astype(np.int64)
    v = (nz + offset).astype(np.float64)
    n = int(c.sum())
    mean = float((c * v).sum() / n)
    std = float(np.sqrt((c * (v - mean) ** 2).sum() / n))
    cum = np.cumsum(c)

    def percentile(q: float) -> float:
        h = (n - 1) * q / 100.0
        lo = int(np.floor(h))
        i = int(np.searchsorted(cum, lo, side="right"))
        j = int(np.searchsorted(cum, min(lo + 1, n - 1), side="right"))
        return float(v[i] + (h - lo) * (v[j] - v[i]))

    vmin, vmax = int(v[0]), int(v[-1])
    bits = int(bits_stored) if bits_stored else max(1, int(vmax).bit_length())
    hist_lo = -(1 << (bits - 1)) if offset < 0 else 0
    span = 1 << bits
    idx = np.clip(((nz + offset - hist_lo) * bins) // span, 0, bins - 1)
    hist = np.bincount(idx, weights=c, minlength=bins).astype(np.int64)
    return {
        "n_pixels": n, "bits_stored": bits, "min": vmin, "max": vmax, "mean": mean, "std": std,
        "p1": percentile(1), "p50": percentile(50), "p99": percentile(99),
        "frac_at_min": float(c[0] / n), "frac_at_max": float(c[-1] / n),
        "hist_lo": hist_lo, "hist_hi": hist_lo + span, "histogram": hist.tolist(),
    }  # fmt: skip


def _stats_row(path: str) -> dict[str, Any]:
    counts, offset, bits = stored_counts(path)
    row = stats_from_counts(counts, offset, bits)
    row.update(path_ids(path))
    return row


# --- the cached, incremental scan --------------------------------------------------------------------


def _inputs(source: Any, cache: Any) -> tuple[list[str], Cache | None]:
    if hasattr(source, "image_files"):
        frame = source.image_files()
        if isinstance(frame, pl.LazyFrame):
            frame = frame.collect()
        paths = frame.get_column("file").drop_nulls().to_list()
        if cache is None:
            cache = getattr(source, "cache", None)
    elif isinstance(source, (str, os.PathLike)):
        paths = [os.fspath(source)]
    else:
        paths = [os.fspath(p) for p in source]
    paths = [os.path.abspath(p) for p in paths]
    if cache is False:
        return paths, None
    return paths, cache if isinstance(cache, Cache) else Cache(cache)


def _scan(
    source: Any,
    func: Any,
    schema: dict[str, pl.DataType],
    name: str,
    *,
    executor: Any,
    progress: bool,
    cache: Any,
    refresh: bool = False,
    batch: Any = None,
) -> pl.DataFrame:
    paths, store = _inputs(source, cache)
    idents: list[tuple[int, int, int, int] | None] = []
    for p in paths:
        try:
            st = os.stat(p)
            idents.append((st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino))
        except OSError:
            idents.append(None)
    entry = store.path("images", f"{name}-v{TABLE_VERSION}.arrow") if store is not None else None
    old = _read_cache(entry, {**schema, **_IDENTITY})
    hits = None
    if old.height and not refresh:  # rows whose (path, size, mtime_ns) the cache already holds
        inputs = pl.DataFrame(
            {"path": paths, **{k: [i and i[j] for i in idents] for j, k in enumerate(_IDENTITY)}},
            schema={"path": pl.String, **_IDENTITY},
        ).with_row_index("_order")
        hits = inputs.join(old, on=["path", *_IDENTITY], how="inner")
    cached = set(hits.get_column("_order").to_list()) if hits is not None else set()
    todo = [i for i, ident in enumerate(idents) if ident is not None and i not in cached]
    item_s = None
    if executor is None and name == "pixel-stats" and store is not None and todo:
        item_s = _stats_item_seconds(store, [paths[i] for i in todo])
    batched, per_file = _batched(batch, executor, paths, todo, idents, schema, progress)
    rows = map_paths(
        func,
        [paths[i] for i in per_file],
        executor=executor,
        progress=progress,
        desc=f"{name} of images",
        item_seconds=item_s,
    )
    for row, i in zip(rows, per_file):
        row["path"] = paths[i]
        if row.get("error") is not None:
            row.update(path_ids(paths[i]))
    new = _frame(rows, schema)  # columns built one by one and stacked: no query engine on this path
    if batched is not None:  # both parts, back in the order of todo
        if per_file:
            order = {i: j for j, i in enumerate(todo)}
            extra = new.select(
                pl.Series("_order", [order[i] for i in per_file], dtype=pl.UInt32), *new.columns
            )
            batched = pl.concat([batched, extra])
        new = batched.sort("_order") if not batched["_order"].is_sorted() else batched
        new = new.drop("_order")
    if entry is not None and new.height:
        _write_cache(entry, store, old, new, [idents[i] for i in todo])
    absent = [i for i, ident in enumerate(idents) if ident is None]
    if not absent and hits is None:  # every row read now: already typed and in input order
        return new
    missing = [
        {"path": paths[i], "error": f"MissingFileError: {paths[i]}: no such file", **path_ids(paths[i])}
        for i in absent
    ]
    parts = [
        new.with_columns(_order=pl.Series(todo, dtype=pl.UInt32)),
        _frame(missing, schema).with_columns(_order=pl.Series(absent, dtype=pl.UInt32)),
        *([hits] if hits is not None else []),
    ]
    result = pl.concat(parts, how="diagonal_relaxed").sort("_order")
    return result.select([pl.col(k).cast(t) for k, t in schema.items()])


def _batched(
    batch: Any,
    executor: Any,
    paths: list[str],
    todo: list[int],
    idents: list[tuple[int, int, int, int] | None],
    schema: dict[str, pl.DataType],
    progress: bool,
) -> tuple[pl.DataFrame | None, list[int]]:
    """The rows of ``todo`` that ``batch`` reads in this process (the default or serial executor; ``.dcm``
    files only), as a typed frame with ``_order`` (position in ``todo``), and the indices left to the
    per-file function."""
    if batch is None or not (executor is None or (isinstance(executor, str) and executor == "serial")):
        return None, todo
    plain = [file_kind(paths[i]) == "dcm" for i in todo]
    dcm = [i for i, is_dcm in zip(todo, plain, strict=True) if is_dcm]
    if len(dcm) < BATCH_MIN:
        return None, todo
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(dcm), desc="headers of images", unit="file")
    try:
        frame, rest = batch([paths[i] for i in dcm], [idents[i][0] for i in dcm], bar)  # type: ignore[index]
    finally:
        if bar is not None:
            bar.close()
    position = np.full(len(paths), -1, np.int64)
    position[todo] = np.arange(len(todo))
    done = np.asarray(dcm, np.int64)[frame["_order"].to_numpy()] if frame.height else np.zeros(0, np.int64)
    frame = frame.select(
        pl.Series("_order", position[done], dtype=pl.UInt32),
        *(pl.col(k).cast(t) if k != "error" else pl.lit(None, dtype=t).alias(k) for k, t in schema.items()),
    )
    left = {i for i, is_dcm in zip(todo, plain, strict=True) if not is_dcm} | {dcm[j] for j in rest}
    return frame, [i for i in todo if i in left]


def _stats_item_seconds(store: Cache, paths: list[str]) -> float | None:
    """Mean seconds per file of :func:`pixel_stats` from the cached headers' Rows x Columns, when every file
    is there and stored uncompressed (not gzipped); ``None`` (time the first files) otherwise."""
    entry = store.path("images", f"headers-v{TABLE_VERSION}.arrow")
    known = _read_cache(entry, {**HEADER_SCHEMA, **_IDENTITY})
    if not known.height:
        return None
    want = pl.DataFrame({"path": paths}, schema={"path": pl.String})
    hit = want.join(known.select("path", "Rows", "Columns", "TransferSyntaxUID"), on="path", how="left")
    raw = hit.get_column("TransferSyntaxUID").is_in(list(_RAW_SYNTAXES)) & ~hit.get_column(
        "path"
    ).str.ends_with(".gz")
    if not raw.all() or hit.get_column("Rows").null_count() or hit.get_column("Columns").null_count():
        return None
    pixels = (hit.get_column("Rows").cast(pl.Int64) * hit.get_column("Columns").cast(pl.Int64)).mean()
    return float(pixels) * STATS_PIXEL_S  # type: ignore[arg-type]


def _write_cache(
    entry: Path, store: Cache, old: pl.DataFrame, new: pl.DataFrame, idents: list[tuple[int, ...]]
) -> None:
    """Merge the rows just read into the cache file. Successes and errors that depend only on the file's
    bytes are kept; an I/O hiccup or a missing decoder plugin (installable) is retried next time."""
    keep = new.hstack(
        [
            *(pl.Series(k, [i[j] for i in idents], dtype=pl.Int64) for j, k in enumerate(_IDENTITY)),
        ]
    )
    if keep.get_column("error").null_count() < keep.height:  # some errors (else nothing to filter)
        keep = keep.filter(pl.col("error").is_null() | pl.col("error").str.contains(_LASTING_ERRORS))
    if not keep.height:
        return
    merged = pl.concat([old.join(keep.select("path"), on="path", how="anti"), keep]) if old.height else keep
    # Arrow IPC: cheaper to write than parquet; a full or read-only cache warns, the rows are still returned
    store.keep(entry, lambda tmp: merged.write_ipc(tmp, compression="lz4"), what=f"image {entry.stem} rows")


def _frame(rows: list[dict[str, Any]], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Rows to a typed frame, column by column (faster than ``from_dicts`` for wide rows)."""
    return pl.DataFrame([typed_column(k, [row.get(k) for row in rows], dtype) for k, dtype in schema.items()])


def typed_column(name: str, values: list[Any], dtype: pl.DataType) -> pl.Series:
    """One typed column. Lists of equal length (PixelSpacing, histograms) are built from one 2-D numpy array:
    polars converts Python lists row by row, which costs more than the rest of a 300-row header table."""
    if not isinstance(dtype, pl.List):
        return pl.Series(name, values, dtype=dtype)
    present = [v for v in values if v is not None]
    width = len(present[0]) if present else 0
    if not width or any(len(v) != width for v in present):
        return pl.Series(name, values, dtype=dtype)
    fill = [0] * width
    rows = np.array([fill if v is None else v for v in values])
    if rows.dtype.kind not in "iuf":  # e.g. a None inside a list: let polars convert it
        return pl.Series(name, values, dtype=dtype)
    column = pl.Series(name, rows).cast(pl.Array(dtype.inner, width)).cast(dtype)
    if len(present) < len(values):
        column = pl.select(pl.when(pl.Series([v is not None for v in values])).then(column)).to_series()
    return column.alias(name)


def _read_cache(entry: Path | None, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    if entry is None or not entry.exists():
        return pl.DataFrame(schema=schema)
    try:
        old = pl.read_ipc(entry.read_bytes())  # bytes: no mapping of a file the scan will replace
        if dict(old.schema) != schema:
            return pl.DataFrame(schema=schema)
        return old.unique("path", keep="last")
    except Exception:  # noqa: BLE001 - a damaged cache file is rebuilt, never fatal
        return pl.DataFrame(schema=schema)


def header_table(
    dataset_or_paths: Any | Iterable[str | os.PathLike],
    *,
    executor: Any = None,
    progress: bool = True,
    cache: Any = None,
    refresh: bool = False,
) -> pl.DataFrame:
    """One row per image with the header fields of :func:`cxrkit.images.read_header` as typed columns.

    Parameters
    ----------
    dataset_or_paths
        Paths (``.dcm``, ``.dcm.gz``, ``.jpg``), or a Dataset-like object with ``image_files()`` (images
        missing on disk are left out) and a ``cache``.
    executor
        ``None``: this process or the session's shared process pool, whichever
        :func:`cxrkit.storage.choose_executor` estimates sooner (from the first files' time, or for pixel
        statistics :data:`STATS_PIXEL_S` per cached Rows x Columns); ``"serial"``; ``"pool"`` (the shared
        pool); any :class:`concurrent.futures.Executor`; or a ``dask.distributed.Client``. For a header
        table of :data:`BATCH_MIN` or more files, ``None`` and ``"serial"`` read the plain ``.dcm`` files in
        this process in batches (faster than the pool); the executor takes the rest.
    progress
        Show a ``tqdm.auto`` progress bar.
    cache
        A :class:`cxrkit.storage.Cache` or directory; ``None`` for the dataset's cache or the default cache;
        ``False`` to neither read nor write a cache. Rows are kept per file, keyed by its path, size, mtime,
        ctime and inode, so a changed or replaced file is read again.
    refresh
        Read every file again (and update the cache) even when its rows are cached.

    Returns
    -------
    polars.DataFrame
        Columns of :data:`HEADER_SCHEMA`, rows in input order; a bad file has its ids, nulls and ``error``
        (``"ErrorType: message"``).

    Examples
    --------
    >>> import cxrkit
    >>> ds = cxrkit.open_dataset()  # the demo, or $CXRKIT_ROOT
    >>> df = header_table(ds, progress=False)
    >>> df.height == ds.image_files().height, df.schema == pl.Schema(HEADER_SCHEMA)
    (True, True)
    >>> df["error"].is_null().all()
    True
    >>> meta = ds.metadata().select("dicom_id", "ViewPosition").collect()  # the headers agree with the table
    >>> both = df.join(meta, on="dicom_id", suffix="_table")
    >>> both.filter(pl.col("ViewPosition").ne_missing(pl.col("ViewPosition_table"))).height
    0
    """
    source = getattr(dataset_or_paths, "source", None)
    if (
        source is not None and source.fetches_on_demand
    ):  # a URL: ranged reads of each listed file's first bytes
        return _headers_from_source(dataset_or_paths, progress=progress, cache=cache, refresh=refresh)
    return _scan(
        dataset_or_paths,
        _header_row,
        HEADER_SCHEMA,
        "headers",
        executor=executor,
        progress=progress,
        cache=cache,
        refresh=refresh,
        batch=header_frame,
    )


def pixel_stats(
    dataset_or_paths: Any | Iterable[str | os.PathLike],
    *,
    executor: Any = None,
    progress: bool = True,
    cache: Any = None,
    refresh: bool = False,
) -> pl.DataFrame:
    """Per image: stored value range, mean, std, percentiles 1/50/99, fraction of pixels at the extremes and
    a 64-bin histogram over the stored bit range, all from one ``bincount`` of the stored values.

    Memory stays bounded: uncompressed files are streamed in chunks; compressed ones are decoded one at a
    time. Parameters and caching are those of :func:`header_table`.

    Returns
    -------
    polars.DataFrame
        Columns of :data:`STATS_SCHEMA`, rows in input order, ``error`` for bad files.

    Examples
    --------
    >>> import cxrkit
    >>> paths = cxrkit.open_dataset().image_files()["file"].head(3).to_list()
    >>> df = pixel_stats(paths, progress=False)
    >>> df.height, df["histogram"].list.len().to_list(), bool((df["min"] <= df["p50"]).all())
    (3, [64, 64, 64], True)
    """
    return _scan(
        dataset_or_paths,
        _stats_row,
        STATS_SCHEMA,
        "pixel-stats",
        executor=executor,
        progress=progress,
        cache=cache,
        refresh=refresh,
    )


# --- headers from a source that fetches on demand: ranged reads of each file's first bytes ------------------

#: Bytes read from the start of an image for its header (grown when a header is longer).
HEAD_BYTES = 8192
#: Files whose first bytes are asked for in one batch of concurrent requests.
HEAD_BATCH = 256


def _headers_from_source(ds: Any, *, progress: bool, cache: Any, refresh: bool = False) -> pl.DataFrame:
    """:func:`header_table` of every listed image of a dataset whose source fetches on demand: the first
    :data:`HEAD_BYTES` of each file in concurrent ranged requests (more only when a header is longer), parsed
    here. Rows are kept in the cache (keyed by the source's location), so a second call reads nothing remote;
    ``cache=False`` neither reads nor writes them. ``path`` is where the image goes in the local mirror (see
    :meth:`cxrkit.Dataset.local_file`). A server that ignores Range headers sends whole files:
    correct, slow."""
    source = ds.source
    store = (
        None if cache is False else cache if isinstance(cache, Cache) else Cache(cache) if cache else ds.cache
    )
    rels = layout.safe_image_paths(ds.records().collect(), ds.image_ext or ".dcm")
    entry = (
        None
        if store is None
        else store.path("images", f"remote-headers-v{TABLE_VERSION}-{identity_key(source.label)}.parquet")
    )
    old = pl.DataFrame(schema=HEADER_SCHEMA)
    if entry is not None and entry.exists() and not refresh:
        try:
            old = pl.read_parquet(entry)
            if dict(old.schema) != HEADER_SCHEMA:
                old = pl.DataFrame(schema=HEADER_SCHEMA)
        except Exception:  # noqa: BLE001 - a damaged cache file is rebuilt
            old = pl.DataFrame(schema=HEADER_SCHEMA)
    done = set(old.filter(pl.col("error").is_null()).get_column("path").to_list())
    paths = [str(source.root / r) for r in rels]
    todo = [i for i, p in enumerate(paths) if p not in done]
    rows: list[dict[str, Any]] = []
    bar = None
    if progress and todo:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(todo), desc="headers of remote images", unit="file")
    try:
        for start in range(0, len(todo), HEAD_BATCH):
            batch = todo[start : start + HEAD_BATCH]
            heads = source.heads([rels[i] for i in batch], HEAD_BYTES)
            rows.extend(_source_header_row(source, rels[i], paths[i], head) for i, head in zip(batch, heads))
            if bar is not None:
                bar.update(len(batch))
    finally:
        if bar is not None:
            bar.close()
    new = _frame(rows, HEADER_SCHEMA)
    merged = pl.concat([old.filter(~pl.col("path").is_in(new["path"].implode())), new]) if old.height else new
    if entry is not None and new.height:
        store.keep(entry, merged.write_parquet, what="remote image headers")
    order = pl.DataFrame(
        {"path": paths, "_order": range(len(paths))}, schema={"path": pl.String, "_order": pl.Int64}
    )
    return (
        order.join(merged.unique("path", keep="last"), on="path", how="left")
        .sort("_order")
        .select(list(HEADER_SCHEMA))
    )


def _source_header_row(source: Any, rel: str, path: str, head: bytes | CxrkitError) -> dict[str, Any]:
    """One header row from a file's first bytes, asking the source for more while the header goes on."""
    ids = path_ids(rel)
    want = HEAD_BYTES
    while True:
        if isinstance(head, CxrkitError):
            return {"path": path, **ids, "error": f"{type(head).__name__}: {head}"}
        try:
            row = header_from_bytes(head, rel, complete=len(head) < want)
        except CxrkitError as exc:
            return {"path": path, **ids, "error": f"{type(exc).__name__}: {exc}"}
        if row is not None:
            break
        want *= 8
        try:
            if want > 1 << 24:  # a header this long is not one: read the whole file
                row = read_header(source.local(rel))
                break
            head = source.read_range(rel, 0, want)
        except RemoteAuthError:
            raise
        except CxrkitError as exc:
            head = exc
    if row.get("PixelSpacing") is not None:
        row["PixelSpacing"] = list(row["PixelSpacing"])
    return {**row, "path": path, "error": None}
