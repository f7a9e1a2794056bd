"""Downloading a subset: carve a verified, resumable local copy of a selection out of any copy,
local or remote.

:func:`download` (also :meth:`cxrkit.Dataset.download` and ``cxrkit download``) takes a selection (a frame of
records, images or studies, or study ids) and copies its images and reports into a local folder with the real
layout, plus the tables filtered to the selection, so the folder opens with :func:`cxrkit.open_dataset` and
validates clean as a copy of the subset.

* Resumable: each file goes through :func:`cxrkit.storage.fetch_file` (a ``.part`` continued with a Range
  request, renamed when complete); files already complete in the folder are kept, so downloads into the same
  folder add up (its tables then list both selections).
* Verified: every size, and each file's SHA-256 against the source's ``SHA256SUMS.txt`` when it has one; the
  folder gets its own ``SHA256SUMS.txt`` listing all it holds.
* From anywhere: the bytes come from the dataset's source (:class:`cxrkit.storage.Source`): a remote copy's
  connection, with its credentials, or a local folder (``.gz`` files copied as they are).

Examples
--------
>>> import tempfile
>>> import cxrkit
>>> ds = cxrkit.open_dataset()
>>> one = ds.records().sort("study_id", "dicom_id").head(1).collect()
>>> tmp = tempfile.TemporaryDirectory()
>>> dest = download(ds, one, f"{tmp.name}/subset", progress=False)
>>> for rel in sorted(read_sha256sums(dest / SHA256SUMS)):  # what the folder holds, each with its SHA-256
...     print(rel)
cxr-provider-list.csv.gz
cxr-record-list.csv.gz
cxr-study-list.csv.gz
files/p17/p17938895/s50124023.txt
files/p17/p17938895/s50124023/70fb51a0-7be6daa9-ba9e03b5-5c420a09-3ae313b7.dcm
mimic-cxr-2.0.0-chexpert.csv.gz
mimic-cxr-2.0.0-metadata.csv.gz
mimic-cxr-2.0.0-negbio.csv.gz
mimic-cxr-2.0.0-split.csv.gz
>>> sub = cxrkit.open_dataset(dest)
>>> sub.records().collect().height, sub.validate().height
(1, 0)
>>> tmp.cleanup()
"""

from __future__ import annotations

import concurrent.futures as cf
import gzip
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from . import layout, tables
from .errors import CxrkitError, MissingFileError
from .storage.backend import fetch_file, read_sha256sums, sha256_file
from .storage.cache import Cache

if TYPE_CHECKING:  # pragma: no cover
    from .dataset import Dataset

__all__ = ["SHA256SUMS", "download"]

SHA256SUMS = layout.SHA256SUMS
#: Parallel fetches of whole files.
WORKERS = 8


def _selection_ids(ds: Dataset, selection: Any) -> pl.DataFrame:
    """The records (``subject_id, study_id, dicom_id, path``) a selection stands for."""
    records = ds.records().select("subject_id", "study_id", "dicom_id", "path")
    if isinstance(selection, pl.LazyFrame):
        selection = selection.collect()
    if isinstance(selection, pl.DataFrame):
        cols = selection.columns
        if "dicom_id" in cols:
            keys = selection.select(pl.col("dicom_id").cast(pl.String)).unique()
            return records.join(keys.lazy(), on="dicom_id", how="semi").collect()
        if "study_id" in cols:
            keys = selection.select(pl.col("study_id").cast(pl.Int64)).unique()
            return records.join(keys.lazy(), on="study_id", how="semi").collect()
        if "subject_id" in cols:
            keys = selection.select(pl.col("subject_id").cast(pl.Int64)).unique()
            return records.join(keys.lazy(), on="subject_id", how="semi").collect()
        raise CxrkitError(f"a selection frame needs a dicom_id, study_id or subject_id column; got {cols}")
    if isinstance(selection, (int, str)):
        selection = [selection]
    study_ids = [layout.study_id(s) for s in selection]
    return records.filter(pl.col("study_id").is_in(study_ids)).collect()


