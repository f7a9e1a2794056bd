"""Rows 1-2: queries over the full-scale tables, cxrkit (polars, parquet cache) against pandas ``read_csv``.

Row 1: patients with >= 3 studies and their image counts, from the record and study lists.
Row 2: the same patients with, per patient, frontal and lateral image counts (metadata ``ViewPosition``) and
the number of studies labelled positive for pleural effusion (chexpert).
"""

from __future__ import annotations

from pathlib import Path

from .harness import Group, Line, Side

FRONTAL = ["PA", "AP"]
LATERAL = ["LATERAL", "LL"]


def _rows(df) -> list[list[int]]:
    """Canonical answer: the frame's rows as lists of ints, sorted (works for polars and pandas frames)."""
    if hasattr(df, "to_pandas"):  # polars
        rows = df.rows()
    else:
        rows = list(df.itertuples(index=False, name=None))
    return sorted([int(v) for v in row] for row in rows)


def _answer(df) -> tuple[list[list[int]], str]:
    rows = _rows(df)
    return rows, f"{len(rows)} patients, {sum(r[2] for r in rows)} images"


# --- cxrkit --------------------------------------------------------------------------------------------


def kit_query1(ds):
    """Row 1 through the kit: the same polars query (:func:`polars_query1`) over the dataset's tables."""
    return polars_query1(ds.studies(), ds.records())


def kit_query2(ds):
    import polars as pl

    patients = kit_query1(ds).lazy()
    views = (
        ds.records()
        .select("subject_id", "dicom_id")
        .join(patients.select("subject_id"), on="subject_id", how="semi")
        .join(ds.metadata().select("dicom_id", "ViewPosition"), on="dicom_id", how="left")
        .group_by("subject_id")
        .agg(
            pl.col("ViewPosition").is_in(FRONTAL).sum().cast(pl.Int64).alias("n_frontal"),
            pl.col("ViewPosition").is_in(LATERAL).sum().cast(pl.Int64).alias("n_lateral"),
        )
    )
    effusion = (
        ds.chexpert()
        .filter(pl.col("Pleural Effusion") == 1.0)
        .group_by("subject_id")
        .agg(pl.len().cast(pl.Int64).alias("n_effusion"))
    )
    return (
        patients.join(views, on="subject_id", how="left")
        .join(effusion, on="subject_id", how="left")
        .with_columns(pl.col("n_frontal", "n_lateral", "n_effusion").fill_null(0))
        .sort("subject_id")
        .collect()
    )


def _kit_first(query):
    def prepare(ctx):
        import cxrkit

        cxrkit.open_dataset  # noqa: B018 - import the dataset module before timing

        def run():
            ds = cxrkit.open_dataset(ctx["tables"], cache_dir=ctx["fresh"])
            return query(ds)

        return run

    return prepare


def _kit_cached(query):
    def prepare(ctx):
        import cxrkit

        query(cxrkit.open_dataset(ctx["tables"], cache_dir=ctx["warm_cache"]))  # builds the cache if needed

        def run():  # a later call, even from a new session: open the dataset, run the query
            ds = cxrkit.open_dataset(ctx["tables"], cache_dir=ctx["warm_cache"])
            return query(ds)

        return run

    return prepare


# --- pandas baseline -----------------------------------------------------------------------------------


def pandas_query1(root: Path):
    import pandas as pd

    studies = pd.read_csv(root / "cxr-study-list.csv.gz")
    records = pd.read_csv(root / "cxr-record-list.csv.gz")
    n_studies = studies.groupby("subject_id").size().rename("n_studies")
    n_images = records.groupby("subject_id").size().rename("n_images")
    out = pd.merge(n_studies, n_images, left_index=True, right_index=True, how="left")
    out = out[out["n_studies"] >= 3].fillna({"n_images": 0}).astype("int64")
    return out.reset_index().sort_values("subject_id"), records


def pandas_query2(root: Path):
    import pandas as pd

    patients, records = pandas_query1(root)
    metadata = pd.read_csv(root / "mimic-cxr-2.0.0-metadata.csv.gz")
    chexpert = pd.read_csv(root / "mimic-cxr-2.0.0-chexpert.csv.gz")
    images = records[records["subject_id"].isin(patients["subject_id"])][["subject_id", "dicom_id"]]
    images = images.merge(metadata[["dicom_id", "ViewPosition"]], on="dicom_id", how="left")
    images["frontal"] = images["ViewPosition"].isin(FRONTAL)
    images["lateral"] = images["ViewPosition"].isin(LATERAL)
    views = images.groupby("subject_id").agg(n_frontal=("frontal", "sum"), n_lateral=("lateral", "sum"))
    effusion = chexpert[chexpert["Pleural Effusion"] == 1.0].groupby("subject_id").size().rename("n_effusion")
    out = patients.merge(views, left_on="subject_id", right_index=True, how="left")
    out = out.merge(effusion, left_on="subject_id", right_index=True, how="left")
    out = out.fillna({"n_frontal": 0, "n_lateral": 0, "n_effusion": 0}).astype("int64")
    return out.sort_values("subject_id")


