"""Cohort manifests: what it takes to get, or rebuild, exactly one cohort on another machine.

:func:`write_manifest` writes, for a table path such as ``effusion.csv`` (or ``.parquet``):

* ``effusion.csv``: one row per image: ids, split and view, the relative paths in both projects (DICOM, JPG,
  report: the same ``files/`` tree), sizes where this copy has the file, SHA-256 digests where this copy has
  the project's ``SHA256SUMS.txt``;
* ``effusion.manifest.json``: the manifest's format and version, the dataset and releases, the steps with
  their counts, and the total size with what it was estimated from;
* per project, ``effusion.<project>.wget.txt`` (PhysioNet URLs for ``wget -i``), ``.gsutil.txt`` (``gs://``
  URLs of PhysioNet's requester-pays bucket) and ``.s5cmd.txt`` (``cp`` commands keeping the tree, for
  ``s5cmd run``).

:func:`read_manifest` reads one back and refuses, with a clear :class:`~cxrkit.errors.ManifestError`, a file
that is not a cxrkit manifest, one from a newer kit (a higher :data:`MANIFEST_VERSION`) or one of another
dataset.

Examples
--------
>>> import tempfile, cxrkit
>>> ds = cxrkit.open_dataset()
>>> info = ds.cohort().view("frontal").manifest(tempfile.mkdtemp() + "/frontal.csv")
>>> sorted(p.name for p in info.files)[:3]
['frontal.csv', 'frontal.manifest.json', 'frontal.mimic-cxr-jpg.gsutil.txt']
>>> read_manifest(info.table).images.height == info.counts["images"]
True
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from .. import layout
from ..errors import CxrkitError, ManifestError
from ..storage import gzip_size, read_sha256sums

if TYPE_CHECKING:  # pragma: no cover
    from .cohort import Cohort

__all__ = ["MANIFEST_FORMAT", "MANIFEST_VERSION", "TYPICAL_SIZES", "ManifestInfo", "ReadManifest"]

MANIFEST_FORMAT = "cxrkit-cohort-manifest"
#: Bump when the manifest's columns or JSON change meaning; a kit refuses manifests above its own version.
MANIFEST_VERSION = 1
DATASET = "MIMIC-CXR"
#: Published typical sizes (MIMIC-CXR and MIMIC-CXR-JPG pages): ~12.5 MB a DICOM, ~1.5 MB a JPG, 666 bytes a
#: report on average; used for files this copy does not have.
TYPICAL_SIZES = {"dicom": 12_500_000, "jpg": 1_500_000, "report": 666}
#: The manifest's file kinds: column prefix, project, extension in the PhysioNet tree.
KINDS = (
    ("dicom", layout.CXR_PROJECT, ".dcm"),
    ("jpg", layout.JPG_PROJECT, ".jpg"),
    ("report", layout.CXR_PROJECT, ".txt"),
)
TABLE_COLUMNS = ("subject_id", "study_id", "dicom_id")


@dataclass(frozen=True)
class ManifestInfo:
    """What :func:`write_manifest` wrote: the table, the JSON, every list, and the size estimate."""

    table: Path
    meta: Path
    files: tuple[Path, ...]
    counts: dict[str, int]
    total_bytes: int
    size_basis: str


@dataclass(frozen=True)
class ReadManifest:
    """A manifest read back: its image rows, its JSON (``{}`` when absent) and the recorded steps."""

    images: pl.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)
    steps: tuple[dict[str, Any], ...] = ()


def _release(ds: Any, project: str) -> str:
    src = ds.sources.get(project)
    if src is not None and layout.release_key(src.root.name) is not None:
        return src.root.name
    return layout.DEFAULT_RELEASE


def _project_source(ds: Any, project: str):
    """The source holding a project's files: its own, or the one folder of a single-folder copy when its
    images are of that project's kind."""
    if project in ds.sources:
        return ds.sources[project]
    if len(ds.sources) == 1:
        src = next(iter(ds.sources.values()))
        kind = "jpg" if project == layout.JPG_PROJECT else "dicom"
        if kind == ds.flavor or project == layout.CXR_PROJECT and ds.flavor != "jpg":
            return src
    return None


