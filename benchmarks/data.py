"""Scratch data for the benchmarks: generated once outside the repository, reused by later runs.

Where: ``--data DIR``, else ``$CXRKIT_BENCH_DATA``, else ``~/.cache/cxrkit-bench``. Every data set lives in a
folder named by its kind, scale and :data:`DATA_VERSION` (plus the demo generator's version when the kit's
:func:`cxrkit.demo.make_demo` made it), so a change in the generator makes a new folder instead of silently
reusing stale data. A folder is complete when the ``<folder>.complete`` marker beside it exists;
a half-built one is rebuilt.

Data sets
---------
tables
    The record/study lists, metadata, chexpert and split at full scale (65,379 patients, 227,835 studies,
    377,110 images, the images-per-study mix of the facts sheet); with ``cxrkit.demo`` also 227,835 report
    files in ``files/`` and ``mimic-cxr-reports.zip``. Without ``cxrkit.demo`` (it lands on another branch),
    a built-in vectorised generator writes the tables only (no reports).
dicoms
    A small dataset of full-size (3056 x 2544, 12-bit, uncompressed) DICOMs made by ``make_demo`` at
    ``image_scale=1.0``, plus ``.dcm.gz`` copies (of the files the gzip row reads) in a separate folder.
dicoms (many)
    Thousands of DICOMs with the same headers but small pixel data (``make_demo`` at ``image_scale=0.05``,
    about 150 x 130 pixels): the header rows at 3,000 files (4tp, 4tf) without 45 GB of full-size images. The
    element layout is that of the full-size files (the same tags, VRs and sequences; the ~10% of headers with
    a VOI LUT pass 8 KB either way); only Rows, Columns, the pixel spacing and the pixel data differ.
"""

from __future__ import annotations

import gzip
import os
import shutil
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

#: Bump when the built-in generator or the layout of the scratch data changes.
DATA_VERSION = 1