def _pandas1(ctx):
    import pandas  # noqa: F401 - imported before timing, like the kit's polars

    root = Path(ctx["tables"])
    return lambda: pandas_query1(root)[0]


def _pandas2(ctx):
    import pandas  # noqa: F401

    root = Path(ctx["tables"])
    return lambda: pandas_query2(root)


# --- the strong side: DuckDB, hand-written polars, and the inflate floor ------------------------------------

STUDIES_CSV, RECORDS_CSV = "cxr-study-list.csv.gz", "cxr-record-list.csv.gz"
STUDIES_SCHEMA = {"subject_id": "Int64", "study_id": "Int64", "path": "String"}
RECORDS_SCHEMA = {"subject_id": "Int64", "study_id": "Int64", "dicom_id": "String", "path": "String"}


def polars_query1(studies, records):
    """Row 1 as a polars user writes it, over two lazy frames (CSV scans or parquet scans)."""
    import polars as pl

    n_studies = studies.group_by("subject_id").agg(pl.len().alias("n_studies"))
    n_images = records.group_by("subject_id").agg(pl.len().alias("n_images"))
    return (
        n_studies.filter(pl.col("n_studies") >= 3)
        .join(n_images, on="subject_id", how="left")
        .with_columns(pl.col("n_images").fill_null(0))
        .select("subject_id", pl.col("n_studies").cast(pl.Int64), pl.col("n_images").cast(pl.Int64))
        .sort("subject_id")
        .collect()
    )


def _schema(names: dict[str, str]):
    import polars as pl

    return {k: getattr(pl, v) for k, v in names.items()}


def _polars_csv(ctx):
    """Hand-written ``pl.scan_csv`` of both ``.csv.gz`` with an explicit schema (no cache, no copy)."""
    import polars as pl

    root = Path(ctx["tables"])
    studies_schema, records_schema = _schema(STUDIES_SCHEMA), _schema(RECORDS_SCHEMA)

    def run():
        studies = pl.scan_csv(root / STUDIES_CSV, schema=studies_schema)
        records = pl.scan_csv(root / RECORDS_CSV, schema=records_schema)
        return polars_query1(studies, records)

    return run


def parquet_copies(ctx) -> tuple[Path, Path]:
    """Where the hand-written polars side keeps its own parquet copies of the two lists (written by the
    group's warm-up, in a separate process)."""
    folder = Path(ctx["warm_cache"]) / "polars-parquet"
    return folder / "studies.parquet", folder / "records.parquet"


def _polars_parquet(*, again: bool):
    def prepare(ctx):
        import polars as pl

        studies, records = parquet_copies(ctx)
        if again:  # a later call of the same session: the first one paid for opening the files
            polars_query1(pl.scan_parquet(studies), pl.scan_parquet(records))
        return lambda: polars_query1(pl.scan_parquet(studies), pl.scan_parquet(records))

    return prepare


def _duckdb(ctx):
    """DuckDB reading both ``.csv.gz`` with the columns named and typed, the query in SQL."""
    import duckdb

    root = Path(ctx["tables"])

    def source(name: str, columns: dict[str, str]) -> str:
        types = ", ".join(f"'{c}': '{'BIGINT' if t == 'Int64' else 'VARCHAR'}'" for c, t in columns.items())
        return f"read_csv('{root / name}', header = true, columns = {{{types}}})"

    sql = f"""
        WITH s AS (SELECT subject_id, count(*) AS n_studies FROM {source(STUDIES_CSV, STUDIES_SCHEMA)}
                   GROUP BY subject_id HAVING count(*) >= 3),
             r AS (SELECT subject_id, count(*) AS n_images FROM {source(RECORDS_CSV, RECORDS_SCHEMA)}
                   GROUP BY subject_id)
        SELECT s.subject_id, s.n_studies, coalesce(r.n_images, 0) AS n_images
        FROM s LEFT JOIN r USING (subject_id) ORDER BY s.subject_id
    """

    def run():
        with duckdb.connect() as con:
            return con.execute(sql).fetchall()

    return run


def _inflate_floor(ctx):
    """The floor of any first call: read both ``.csv.gz`` files, inflate them (``zlib``), parse nothing."""
    import zlib

    paths = [Path(ctx["tables"]) / STUDIES_CSV, Path(ctx["tables"]) / RECORDS_CSV]

    def run():
        total = 0
        for path in paths:
            inflater = zlib.decompressobj(wbits=31)
            with open(path, "rb") as fh:
                while block := fh.read(1 << 20):
                    total += len(inflater.decompress(block))
        return total

    return run