def _local_sizes(src, rels: list[str], ext_on_disk: str | None) -> list[int | None]:
    """Sizes as PhysioNet serves the files (a ``.dcm.gz`` copy gives the size it records uncompressed)."""
    if src is None or src.fetches_on_demand:
        return [None] * len(rels)
    out: list[int | None] = []
    for rel in rels:
        path = src.root / rel
        try:
            if ext_on_disk == ".dcm.gz":
                out.append(gzip_size(str(path) + ".gz"))
            else:
                out.append(path.stat().st_size)
        except (OSError, CxrkitError):
            out.append(None)
    return out


def _sums(src) -> dict[str, str]:
    if src is None or not src.has(layout.SHA256SUMS):
        return {}
    try:
        return read_sha256sums(src.local(layout.SHA256SUMS))
    except (OSError, CxrkitError):
        return {}


def manifest_frame(cohort: Cohort) -> pl.DataFrame:
    """The manifest table of a cohort (one row per image); see the module docstring for the columns."""
    ds = cohort.dataset
    images = cohort.images()
    frame = images.select(
        *TABLE_COLUMNS,
        "split",
        "view",
        layout.image_path_expr(ext=".dcm").alias("dicom_path"),
        layout.image_path_expr(ext=".jpg").alias("jpg_path"),
        layout.report_path_expr().alias("report_path"),
    )
    for kind, project, _ in KINDS:
        src = _project_source(ds, project)
        rels = frame[f"{kind}_path"].to_list()
        on_disk = ds.image_ext if kind == "dicom" and src is ds.source else None
        if kind == "report":
            unique = list(dict.fromkeys(rels))
            sizes = dict(zip(unique, _local_sizes(src, unique, None)))
            size_col = [sizes[r] for r in rels]
        else:
            size_col = _local_sizes(src, rels, on_disk)
        sums = _sums(src)
        frame = frame.with_columns(
            pl.Series(f"{kind}_size", size_col, dtype=pl.Int64),
            pl.Series(f"{kind}_sha256", [sums.get(r) for r in rels], dtype=pl.String),
        )
    return frame


def _estimate(frame: pl.DataFrame) -> tuple[int, str, dict[str, dict[str, int]]]:
    total = 0
    parts = []
    detail = {}
    for kind, _, _ in KINDS:
        files = frame.select(f"{kind}_path", f"{kind}_size").unique(f"{kind}_path")
        known = files[f"{kind}_size"].drop_nulls()
        n_unknown = files.height - known.len()
        known_bytes = int(known.sum()) if known.len() else 0
        guessed = n_unknown * TYPICAL_SIZES[kind]
        total += known_bytes + guessed
        detail[kind] = {"files": files.height, "sized_here": known.len(), "bytes": known_bytes + guessed}
        if known.len() and n_unknown:
            typical = TYPICAL_SIZES[kind]
            how = f"{known.len():,} sized from this copy, {n_unknown:,} at the typical {typical:,} B"
        elif known.len():
            how = "sizes from this copy"
        else:
            how = f"typical size {TYPICAL_SIZES[kind]:,} B each (published figures)"
        parts.append(f"{kind} {files.height:,} files, {_human(known_bytes + guessed)}: {how}")
    return total, "; ".join(parts), detail


def _human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"  # pragma: no cover


def _sidecar(table: Path, suffix: str) -> Path:
    stem = table.name
    for ext in (".csv.gz", ".csv", ".parquet"):
        if stem.endswith(ext):
            stem = stem[: -len(ext)]
            break
    return table.with_name(f"{stem}.{suffix}")


