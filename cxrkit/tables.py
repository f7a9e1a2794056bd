"""The tables of MIMIC-CXR and MIMIC-CXR-JPG: where they are, their schemas, and lazy typed scans.

Every known table is described once in :data:`TABLES` (file names, columns and types, what the table is).
:func:`load_table` checks a file's header, scans it lazily with an explicit schema (polars streams
``.csv.gz``), applies the typed conversions (``StudyDate`` -> date, ``StudyTime`` -> time with the lost
leading zero restored) and, given a :class:`~cxrkit.storage.Cache`, keeps a parquet copy keyed by the file's
identity so later scans are columnar and fast. A bad file gives a :class:`~cxrkit.errors.TableError`
naming it.

When the record/study lists are absent (a MIMIC-CXR-JPG copy, a partial download), :func:`listing_records`
and :func:`listing_studies` derive equivalent tables from ``IMAGE_FILENAMES`` or from a walk of ``files/``.

Schemas (ids are ``Int64``, ``dicom_id`` and ``path`` are ``String``, labels ``Float64`` with null for blank):

========== ============================================================================================
records    subject_id, study_id, dicom_id, path (the image's ``.dcm`` path)
studies    subject_id, study_id, path (the report's ``.txt`` path)
metadata   dicom_id, subject_id, study_id, PerformedProcedureStepDescription, ViewPosition, Rows, Columns,
           StudyDate (Date), StudyTime (Time), ProcedureCodeSequence_CodeMeaning,
           ViewCodeSequence_CodeMeaning, PatientOrientationCodeSequence_CodeMeaning
chexpert   subject_id, study_id, then the 14 label columns (Float64: 1.0, 0.0, -1.0, null)
negbio     same as chexpert
split      dicom_id, study_id, subject_id, split (train / validate / test)
providers  study_id, then provider id columns as strings (columns vary between releases)
========== ============================================================================================

Examples
--------
>>> TABLES["records"].columns
('subject_id', 'study_id', 'dicom_id', 'path')
>>> LABEL_COLUMNS[:2]
('Atelectasis', 'Cardiomegaly')
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from polars.io.plugins import register_io_source

from . import layout
from .errors import CxrkitError, TableError
from .storage.cache import Cache, file_identity, identity_key, pending, wait_for_writes, write_in_background
from .storage.files import read_head_line

#: The 14 CheXpert/NegBio label columns, in file order.
LABEL_COLUMNS = (
    "Atelectasis",
    "Cardiomegaly",
    "Consolidation",
    "Edema",
    "Enlarged Cardiomediastinum",
    "Fracture",
    "Lung Lesion",
    "Lung Opacity",
    "No Finding",
    "Pleural Effusion",
    "Pleural Other",
    "Pneumonia",
    "Pneumothorax",
    "Support Devices",
)

#: Bump when the typed form of a table changes, so cached parquet copies are rebuilt.
SCHEMA_VERSION = 1

_ID = pl.Int64
_STR = pl.String


@dataclass(frozen=True)
class TableSpec:
    """What the kit knows about one table file."""

    name: str
    files: tuple[str, ...]  # fnmatch patterns in the root, best first (layout.TABLE_FILES)
    schema: dict[str, pl.DataType]  # columns as read from the CSV, in file order
    description: str
    source: str  # which project ships it
    required: tuple[str, ...] = ()  # columns that must be present (default: all of schema)
    extra_type: pl.DataType = field(default=_STR)  # type of columns the kit does not know

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.schema)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return self.required or self.columns


_LABEL_SCHEMA: dict[str, pl.DataType] = {
    "subject_id": _ID,
    "study_id": _ID,
    **{c: pl.Float64 for c in LABEL_COLUMNS},
}

TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec(
            "records",
            layout.TABLE_FILES["records"],
            {"subject_id": _ID, "study_id": _ID, "dicom_id": _STR, "path": _STR},
            "one row per image: image -> study -> patient",
            "MIMIC-CXR",
        ),
        TableSpec(
            "studies",
            layout.TABLE_FILES["studies"],
            {"subject_id": _ID, "study_id": _ID, "path": _STR},
            "one row per study: study -> patient, with the report path",
            "MIMIC-CXR",
        ),
        TableSpec(
            "metadata",
            layout.TABLE_FILES["metadata"],
            {
                "dicom_id": _STR,
                "subject_id": _ID,
                "study_id": _ID,
                "PerformedProcedureStepDescription": _STR,
                "ViewPosition": _STR,
                "Rows": _ID,
                "Columns": _ID,
                "StudyDate": _ID,
                "StudyTime": pl.Float64,
                "ProcedureCodeSequence_CodeMeaning": _STR,
                "ViewCodeSequence_CodeMeaning": _STR,
                "PatientOrientationCodeSequence_CodeMeaning": _STR,
            },
            "one row per image: DICOM header fields (view, size, date and time)",
            "MIMIC-CXR-JPG",
        ),
        TableSpec(
            "chexpert",
            layout.TABLE_FILES["chexpert"],
            _LABEL_SCHEMA,
            "one row per study: 14 CheXpert labeller labels",
            "MIMIC-CXR-JPG",
        ),
        TableSpec(
            "negbio",
            layout.TABLE_FILES["negbio"],
            _LABEL_SCHEMA,
            "one row per study: 14 NegBio labeller labels",
            "MIMIC-CXR-JPG",
        ),
        TableSpec(
            "split",
            layout.TABLE_FILES["split"],
            {"dicom_id": _STR, "study_id": _ID, "subject_id": _ID, "split": _STR},
            "one row per image: the recommended train / validate / test split",
            "MIMIC-CXR-JPG",
        ),
        TableSpec(
            "providers",
            layout.TABLE_FILES["providers"],
            {
                "study_id": _ID,
                "ordering_provider_id": _STR,
                "attending_provider_id": _STR,
                "resident_provider_id": _STR,
            },
            "one row per study: de-identified ordering, attending and resident provider ids",
            "MIMIC-CXR 2.1.0",
            required=("study_id",),
        ),
    )
}

#: Columns whose values are ids; in string form they are checked against the layout rules.
ID_COLUMNS = {
    "subject_id": layout.SUBJECT_ID_PATTERN,
    "study_id": layout.STUDY_ID_PATTERN,
    "dicom_id": layout.DICOM_ID_PATTERN,
}

IMAGE_FILENAMES = layout.IMAGE_FILENAMES


def find_table(root: str | os.PathLike, name: str) -> Path | None:
    """The file of table ``name`` in ``root``, or ``None``. With several versions, the highest wins.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (root / "mimic-cxr-2.0.0-split.csv.gz").write_bytes(b"")
    >>> find_table(root, "split").name, find_table(root, "records")
    ('mimic-cxr-2.0.0-split.csv.gz', None)
    """
    root = Path(root)
    try:
        with os.scandir(root) as entries:
            names = [e.name for e in entries if e.is_file()]
    except OSError:
        return None
    found = layout.find_table_file(names, name)
    return root / found if found is not None else None


def _header_columns(path: Path) -> list[str]:
    try:
        line = read_head_line(path)
    except CxrkitError as exc:
        raise TableError(str(exc)) from exc
    if not line.strip():
        raise TableError(f"{path}: the file is empty; expected a CSV header line. Re-download it.")
    line = line.removeprefix("\ufeff")  # a byte-order mark (a table saved by a spreadsheet) is no column name
    return [c.strip().strip('"') for c in line.split(",")]


def read_schema(path: str | os.PathLike, spec: TableSpec, *, raw: bool = False) -> dict[str, pl.DataType]:
    """The explicit read schema for ``path``: its header's columns, typed by ``spec``
    (unknown ones as strings).

    Raises :class:`TableError` naming the file and the missing columns when required columns are absent.
    With ``raw=True`` every column is read as a string (what validation needs to see malformed values).
    """
    path = Path(path)
    found = _header_columns(path)
    missing = [c for c in spec.required_columns if c not in found]
    if missing:
        raise TableError(
            f"{path}: missing column(s) {', '.join(missing)}; found {', '.join(found) or 'none'}. "
            f"Expected the {spec.name} table ({spec.description}) with columns {', '.join(spec.columns)}."
        )
    if len(set(found)) != len(found):
        raise TableError(f"{path}: duplicate column names in the header: {', '.join(found)}")
    return {c: (_STR if raw else spec.schema.get(c, spec.extra_type)) for c in found}


def _typed(lf: pl.LazyFrame, spec: TableSpec) -> pl.LazyFrame:
    names = lf.collect_schema().names()
    exprs = []
    if "StudyDate" in names and spec.schema.get("StudyDate") == _ID:
        exprs.append(pl.col("StudyDate").cast(_STR).str.to_date("%Y%m%d", strict=False))
    if "StudyTime" in names and spec.schema.get("StudyTime") == pl.Float64:
        exprs.append(study_time_expr(pl.col("StudyTime")))
    return lf.with_columns(exprs) if exprs else lf


def empty_table(name: str) -> pl.LazyFrame:
    """Table ``name`` with no rows and its typed columns (what :func:`load_table` gives): the stand-in for a
    table a copy lacks, so that joins keep their columns.

    Examples
    --------
    >>> empty_table("metadata").collect_schema()["StudyDate"]
    Date
    """
    spec = TABLES[name]
    return _typed(pl.LazyFrame(schema=spec.schema), spec)


def study_time_expr(value: pl.Expr) -> pl.Expr:
    """StudyTime floats (``HHMMSS.fff`` with the leading zero lost, e.g. ``80556.875``) as a polars Time.

    Impossible times (minute or second >= 60, hour >= 24, negative) become null.

    Examples
    --------
    >>> pl.select(study_time_expr(pl.lit(80556.875))).item()
    datetime.time(8, 5, 56, 875000)
    """
    whole = value.floor().cast(pl.Int64)
    micro = ((value - value.floor()) * 1_000_000).round().cast(pl.Int64).clip(0, 999_999)
    hh, mm, ss = whole // 10000, (whole // 100) % 100, whole % 100
    ok = (whole >= 0) & (hh < 24) & (mm < 60) & (ss < 60)
    nanos = ((hh * 3600 + mm * 60 + ss) * 1_000_000 + micro) * 1000
    return pl.when(ok).then(nanos).cast(pl.Time).alias("StudyTime")


def scan_table(path: str | os.PathLike, spec: TableSpec | str, *, raw: bool = False) -> pl.LazyFrame:
    """Lazily scan a table file with an explicit schema (typed, unless ``raw``); nothing is read yet.

    Read errors surface at ``collect()``; :func:`load_table` with a cache reports them as
    :class:`TableError` up front.
    """
    spec = TABLES[spec] if isinstance(spec, str) else spec
    schema = read_schema(path, spec, raw=raw)
    lf = pl.scan_csv(Path(path), schema=schema, has_header=True, quote_char='"')
    return lf if raw else _typed(lf, spec)


def explain_read_error(path: Path, spec: TableSpec, exc: BaseException) -> TableError:
    """Turn a polars/OS error raised while reading ``path``
    into a :class:`TableError` that says what to do."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if "could not parse" in text:
        hint = (
            f"a value has the wrong type for the {spec.name} table "
            f"(expected {', '.join(f'{c}: {t}' for c, t in spec.schema.items())})"
        )
    elif "end of file" in text or "deflate" in text or "gzip" in text.lower() or "corrupt" in text:
        hint = "the file looks truncated or corrupt; re-download it (and check SHA256SUMS.txt)"
    else:
        hint = f"it is not a valid {spec.name} table ({spec.description})"
    return TableError(f"{path}: {text}: {hint}")