def _kit_fresh_warm(ctx):
    """The kit's first warm call in a fresh process: the cache was built by the warm-up (another process)."""
    import cxrkit

    return lambda: kit_query1(cxrkit.open_dataset(ctx["tables"], cache_dir=ctx["warm_cache"]))


def _answer_rows(rows) -> tuple[list[list[int]], str]:
    rows = sorted([int(v) for v in row] for row in rows)
    return rows, f"{len(rows)} patients, {sum(r[2] for r in rows)} images"


def _inflate_answer(total: int) -> tuple[int, str]:
    return total, f"{total / 2**20:.0f} MiB inflated"


_WARM = """
import sys, json
from pathlib import Path
import polars as pl
import cxrkit
from benchmarks import rows_tables as rt
ctx = json.loads(sys.stdin.read())
rt.kit_query1(cxrkit.open_dataset(ctx["tables"], cache_dir=ctx["warm_cache"]))
from cxrkit import tables; tables.wait_for_cache_writes()
studies, records = rt.parquet_copies(ctx)
studies.parent.mkdir(parents=True, exist_ok=True)
pl.scan_csv(Path(ctx["tables"]) / rt.STUDIES_CSV, schema=rt._schema(rt.STUDIES_SCHEMA)).sink_parquet(studies)
pl.scan_csv(Path(ctx["tables"]) / rt.RECORDS_CSV, schema=rt._schema(rt.RECORDS_SCHEMA)).sink_parquet(records)
"""


def warm_tables(ctx) -> None:
    """Before the repetitions, in a separate process: the kit's cache and the polars side's parquet copies, so
    the "fresh process" sides start with the files on disk and nothing in memory."""
    import json
    import os
    import subprocess
    import sys

    root = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    # the context on stdin: it lists thousands of file paths (rows 4tp/4tf), too long for one argument
    subprocess.run(
        [sys.executable, "-c", _WARM], input=json.dumps(ctx), text=True, check=True, cwd=root, env=env
    )


def _available() -> str | None:
    try:
        import cxrkit

        cxrkit.open_dataset  # noqa: B018
    except (ImportError, AttributeError) as exc:
        return f"cxrkit.open_dataset is missing ({exc})"
    return None


_FIRST = "patients with >= 3 studies and their image counts, first call (no cache yet)"
_LATER = "the same query, later calls (parquet cache warm)"
STRONG_1 = [
    Line(
        "1ap",
        _FIRST,
        "DuckDB: `read_csv` of both `.csv.gz` (columns typed), the query in SQL",
        "kit-first",
        "duckdb",
        None,
        "(reported)",
        kind="peer",
    ),
    Line(
        "1as",
        _FIRST,
        "hand-written polars: `pl.scan_csv` of both `.csv.gz` with a schema, the same query",
        "kit-first",
        "polars-csv",
        1.2,
        "<= 1.2 (issue 21)",
        kind="peer",
        why_not_met=(
            "The first call answers from projected scans of CSV snapshots (only the columns the query reads, "
            "both files read at once) and builds the parquet copies in a background thread once the process "
            "is idle; what is left over the hand-written scan is the byte snapshots (`sendfile`, about 10 ms "
            "for the two lists), the header check and opening the dataset (about 1 ms). A miss means the "
            "scans ran one after the other again (see `cxrkit.tables._guarded_scan`) or the copies ran "
            "beside the query."
        ),
    ),
    Line(
        "1af",
        _FIRST,
        "floor: read both `.csv.gz` and inflate them with `zlib` (nothing parsed)",
        "kit-first",
        "inflate",
        None,
        "(reported)",
        kind="floor",
        same_answer=False,
    ),
    Line(
        "1bp",
        _LATER,
        "polars on its own parquet copies, a later call of the same process",
        "kit-cached",
        "polars-parquet-again",
        1.1,
        "<= 1.1 (issue 21)",
        kind="peer",
        why_not_met=(
            "Both read two parquet files; the kit also opens the dataset (a scan of the root for the table "
            "files, the identity of each file: about 0.3 ms) on every call. A miss is noise on a shared "
            "machine, or something spinning beside polars (numpy's OpenBLAS threads did: see 1bw)."
        ),
    ),
    Line(
        "1bw",
        "the same query, first warm call in a fresh process (cache on disk, nothing in memory)",
        "polars on its own parquet copies, first call in a fresh process",
        "kit-fresh-warm",
        "polars-parquet",
        1.1,
        "<= 1.1 (issue 21)",
        kind="peer",
        why_not_met=(
            "Opening the dataset and finding the copies costs about 1.5 ms in a fresh process. A miss means "
            "something uses a core beside polars: `import cxrkit` used to import numpy, whose OpenBLAS "
            "threads spin for a while after the import (+14 ms of CPU, 1.71 on the idle run); check that "
            "`import cxrkit` still leaves numpy unimported (tests/test_dataset.py)."
        ),
    ),
]