def write_manifest(cohort: Cohort, path: str | os.PathLike, *, tables: bool = True) -> ManifestInfo:
    """Write the manifest of ``cohort`` to ``path`` (``.csv``, ``.csv.gz`` or ``.parquet``) and its JSON and
    download lists beside it (see the module docstring). ``tables=True`` adds the copy's table files (record
    list, metadata, labels, split...) to the download lists.

    The total size counts each file once: from this copy where it has the file (a ``.dcm.gz`` copy gives the
    size it records uncompressed), else the published typical size (:data:`TYPICAL_SIZES`); ``size_basis``
    says which for how many.
    """
    table = Path(path)
    if not table.name.endswith((".csv", ".csv.gz", ".parquet")):
        raise ManifestError(
            f"{table}: a manifest is a .csv, .csv.gz or .parquet file; give one of those suffixes"
        )
    table.parent.mkdir(parents=True, exist_ok=True)
    ds = cohort.dataset
    frame = manifest_frame(cohort)
    total, basis, detail = _estimate(frame)
    last = cohort.steps[-1]
    counts = {"patients": last.patients, "studies": last.studies, "images": last.images}
    releases = {p: _release(ds, p) for p in layout.PROJECTS}
    written = [table]
    lists: dict[str, dict[str, str]] = {}
    for project in layout.PROJECTS:
        kinds = [k for k, p, _ in KINDS if p == project]
        rels = list(dict.fromkeys(r for k in kinds for r in frame[f"{k}_path"].to_list()))
        if tables:
            rels += [p.name for name, p in ds.table_files.items() if layout.TABLE_PROJECT[name] == project]
        release = releases[project]
        outputs = {
            "wget": [layout.physionet_url(project, release, r) for r in rels],
            "gsutil": [layout.bucket_url(project, release, r) for r in rels],
            "s5cmd": [
                f"cp {layout.bucket_url(project, release, r, 's3')} {project}/{release}/{r}" for r in rels
            ],
        }
        lists[project] = {}
        for tool, lines in outputs.items():
            out = _sidecar(table, f"{project}.{tool}.txt")
            out.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
            lists[project][tool] = out.name
            written.append(out)
    meta = {
        "format": MANIFEST_FORMAT,
        "version": MANIFEST_VERSION,
        "dataset": DATASET,
        "kit": _kit_version(),
        "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "table": table.name,
        "releases": releases,
        "counts": counts,
        "total_bytes": total,
        "size_basis": basis,
        "sizes": detail,
        "steps": [row.__dict__ for row in cohort.steps],
        "lists": lists,
        "usage": {
            "wget": "wget -N -c -x --user USER --ask-password -i LIST  (makes physionet.org/files/...)",
            "gsutil": "gsutil -u GCP_PROJECT -m cp -I DEST < LIST  (requester pays; copies flat into DEST)",
            "s5cmd": "s5cmd --endpoint-url https://storage.googleapis.com run LIST  (HMAC keys; the tree)",
        },
    }
    text = json.dumps(meta, indent=1, default=str)
    if table.name.endswith(".parquet"):
        frame.write_parquet(table, metadata={MANIFEST_FORMAT: text})
    elif table.name.endswith(".gz"):
        import gzip

        table.write_bytes(gzip.compress(frame.write_csv().encode("utf-8"), mtime=0))
    else:
        frame.write_csv(table)
    meta_path = _sidecar(table, "manifest.json")
    meta_path.write_text(text + "\n", encoding="utf-8")
    written.insert(1, meta_path)
    return ManifestInfo(table, meta_path, tuple(written), counts, total, basis)


def _kit_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cxrkit")
    except PackageNotFoundError:  # pragma: no cover - a source tree never installed
        return "0.0.0+unknown"


def _check(meta: dict[str, Any], where: Path) -> None:
    if meta.get("format") != MANIFEST_FORMAT:
        raise ManifestError(f"{where} is not a cxrkit cohort manifest (no format {MANIFEST_FORMAT!r} in it)")
    version = meta.get("version")
    if not isinstance(version, int) or version > MANIFEST_VERSION:
        raise ManifestError(
            f"{where} was written by a newer cxrkit (kit {meta.get('kit', '?')}, manifest version "
            f"{version}); "
            f"this kit reads manifest versions up to {MANIFEST_VERSION}. Upgrade cxrkit to read it."
        )
    if meta.get("dataset") != DATASET:
        raise ManifestError(
            f"{where} is a manifest of {meta.get('dataset')!r}, not {DATASET}: open it on a copy of that "
            "dataset"
        )