#: Rows per parquet row group of a cached copy: small groups keep the streaming write's buffers small (the
#: first call's peak memory) and cost nothing measurable when the copy is read.
COPY_ROW_GROUP = 16_384

#: A table file smaller than this (bytes on disk) is copied on the first call itself, as before: it takes
#: milliseconds, and a bad value anywhere in it is a :class:`TableError` on that call. A larger one (the
#: record list is 10+ MB) is answered from a snapshot while the copy is built in the background.
SYNC_BELOW_BYTES = 1 << 20

_BUILD_LOCKS: dict[Path, threading.Lock] = {}
_BUILD_LOCKS_LOCK = threading.Lock()


#: Parquet copies (and CSV snapshots) this process has handed out as lazy frames: a rebuild never deletes one
#: of them, so a frame a user still holds keeps reading the table as it was when it was asked for. Those a
#: rebuild superseded, and every snapshot, are removed when the process exits.
_HANDED_OUT: set[Path] = set()
_SUPERSEDED: set[Path] = set()
#: Copies whose background build found the file unreadable: the next call raises this error (until the file
#: changes, which changes the copy's name, or ``refresh=True``).
_FAILED: dict[Path, TableError] = {}


@atexit.register
def _remove_superseded() -> None:
    for stale in _SUPERSEDED:
        with contextlib.suppress(OSError):
            stale.unlink()