FULL_SUBJECTS = 65_379
FULL_STUDIES = 227_835
#: Studies with 1, 2, ... images (facts sheet).
IMAGES_PER_STUDY = {1: 102_675, 2: 103_481, 3: 19_442, 4: 2_097, 5: 99, 6: 33, 7: 2, 8: 4, 9: 1, 11: 1}
VIEWS = {"AP": 147_169, "PA": 96_155, "LATERAL": 82_852, "LL": 35_129, "": 15_805}
LABELS = (
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


def default_data_dir() -> Path:
    env = os.environ.get("CXRKIT_BENCH_DATA")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "cxrkit-bench"


def demo_module():
    """``cxrkit.demo`` when it has ``make_demo`` (it lands on the demo branch), else ``None``."""
    try:
        from cxrkit import demo
    except ImportError:
        return None
    return demo if hasattr(demo, "make_demo") else None


def _demo_version() -> str:
    """``demo<DEMO_VERSION>-<hash of the generator's source>``: any change to the generator makes new data."""
    demo = demo_module()
    if demo is None:
        return "builtin"
    import hashlib

    digest = hashlib.sha256()
    package = Path(demo.__file__).parent  # cxrkit/demo/, and the MIMIC-CXR-JPG recipe it writes JPGs with
    for path in [*sorted(package.glob("*.py")), package.parent / "images" / "mimic_jpg.py"]:
        if path.is_file():
            digest.update(path.read_bytes())
    return f"demo{getattr(demo, 'DEMO_VERSION', 0)}-{digest.hexdigest()[:8]}"


def _marker(folder: Path) -> Path:  # beside the folder, not in it: a dataset root holds only dataset files
    return folder.with_name(folder.name + ".complete")


def _complete(folder: Path) -> bool:
    return _marker(folder).exists() and folder.is_dir()


def _mark(folder: Path, log=print) -> None:
    _marker(folder).write_text("ok\n")
    # data of older generator versions stays (another checkout may still use it), but say it is there
    kind = folder.name.split("-v")[0]
    stale = sorted(p.name for p in folder.parent.glob(f"{kind}-v*") if p.is_dir() and p != folder)
    if stale:
        log(
            f"older benchmark data beside it, from other versions of the generator: {', '.join(stale)} in "
            f"{folder.parent}; delete it when no checkout needs it (several GB)"
        )


# --- tables --------------------------------------------------------------------------------------------


def tables_root(base: Path, subjects: int, *, log=print) -> Path:
    """The tables (and, with ``cxrkit.demo``, reports) data set with ``subjects`` patients;
    built if needed."""
    folder = base / f"tables-{subjects}-v{DATA_VERSION}-{_demo_version()}"
    if _complete(folder):
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    demo = demo_module()
    log(f"generating {subjects} patients of tables{' and reports' if demo else ''} into {folder} ...")
    if demo is not None:
        demo.make_demo(
            folder, subjects=subjects, seed=0, images=False, labels=True, overwrite=True, layout="single"
        )
    else:
        write_tables(folder, subjects=subjects, seed=0)
    _mark(folder, log)
    return folder


def _studies_per_subject(rng: np.random.Generator, subjects: int, studies: int) -> np.ndarray:
    """Studies per patient: median 1, mean ``studies / subjects`` (3.48 at full scale), max 158."""
    counts = np.ones(subjects, dtype=np.int64)
    many = rng.random(subjects) >= 0.52  # a little under half the patients come back
    extra = np.minimum(np.ceil(rng.pareto(1.3, many.sum()) * 2.2).astype(np.int64), 157)
    counts[many] += extra
    diff = studies - counts.sum()
    while diff != 0:  # nudge random patients until the total is exact
        idx = rng.integers(0, subjects, abs(diff))
        if diff > 0:
            np.add.at(counts, idx, 1)
        else:
            ok = idx[counts[idx] > 1]
            np.subtract.at(counts, ok, 1)
            counts = np.maximum(counts, 1)
        counts = np.minimum(counts, 158)
        diff = studies - counts.sum()
    return counts


def _unique_ids(rng: np.random.Generator, n: int, low: int, high: int) -> np.ndarray:
    ids = np.unique(rng.integers(low, high, int(n * 1.1) + 100))
    rng.shuffle(ids)
    return ids[:n]


def write_tables(root: Path, *, subjects: int, seed: int = 0) -> None:
    """The built-in generator: MIMIC-CXR record/study lists and MIMIC-CXR-JPG metadata/chexpert/split
    tables of the real shape, vectorised (a few seconds at full scale). Used until ``cxrkit.demo`` lands."""
    import polars as pl

    rng = np.random.default_rng(seed)
    n_studies = round(FULL_STUDIES * subjects / FULL_SUBJECTS)
    subject_ids = np.sort(_unique_ids(rng, subjects, 10_000_000, 20_000_000))
    per_subject = _studies_per_subject(rng, subjects, n_studies)
    study_subject = np.repeat(subject_ids, per_subject)
    study_ids = _unique_ids(rng, n_studies, 50_000_000, 60_000_000)
    mix = np.array(list(IMAGES_PER_STUDY.values()), dtype=float)
    per_study = rng.choice(np.array(list(IMAGES_PER_STUDY)), n_studies, p=mix / mix.sum())
    if subjects == FULL_SUBJECTS:  # the exact mix at full scale
        per_study = np.repeat(np.array(list(IMAGES_PER_STUDY)), list(IMAGES_PER_STUDY.values()))
        rng.shuffle(per_study)
    n_images = int(per_study.sum())
    img_subject = np.repeat(study_subject, per_study)
    img_study = np.repeat(study_ids, per_study)
    hexes = rng.integers(0, 2**32, (n_images, 5), dtype=np.uint64)
    dicom = pl.DataFrame({f"h{i}": hexes[:, i] for i in range(5)}).select(
        pl.concat_str(
            [pl.col(f"h{i}").map_elements(lambda v: f"{v:08x}", return_dtype=pl.String) for i in range(5)],
            separator="-",
        ).alias("dicom_id")
    )["dicom_id"]

    def folder(subj: pl.Expr, study: pl.Expr) -> pl.Expr:
        s = subj.cast(pl.String)
        return pl.concat_str(
            [pl.lit("files/p"), s.str.slice(0, 2), pl.lit("/p"), s, pl.lit("/s"), study.cast(pl.String)]
        )

    records = pl.DataFrame(
        {"subject_id": img_subject, "study_id": img_study, "dicom_id": dicom}
    ).with_columns(
        pl.concat_str(
            [
                folder(pl.col("subject_id"), pl.col("study_id")),
                pl.lit("/"),
                pl.col("dicom_id"),
                pl.lit(".dcm"),
            ]
        ).alias("path")
    )
    studies = pl.DataFrame({"subject_id": study_subject, "study_id": study_ids}).with_columns(
        pl.concat_str([folder(pl.col("subject_id"), pl.col("study_id")), pl.lit(".txt")]).alias("path")
    )
    views = np.array(list(VIEWS))
    vp = rng.choice(views, n_images, p=np.array(list(VIEWS.values())) / sum(VIEWS.values()))
    desc = np.where(np.isin(vp, ["AP"]), "CHEST (PORTABLE AP)", "CHEST (PA AND LAT)")
    code = {
        "AP": "antero-posterior",
        "PA": "postero-anterior",
        "LATERAL": "lateral",
        "LL": "left lateral",
        "": "",
    }
    days = rng.integers(0, 365 * 100, subjects)  # a per-patient shift; studies spread over a few years
    study_day = np.repeat(days, per_subject) + rng.integers(0, 2000, n_studies)
    base_date = np.datetime64("2100-01-01")
    dates = (base_date + np.repeat(study_day, per_study).astype("timedelta64[D]")).astype("datetime64[D]")
    date_int = np.char.replace(np.datetime_as_string(dates), "-", "").astype(np.int64)
    secs = np.repeat(rng.integers(0, 86_400, n_studies), per_study)
    times = (secs // 3600) * 10_000 + (secs // 60 % 60) * 100 + secs % 60 + np.round(rng.random(n_images), 3)
    portrait = rng.random(n_images) < 0.5
    metadata = pl.DataFrame(
        {
            "dicom_id": dicom,
            "subject_id": img_subject,
            "study_id": img_study,
            "PerformedProcedureStepDescription": desc,
            "ViewPosition": vp,
            "Rows": np.where(portrait, 3056, 2544),
            "Columns": np.where(portrait, 2544, 3056),
            "StudyDate": date_int,
            "StudyTime": times,
            "ProcedureCodeSequence_CodeMeaning": desc,
            "ViewCodeSequence_CodeMeaning": [code[v] for v in vp],
            "PatientOrientationCodeSequence_CodeMeaning": rng.choice(["Erect", "Recumbent", ""], n_images),
        }
    ).with_columns(pl.col(pl.String).replace("", None))
    labelled = np.ones(n_studies, dtype=bool)
    labelled[rng.choice(n_studies, min(8, n_studies), replace=False)] = False
    values = rng.choice(
        np.array([np.nan, 1.0, 0.0, -1.0]), (int(labelled.sum()), len(LABELS)), p=[0.7, 0.15, 0.1, 0.05]
    )
    chexpert = pl.DataFrame(
        {
            "subject_id": study_subject[labelled],
            "study_id": study_ids[labelled],
            **{name: values[:, i] for i, name in enumerate(LABELS)},
        }
    ).fill_nan(None)
    split = metadata.select("dicom_id", "study_id", "subject_id").with_columns(
        pl.Series("split", rng.choice(["train", "validate", "test"], n_images, p=[0.978, 0.008, 0.014]))
    )
    root.mkdir(parents=True, exist_ok=True)
    for name, frame in (
        ("cxr-record-list.csv.gz", records.sort("subject_id", "study_id", "dicom_id")),
        ("cxr-study-list.csv.gz", studies.sort("subject_id", "study_id")),
        ("mimic-cxr-2.0.0-metadata.csv.gz", metadata),
        ("mimic-cxr-2.0.0-chexpert.csv.gz", chexpert.sort("subject_id", "study_id")),
        ("mimic-cxr-2.0.0-split.csv.gz", split),
    ):
        with gzip.open(root / name, "wb", compresslevel=6) as fh:
            frame.write_csv(fh)


# --- DICOMs --------------------------------------------------------------------------------------------


def dicom_root(base: Path, subjects: int, image_scale: float, *, log=print) -> Path | None:
    """A small dataset of DICOMs (full size at ``image_scale=1.0``); ``None`` without ``cxrkit.demo``."""
    demo = demo_module()
    if demo is None:
        return None
    folder = base / f"dicoms-{subjects}-{image_scale:g}-v{DATA_VERSION}-{_demo_version()}"
    if _complete(folder):
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    log(f"generating {subjects} patients of DICOMs at scale {image_scale:g} into {folder} ...")
    demo.make_demo(
        folder / "dataset",
        subjects=subjects,
        seed=1,
        flavor="dicom",
        image_scale=image_scale,
        labels=True,
        images=True,
        overwrite=True,
        layout="single",
        compressed=False,
    )
    _mark(folder, log)
    return folder


def dicom_files(folder: Path) -> list[str]:
    """The ``.dcm`` files of a :func:`dicom_root` folder, sorted."""
    return sorted(str(p) for p in (folder / "dataset" / "files").rglob("*.dcm"))


def gz_copies(folder: Path, paths: list[str], *, log=print) -> list[str]:
    """``.dcm.gz`` copies of ``paths`` (gzip level 6, the gzip default) under ``folder/gz``; made once."""
    dataset = folder / "dataset"
    targets = [str(folder / "gz" / Path(p).relative_to(dataset).with_suffix(".dcm.gz")) for p in paths]
    jobs = [(p, g) for p, g in zip(paths, targets, strict=True) if not Path(g).exists()]
    if jobs:
        log(f"writing {len(jobs)} .dcm.gz copies (gzip level 6, the gzip default) ...")
        with ProcessPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
            list(pool.map(_gzip_copy, jobs, chunksize=2))
    return targets


def _gzip_copy(job: tuple[str, str]) -> None:
    src_path, dst_path = job
    dst = Path(dst_path)
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(dst.name + ".tmp")
    with open(src_path, "rb") as src, gzip.open(tmp, "wb", compresslevel=6) as out:
        shutil.copyfileobj(src, out, 1 << 20)
    tmp.replace(dst)