def read_manifest(path: str | os.PathLike) -> ReadManifest:
    """Read a manifest written by :func:`write_manifest` (give the table or its ``.manifest.json``).

    The JSON beside the table (or the copy inside a parquet table) is checked first; a table without one is
    read when it has the id columns, unchecked. Raises :class:`~cxrkit.errors.ManifestError` naming the file.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> bad = pathlib.Path(tempfile.mkdtemp()) / "x.manifest.json"
    >>> _ = bad.write_text('{"format": "cxrkit-cohort-manifest", "version": 99, "dataset": "MIMIC-CXR"}')
    >>> read_manifest(bad)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    cxrkit.errors.ManifestError: ...x.manifest.json was written by a newer cxrkit (kit ?, manifest version ...
    """
    given = Path(path)
    meta: dict[str, Any] = {}
    if given.name.endswith(".manifest.json"):
        meta_path = given
        table = None
    else:
        table = given
        meta_path = _sidecar(given, "manifest.json")
    if meta_path.is_file():
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ManifestError(f"{meta_path}: not readable as JSON ({exc})") from exc
        if not isinstance(meta, dict):
            raise ManifestError(f"{meta_path} is not a cxrkit cohort manifest (not a JSON object)")
        _check(meta, meta_path)
        if table is None:
            table = meta_path.with_name(str(meta.get("table", "")))
    elif table is not None and table.name.endswith(".parquet") and table.is_file():
        stored = pl.read_parquet_metadata(table).get(MANIFEST_FORMAT)
        if stored:
            meta = json.loads(stored)
            _check(meta, table)
    if table is None or not table.is_file():
        raise ManifestError(f"{table or given}: no manifest table there (a .csv, .csv.gz or .parquet file)")
    try:
        frame = (
            pl.read_parquet(table)
            if table.name.endswith(".parquet")
            else pl.read_csv(table, infer_schema_length=0)
        )
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise ManifestError(f"{table}: not readable as a manifest table ({exc})") from exc
    lacking = [c for c in TABLE_COLUMNS if c not in frame.columns]
    if lacking:
        raise ManifestError(
            f"{table}: missing column(s) {', '.join(lacking)}; a cohort manifest has one row per image with "
            f"{', '.join(TABLE_COLUMNS)}"
        )
    casts = {"subject_id": pl.Int64, "study_id": pl.Int64}
    casts |= {c: pl.Int64 for c in frame.columns if c.endswith("_size")}
    try:
        frame = frame.with_columns(pl.col(c).cast(t) for c, t in casts.items())
    except pl.exceptions.PolarsError as exc:
        raise ManifestError(
            f"{table}: an id or size column holds something else than integers ({exc})"
        ) from exc
    return ReadManifest(frame, meta, tuple(meta.get("steps", ())))


def missing_images(ds: Any, wanted: pl.DataFrame, found: pl.DataFrame) -> pl.DataFrame:
    """The manifest's images a copy lacks, one row each with ``reason``: not listed in the copy, listed but
    the image shown is not on disk, or on disk with another size than the manifest's."""
    ids = wanted.select(*TABLE_COLUMNS, *[c for c in ("dicom_size", "jpg_size") if c in wanted.columns])
    unlisted = ids.join(found.select("dicom_id"), on="dicom_id", how="anti").select(
        *TABLE_COLUMNS, pl.lit("not listed in this copy").alias("reason")
    )
    listed = ids.join(found.select("dicom_id"), on="dicom_id", how="semi")
    rows = [unlisted]
    if listed.height and not ds.is_remote:
        kind = "jpg" if ds.flavor == "jpg" else "dicom"
        present = ds.listing.filter(pl.col("kind") == "image").select("dicom_id").unique()
        absent = listed.join(present, on="dicom_id", how="anti")
        rows.append(
            absent.select(
                *TABLE_COLUMNS, pl.lit(f"listed, but its {kind} file is not on disk").alias("reason")
            )
        )
        size_col = f"{kind}_size"
        if size_col in listed.columns:
            here = listed.join(present, on="dicom_id", how="semi").filter(pl.col(size_col).is_not_null())
            rels = here.select(layout.image_path_expr(ext=".dcm" if kind == "dicom" else ".jpg")).to_series()
            sizes = _local_sizes(
                _project_source(ds, layout.JPG_PROJECT if kind == "jpg" else layout.CXR_PROJECT),
                rels.to_list(),
                ds.image_ext if kind == "dicom" else None,
            )
            here = here.with_columns(pl.Series("_here", sizes, dtype=pl.Int64))
            differ = here.filter(pl.col("_here").is_not_null() & (pl.col("_here") != pl.col(size_col)))
            rows.append(
                differ.select(
                    *TABLE_COLUMNS, pl.lit(f"{kind} file size differs from the manifest's").alias("reason")
                )
            )
    return pl.concat(rows).sort("subject_id", "study_id", "dicom_id")