def _write_copy(cache: Cache, final: Path, name: str, lf: pl.LazyFrame) -> None:
    """Stream ``lf`` (the typed CSV scan) into the parquet copy ``final``, atomically; remove stale copies
    that no frame of this process still reads.

    Streaming reads, converts and writes the file a chunk at a time, so memory stays bounded by the chunks,
    not the table. It also reads every value, so a bad or truncated file raises here, before anything is used.
    """
    with cache.atomic_path(final) as tmp:
        lf.sink_parquet(tmp, compression="lz4", statistics=False, row_group_size=COPY_ROW_GROUP)
    _remove_stale(final, name)


def _remove_stale(final: Path, name: str) -> None:
    for stale in final.parent.glob(f"{name}-*.parquet"):
        if stale == final:
            continue
        if stale in _HANDED_OUT:
            _SUPERSEDED.add(stale)
        else:
            stale.unlink(missing_ok=True)


def _scan_copy(final: Path) -> pl.LazyFrame:
    _HANDED_OUT.add(final)
    return pl.scan_parquet(final)


_SNAPSHOT_RE = re.compile(r".+\.snap(\d+)\.csv(?:\.gz)?")


def _snapshot(cache: Cache, path: Path, final: Path, ident: tuple) -> Path | None:
    """A byte copy of the table file beside its parquet copy (``sendfile``: a few ms for the largest list),
    taken only if the file is the one ``ident`` names before and after: the first call's lazy frame reads it,
    so that frame keeps the table as it was when it was asked for, whatever happens to the file later.
    ``None`` when it cannot be taken (the file changed meanwhile, the cache refuses the write)."""
    suffix = ".csv.gz" if path.name.endswith(".gz") else ".csv"
    snap = final.with_name(f"{final.stem}.snap{os.getpid()}{suffix}")
    try:
        with cache.atomic_path(snap) as tmp:
            shutil.copyfile(path, tmp)
    except (OSError, CxrkitError):
        return None
    if file_identity(path) != ident:
        snap.unlink(missing_ok=True)
        return None
    _HANDED_OUT.add(snap)
    _SUPERSEDED.add(snap)  # read until the process exits, then removed
    return snap