GROUPS = {
    "patients": Group(
        name="patients",
        title="Patients with >= 3 studies and their image counts (record + study lists)",
        needs=("tables",),
        available=_available,
        reps=5,
        quick_reps=1,
        warm_up=warm_tables,
        sides=[
            Side("kit-first", _kit_first(kit_query1), _answer, fresh_dir=True, imports=("cxrkit.dataset",)),
            Side("kit-cached", _kit_cached(kit_query1), _answer, imports=("cxrkit.dataset",)),
            Side("kit-fresh-warm", _kit_fresh_warm, _answer, imports=("cxrkit.dataset",)),
            Side("pandas", _pandas1, _answer, imports=("pandas",)),
            Side("duckdb", _duckdb, _answer_rows, imports=("duckdb",)),
            Side("polars-csv", _polars_csv, _answer, imports=("polars",)),
            Side("polars-parquet", _polars_parquet(again=False), _answer, imports=("polars",)),
            Side("polars-parquet-again", _polars_parquet(again=True), _answer, imports=("polars",)),
            Side("inflate", _inflate_floor, _inflate_answer, imports=("zlib",)),
        ],
        lines=[
            Line(
                "1a",
                "patients with >= 3 studies and their image counts, first call (no cache yet)",
                "pandas: `read_csv` of both `.csv.gz`, groupby, merge",
                "kit-first",
                "pandas",
                0.5,
                "<= 0.5 and peak memory below pandas",
                memory_target=True,
                why_not_met=(
                    "The first call streams each CSV into its parquet copy (`sink_parquet`, 16k-row groups) "
                    "and answers from the copies; the peak is the streaming write of the record list (about "
                    "110-120 MiB at full scale, against pandas' 161). A miss means the write's buffers grew: "
                    "check the row-group size (`cxrkit.tables.COPY_ROW_GROUP`) and the polars version."
                ),
            ),
            Line(
                "1b",
                "the same query, later calls (parquet cache warm, new `Dataset` each call)",
                "pandas, same code again",
                "kit-cached",
                "pandas",
                0.15,
                "<= 0.15",
                why_not_met=(
                    "What remains is opening the dataset (looking for the table files) and reading "
                    "two parquet copies; a Dataset kept between calls skips the first."
                ),
            ),
            *STRONG_1,
        ],
    ),
    "views_labels": Group(
        name="views_labels",
        title="The same patients joined with metadata (views) and chexpert (pleural effusion)",
        needs=("tables",),
        available=_available,
        reps=5,
        quick_reps=1,
        sides=[
            Side("kit-cached", _kit_cached(kit_query2), _answer),
            Side("pandas", _pandas2, _answer),
        ],
        lines=[
            Line(
                "2",
                "row 1 joined with metadata (frontal/lateral counts) and chexpert (effusion studies), "
                "once cached",
                "pandas: `read_csv` of the four `.csv.gz`, merge, groupby",
                "kit-cached",
                "pandas",
                0.2,
                "<= 0.2",
                why_not_met="The four parquet copies are read in full for three joins; a smaller column "
                "projection or a cached joined view would cut it.",
            ),
        ],
    ),
}


#: What bounds each row now (rendered in results.md for every row).
BOUNDS = {
    "1a": (
        "Inflating the two `.csv.gz` (zlib, one core per file: line 1af, the inflate floor, is "
        "70-90% of the hand-written `scan_csv`) and parsing the one column the query reads. The kit "
        "answers from projected scans of byte snapshots of the files (`sendfile`, 10-30 ms) and "
        "adds the header check and opening the dataset; the parquet copies are streamed afterwards, "
        "in a thread that waits until the process is idle (their memory counts in the peak, their "
        "time does not). What would move it: a source that inflates in parallel (the lists as "
        "parquet or zstd); nothing left in the kit beyond a few tens of ms."
    ),
    "1b": (
        "Scanning two parquet copies (15-25 ms of polars at full scale) plus opening the dataset "
        "(a listing of the root and one identity `stat` per table file: 0.3 ms a later call, 1.5 ms "
        "the first of a process); the kit's imports are timed apart in the import column. The kit "
        "leaves numpy unimported on this path: its OpenBLAS threads spin after the import and took "
        "a core from polars (line 1bw was 1.71 on an idle machine)."
    ),
}
for _group in GROUPS.values():
    for _line in _group.lines:
        _line.bound = BOUNDS.get(_line.id, _line.bound)