def download(
    ds: Dataset,
    selection: Any,
    dest: str | os.PathLike,
    *,
    progress: bool = True,
    tables_too: bool = True,
    verify: bool = True,
) -> Path:
    """Copy the images (and reports) of ``selection`` from ``ds`` into a local tree with the real layout.

    Parameters
    ----------
    ds
        The copy to copy from: remote (an opened URL) or local.
    selection
        A polars frame with a ``dicom_id`` column (those images), else a ``study_id`` column (every image of
        those studies), else a ``subject_id`` column (every image of those patients); or study ids.
    dest
        The local folder to fill (created if needed; what is already complete there is kept, partial
        ``.part`` files are continued).
    progress
        Show a progress bar over the bytes to fetch.
    tables_too
        Also write the tables of the source filtered to the selection (same file names, gzip CSV), so the
        result opens with :func:`cxrkit.open_dataset` and validates clean as a copy of the subset.
    verify
        Check each file against ``SHA256SUMS.txt`` of the source when it has one (sizes are always checked).

    Returns
    -------
    Path
        ``dest``. It also gets a ``SHA256SUMS.txt`` listing what was downloaded.
    """
    dest = Path(dest).expanduser().resolve()
    if dest == ds.root or ds.root in dest.parents:
        raise CxrkitError(f"{dest} lies inside the dataset root {ds.root}; download to a folder outside it")
    source = ds.source
    picked = _selection_ids(ds, selection)
    ext = ds.image_ext or ".dcm"
    wanted = list(dict.fromkeys(layout.safe_image_paths(picked, ext)))
    studies = picked.select("subject_id", "study_id").unique().sort("subject_id", "study_id")
    has_reports = ds.flavor != "jpg" or ds.listing.filter(pl.col("kind") == "report").height > 0
    report_rels = [layout.report_path(s, t) for s, t in studies.iter_rows()] if has_reports else []
    sums: dict[str, str] = {}
    if verify and source.has(SHA256SUMS):
        sums = read_sha256sums(source.local(SHA256SUMS))
    # sizes first: a refused credential stops here, before anything is written
    todo: list[tuple[str, int]] = []
    missing: list[str] = []

    def sized(rel: str) -> tuple[str, int | None]:
        """The source size of a file still to fetch, -1 for a file already intact in ``dest`` (its size and,
        when the source lists one, its SHA-256 match), None for a file the source lacks."""
        try:
            size = source.size(rel)
        except MissingFileError:
            return rel, None
        target = dest / rel
        intact = target.is_file() and target.stat().st_size == size
        if intact and (rel not in sums or sha256_file(target) == sums[rel]):
            return rel, -1
        return rel, size

    with cf.ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for rel, size in pool.map(sized, wanted + report_rels):
            if size is None:
                missing.append(rel)
            elif size >= 0:
                todo.append((rel, size))
    missing_images = [r for r in missing if r in set(wanted)]
    if missing_images:
        raise MissingFileError(
            f"{len(missing_images)} selected image(s) are not in {source.label}, e.g. "
            f"{missing_images[0]}; nothing more was downloaded than what is listed"
        )
    bar = None
    if progress and todo:
        from tqdm.auto import tqdm

        bar = tqdm(
            total=sum(s for _, s in todo), desc="downloading", unit="B", unit_scale=True, unit_divisor=1024
        )
    lock = threading.Lock()

    def on_bytes(n: int) -> None:
        if bar is not None:
            with lock:
                bar.update(n)

    try:
        with cf.ThreadPoolExecutor(max_workers=WORKERS) as pool:
            futures = [
                pool.submit(
                    fetch_file,
                    source,
                    rel,
                    dest / rel,
                    size=size,
                    sha256=sums.get(rel),
                    on_bytes=on_bytes,
                    replace=True,  # a file at its final name that failed the check above is fetched again
                )
                for rel, size in todo
            ]
            for fut in futures:
                fut.result()
    finally:
        if bar is not None:
            bar.close()
    done = [r for r in wanted + report_rels if (dest / r).is_file()]
    known = read_sha256sums(dest / SHA256SUMS) if (dest / SHA256SUMS).is_file() else {}
    if tables_too:
        dicom_ids, study_ids = _ids_already_in(dest)  # an earlier download into dest: keep listing it
        dicom_ids |= set(picked.get_column("dicom_id").to_list())
        study_ids |= {str(s) for s in studies.get_column("study_id").to_list()}
        written = _write_tables(ds, dicom_ids, study_ids, dest)
        for name in written:
            known.pop(name, None)
        done += written
    # SHA256SUMS.txt lists the bytes on disk: files of earlier downloads are hashed again (they may have been
    # damaged since); files of this one matched the source's digest or were just hashed
    lines = {rel: sha256_file(dest / rel) for rel in known if (dest / rel).is_file() and rel not in done}
    for rel in set(done):
        lines[rel] = (
            sums[rel] if rel in sums and not rel.endswith((".csv.gz", ".csv")) else sha256_file(dest / rel)
        )
    with Cache(dest.parent).atomic_path(dest / SHA256SUMS) as tmp:
        tmp.write_text("".join(f"{digest}  {rel}\n" for rel, digest in sorted(lines.items())))
    return dest


def _ids_already_in(dest: Path) -> tuple[set[str], set[str]]:
    """The image and study ids listed by the tables of an earlier download into ``dest``
    (empty sets if none)."""
    dicom_ids: set[str] = set()
    study_ids: set[str] = set()
    if not dest.is_dir():
        return dicom_ids, study_ids
    for name in tables.TABLES:
        path = tables.find_table(dest, name)
        if path is None:
            continue
        try:
            raw = tables.scan_table(path, name, raw=True)
            cols = raw.collect_schema().names()
            frame = raw.select([c for c in ("dicom_id", "study_id") if c in cols]).collect()
        except (CxrkitError, pl.exceptions.PolarsError):
            continue
        if "dicom_id" in frame.columns:
            dicom_ids |= set(frame.get_column("dicom_id").drop_nulls().to_list())
        if "study_id" in frame.columns:
            study_ids |= set(frame.get_column("study_id").drop_nulls().to_list())
    return dicom_ids, study_ids


def _write_tables(ds: Dataset, dicom_set: set[str], study_set: set[str], dest: Path) -> list[str]:
    """Write each table of ``ds`` filtered to these images (tables per image) or studies (tables per study),
    raw (values as in the source), gzip CSV; returns the file names written."""
    written = []
    dicom_ids = pl.Series(sorted(dicom_set), dtype=pl.String).implode()
    study_ids = pl.Series(sorted(study_set), dtype=pl.String).implode()
    for name in ds.table_files:
        path = ds.local_file(ds.table_files[name])
        raw = tables.scan_table(path, name, raw=True)
        cols = raw.collect_schema().names()
        key = ("dicom_id", dicom_ids) if "dicom_id" in cols else ("study_id", study_ids)
        frame = raw.filter(pl.col(key[0]).is_in(key[1])).collect()
        out = dest / path.name
        data = frame.write_csv().encode("utf-8")
        with Cache(dest.parent).atomic_path(out) as tmp:
            tmp.write_bytes(gzip.compress(data, mtime=0) if out.name.endswith(".gz") else data)
        written.append(out.name)
    return written