def _sweep_snapshots(folder: Path) -> None:
    """Remove the snapshots of processes that are gone (killed before their exit handler ran)."""
    for snap in folder.glob("*.snap*.csv*"):
        match = _SNAPSHOT_RE.fullmatch(snap.name)
        if match and int(match.group(1)) != os.getpid() and not _pid_alive(int(match.group(1))):
            snap.unlink(missing_ok=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


#: The background build starts once this process has been (nearly) idle for two windows of
#: :data:`IDLE_WINDOW_S` (under :data:`IDLE_CPU_SHARE` of one core: the user's first query has finished),
#: and at the latest after :data:`COPY_MAX_WAIT_S`. On 2 cores a build running beside the first query
#: doubled its time.
IDLE_WINDOW_S = 0.1
IDLE_CPU_SHARE = 0.1
COPY_MAX_WAIT_S = 30.0


def _wait_until_idle() -> None:
    deadline = time.monotonic() + COPY_MAX_WAIT_S
    quiet = 0
    while quiet < 2 and time.monotonic() < deadline:
        cpu = time.process_time()
        time.sleep(IDLE_WINDOW_S)
        quiet = quiet + 1 if time.process_time() - cpu < IDLE_CPU_SHARE * IDLE_WINDOW_S else 0


def _build_later(cache: Cache, final: Path, path: Path, spec: TableSpec, snap: Path, schema: dict) -> None:
    """Build the parquet copy from the snapshot in a background thread, once the process is idle
    (:func:`_wait_until_idle`); a file that turns out unreadable is remembered (:data:`_FAILED`: a warning
    now, a :class:`TableError` on the next call) and leaves no copy."""

    def build(_: object) -> None:
        _wait_until_idle()
        lf = _typed(pl.scan_csv(snap, schema=schema, has_header=True, quote_char='"'), spec)
        try:
            _write_copy(cache, final, spec.name, lf)
        except _READ_ERRORS as exc:
            if isinstance(exc, OSError) and _readable(snap, schema):
                raise  # the cache refused the write: write_in_background warns
            err = explain_read_error(path, spec, exc)
            _FAILED[final] = err
            warnings.warn(f"{err} (no copy was made; the next call raises this error)", stacklevel=1)
        _sweep_snapshots(final.parent)

    write_in_background(final, snap, build, what=f"the {spec.name} table in {cache.root}")


def _readable(snap: Path, schema: dict) -> bool:
    try:
        pl.scan_csv(snap, schema=schema, has_header=True).select(pl.len()).collect()
    except _READ_ERRORS:
        return False
    return True


#: Block until every background cache write (the parquet copies of first calls, the corpus entries of
#: :mod:`cxrkit.reports.corpus`) is on disk.
wait_for_cache_writes = wait_for_writes

#: What reading a damaged table file raises from polars, gzip or the OS (turned into a TableError by
#: :func:`explain_read_error`).
READ_ERRORS = (pl.exceptions.PolarsError, OSError, EOFError, ValueError)
_READ_ERRORS = READ_ERRORS


def _guarded_scan(snap: Path, path: Path, spec: TableSpec, schema: dict) -> pl.LazyFrame:
    """The typed lazy scan of a snapshot, as a polars IO source: the query's projection, filter and row
    limit are pushed into the scan, and a damaged value or a truncated file the query runs into raises a
    :class:`TableError` naming the user's file (not the snapshot) instead of a polars error."""
    typed = _typed(pl.scan_csv(snap, schema=schema, has_header=True, quote_char='"'), spec)

    def source(with_columns, predicate, n_rows, batch_size):
        lf = typed if with_columns is None else typed.select(with_columns)
        if predicate is not None:
            lf = lf.filter(predicate)
        if n_rows is not None:
            lf = lf.head(n_rows)
        # started now, in the background: the streaming engine calls every source when it builds the query
        # but pulls them one after the other (a join's build side first), so two tables read at once, as
        # native scans are (the record and study lists: the study list's ~30 ms no longer waits)
        return _fetched(lf.collect(background=True), path, spec)

    return register_io_source(source, schema=typed.collect_schema())


def _fetched(query, path: Path, spec: TableSpec):
    try:
        yield query.fetch_blocking()
    except _READ_ERRORS as exc:
        raise explain_read_error(path, spec, exc) from None


def load_table(
    path: str | os.PathLike, spec: TableSpec | str, *, cache: Cache | None = None, refresh: bool = False
) -> pl.LazyFrame:
    """A typed lazy frame of a table file, backed by a parquet copy in ``cache`` when one is given.

    Without a cache (or with ``cache=None``) this is the lazy CSV scan itself. With a cache, a call that
    finds the copy scans it (columnar, no look at the CSV). The first call (no copy yet) takes a byte snapshot
    of the file into the cache (milliseconds) and answers from a lazy scan of the snapshot: a query reads only
    the columns it asks for, and the frame keeps the table as it was at the call even if the file changes
    later. The full parquet copy is streamed from the snapshot in a background thread
    (:func:`wait_for_cache_writes` waits for it); a call made meanwhile scans the same snapshot. A file under
    :data:`SYNC_BELOW_BYTES`, and a call with ``refresh=True``, is copied before answering instead.

    A header that lacks required columns raises a :class:`TableError` on the first call. A damaged value or a
    truncated file is found by the first query that reads it (a :class:`TableError` from that query's
    ``collect()``, naming the file) or by the background build,
    which warns, makes no copy, and makes the next call raise a :class:`TableError` naming the file and
    saying what to do (:func:`cxrkit.validate.validate` checks every table up front). If the copy cannot be
    written (disk full, no permission), a warning says so and later calls take a new snapshot. The copy is
    keyed by the source's path, size, mtime, ctime and inode (:func:`cxrkit.storage.file_identity`): a changed
    file, even one copied over with ``cp -p``, gets a new copy and the stale one is removed (unless a frame
    this process handed out
    still reads it). ``refresh=True`` rebuilds the copy from the file before answering.
    """
    spec = TABLES[spec] if isinstance(spec, str) else spec
    path = Path(path)
    if cache is None:
        return scan_table(path, spec)
    ident = file_identity(path)
    folder = cache.path("tables", identity_key(ident[0]))
    final = folder / f"{spec.name}-{identity_key(ident, SCHEMA_VERSION, pl.__version__)}.parquet"
    if final.exists() and not refresh:  # the warm path: one stat of the file, one of the copy
        return _scan_copy(final)
    if refresh:
        _FAILED.pop(final, None)
    elif final in _FAILED:
        raise _FAILED[final]
    schema = read_schema(path, spec)  # missing columns: an error now
    with _BUILD_LOCKS_LOCK:
        lock = _BUILD_LOCKS.setdefault(final, threading.Lock())
    with lock:  # one build per copy: a concurrent first call scans the same snapshot
        if final.exists() and not refresh:
            return _scan_copy(final)
        held = pending(final)
        if held is not None and not refresh:
            return _guarded_scan(held, path, spec, schema)
        small = ident[1] < SYNC_BELOW_BYTES
        snap = None if refresh or small else _snapshot(cache, path, final, ident)
        if snap is not None:
            _build_later(cache, final, path, spec, snap, schema)
            return _guarded_scan(snap, path, spec, schema)
        lf = _typed(pl.scan_csv(path, schema=schema, has_header=True, quote_char='"'), spec)
        try:
            _write_copy(cache, final, spec.name, lf)
        except Exception as exc:  # noqa: BLE001 - the file or the cache: reading the file again tells which
            try:
                df = lf.collect()
            except _READ_ERRORS as read_exc:
                raise explain_read_error(path, spec, read_exc) from read_exc
            warnings.warn(
                f"could not cache the {spec.name} table in {cache.root}: {type(exc).__name__}: {exc}",
                stacklevel=2,
            )
            return df.lazy()
    return _scan_copy(final)


# --- derived columns ------------------------------------------------------------------------------------

#: ViewPosition values that show the chest from the front, and from the side.
FRONTAL_VIEWS = ("PA", "AP", "AP AXIAL", "PA LLD", "AP LLD", "AP RLD", "PA RLD")
LATERAL_VIEWS = ("LATERAL", "LL", "XTABLE LATERAL", "RL")


def view_exprs() -> list[pl.Expr]:
    """Two expressions over metadata columns: ``view`` (``frontal`` / ``lateral`` / ``other`` / null) and
    ``view_source`` (which column decided), a transparent fallback for the ~15.8k images with no ViewPosition.

    In order of trust: ``ViewPosition`` (PA, AP and variants are frontal; LATERAL, LL, XTABLE LATERAL lateral;
    oblique and swimmer's views ``other``); else the coded view ``ViewCodeSequence_CodeMeaning``
    (*postero-anterior* / *antero-posterior* frontal, anything *lateral* lateral); else a procedure naming a
    single frontal view (``PORTABLE AP``, ``SINGLE VIEW``) frontal; else null.

    Examples
    --------
    >>> df = pl.DataFrame({"ViewPosition": ["PA", None, None, None, "LAO"],
    ...                    "ViewCodeSequence_CodeMeaning": [None, "lateral", None, None, None],
    ...                    "PerformedProcedureStepDescription": [None, None, "CHEST (PORTABLE AP)",
    ...                                                          "CHEST (PA AND LAT)", None]})
    >>> df.select(view_exprs()).rows()  # doctest: +NORMALIZE_WHITESPACE
    [('frontal', 'ViewPosition'), ('lateral', 'ViewCodeSequence'), ('frontal', 'procedure'), (None, None),
     ('other', 'ViewPosition')]
    """
    position = pl.col("ViewPosition").str.strip_chars().str.to_uppercase()
    code = pl.col("ViewCodeSequence_CodeMeaning").str.to_lowercase()
    procedure = pl.col("PerformedProcedureStepDescription").str.to_uppercase()
    has_position = position.is_not_null() & (position != "")
    decided = [
        (position.is_in(FRONTAL_VIEWS), "frontal", "ViewPosition"),
        (position.is_in(LATERAL_VIEWS), "lateral", "ViewPosition"),
        (has_position, "other", "ViewPosition"),
        (code.str.contains("anterior"), "frontal", "ViewCodeSequence"),
        (code.str.contains("lateral"), "lateral", "ViewCodeSequence"),
        (procedure.str.contains(r"PORTABLE AP|SINGLE VIEW|\bAP\)"), "frontal", "procedure"),
    ]
    view = pl.when(decided[0][0]).then(pl.lit(decided[0][1]))
    source = pl.when(decided[0][0]).then(pl.lit(decided[0][2]))
    for cond, kind, where in decided[1:]:
        view, source = view.when(cond).then(pl.lit(kind)), source.when(cond).then(pl.lit(where))
    return [
        view.otherwise(pl.lit(None, pl.String)).alias("view"),
        source.otherwise(pl.lit(None, pl.String)).alias("view_source"),
    ]


# --- tables derived from what is on disk ---------------------------------------------------------------


def listing_records(listing: pl.DataFrame) -> pl.DataFrame:
    """A records table (``subject_id, study_id, dicom_id, path``) from a file listing;
    path as found on disk."""
    return (
        listing.filter(pl.col("kind") == "image")
        .select("subject_id", "study_id", "dicom_id", "path")
        .unique("dicom_id", keep="first")
        .sort("subject_id", "study_id", "dicom_id")
    )


def listing_studies(listing: pl.DataFrame) -> pl.DataFrame:
    """A studies table (``subject_id, study_id, path``) from a file listing: every study with an image or a
    report on disk; ``path`` is the report path built by :mod:`cxrkit.layout`."""
    return (
        listing.filter(pl.col("kind") != "other")
        .select("subject_id", "study_id")
        .unique()
        .with_columns(layout.report_path_expr())
        .sort("subject_id", "study_id")
    )
