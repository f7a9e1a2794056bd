"""Tests of the synthetic demo generator: layout, tables, reports, DICOM headers, determinism."""

from __future__ import annotations

import gzip
import hashlib
import re
import zipfile
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from cxrkit import layout
from cxrkit.demo import DEMO_VERSION, DemoError, DemoExistsError, demo_tables, make_demo
from cxrkit.errors import CxrkitError

LABELS = [
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
]
COLUMNS = {
    "cxr-record-list.csv.gz": ["subject_id", "study_id", "dicom_id", "path"],
    "cxr-study-list.csv.gz": ["subject_id", "study_id", "path"],
    "cxr-provider-list.csv.gz": [
        "study_id",
        "ordering_provider_id",
        "attending_provider_id",
        "resident_provider_id",
    ],
    "mimic-cxr-2.0.0-metadata.csv.gz": [
        "dicom_id",
        "subject_id",
        "study_id",
        "PerformedProcedureStepDescription",
        "ViewPosition",
        "Rows",
        "Columns",
        "StudyDate",
        "StudyTime",
        "ProcedureCodeSequence_CodeMeaning",
        "ViewCodeSequence_CodeMeaning",
        "PatientOrientationCodeSequence_CodeMeaning",
    ],
    "mimic-cxr-2.0.0-chexpert.csv.gz": ["subject_id", "study_id", *LABELS],
    "mimic-cxr-2.0.0-negbio.csv.gz": ["subject_id", "study_id", *LABELS],
    "mimic-cxr-2.0.0-split.csv.gz": ["dicom_id", "study_id", "subject_id", "split"],
}
DICOM_ONLY = [
    "cxr-record-list.csv.gz",
    "cxr-study-list.csv.gz",
    "cxr-provider-list.csv.gz",
    "mimic-cxr-reports.zip",
]
SCALE = 0.08  # small images keep the suite fast


def read_csv(path: Path) -> pl.DataFrame:
    """A table as written; label columns as floats even when all empty (small demos)."""
    head = gzip.decompress(path.read_bytes()).split(b"\n", 1)[0].decode().split(",")
    overrides = {c: pl.Float64 for c in head if c in LABELS}
    overrides |= {c: pl.String for c in head if c.endswith(("_CodeMeaning", "Description", "provider_id"))}
    overrides |= {c: pl.String for c in ("ViewPosition",) if c in head}
    return pl.read_csv(
        gzip.decompress(path.read_bytes()), infer_schema_length=None, schema_overrides=overrides
    )


def tree_hashes(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def dicom_root(tmp_path_factory) -> Path:
    return make_demo(
        tmp_path_factory.mktemp("demo") / "dicom", subjects=24, seed=0, image_scale=SCALE, layout="single"
    )


@pytest.fixture(scope="module")
def jpg_root(tmp_path_factory) -> Path:
    return make_demo(
        tmp_path_factory.mktemp("demo") / "jpg",
        subjects=8,
        seed=3,
        flavor="jpg",
        image_scale=SCALE,
        layout="single",
    )


# --- files and tables -----------------------------------------------------------------------------------


def test_dicom_flavour_has_every_file(dicom_root):
    for name in [*COLUMNS, "mimic-cxr-reports.zip", "LICENSE.txt", "SHA256SUMS.txt"]:
        assert (dicom_root / name).is_file(), name
    assert not (dicom_root / "IMAGE_FILENAMES").exists()
    assert "synthetic" in (dicom_root / "LICENSE.txt").read_text().lower()
    assert not [p for p in dicom_root.parent.iterdir() if p.name.startswith(".")]  # no temporary leftovers


def test_tables_have_the_real_columns_in_order(dicom_root):
    for name, columns in COLUMNS.items():
        assert read_csv(dicom_root / name).columns == columns, name


def test_ids_follow_the_layout_rules_and_are_unique(dicom_root):
    records = read_csv(dicom_root / "cxr-record-list.csv.gz")
    studies = read_csv(dicom_root / "cxr-study-list.csv.gz")
    assert records["subject_id"].cast(pl.String).str.contains(layout.SUBJECT_ID_PATTERN).all()
    assert records["study_id"].cast(pl.String).str.contains(layout.STUDY_ID_PATTERN).all()
    assert records["dicom_id"].str.contains(layout.DICOM_ID_PATTERN).all()
    assert records["dicom_id"].is_unique().all()
    assert studies["study_id"].is_unique().all()
    assert set(records["study_id"]) == set(studies["study_id"])
    # each study belongs to one patient; patients spread over several pNN groups
    assert records.group_by("study_id").agg(pl.col("subject_id").n_unique())["subject_id"].max() == 1
    groups = {str(s)[:2] for s in studies["subject_id"]}
    assert len(groups) >= 3


@pytest.mark.parametrize(("subjects", "seed"), [(1, 0), (3, 7), (24, 0), (500, 3)])
def test_every_demo_has_the_documentation_s_example_patient_and_study(subjects, seed):
    from cxrkit.demo import EXAMPLE_STUDY, EXAMPLE_SUBJECT

    tables = demo_tables(subjects=subjects, seed=seed)
    studies, records = tables["cxr-study-list.csv.gz"], tables["cxr-record-list.csv.gz"]
    assert studies.filter(pl.col("study_id") == EXAMPLE_STUDY)["subject_id"].to_list() == [EXAMPLE_SUBJECT]
    assert records.filter(pl.col("study_id") == EXAMPLE_STUDY).height >= 1
    assert studies["study_id"].is_unique().all() and studies["subject_id"].n_unique() == subjects


def test_paths_parse_back_to_their_own_ids(dicom_root):
    records = read_csv(dicom_root / "cxr-record-list.csv.gz")
    for row in records.iter_rows(named=True):
        ids = layout.parse_path(row["path"])
        assert (ids.subject_id, ids.study_id, ids.dicom_id, ids.ext) == (
            row["subject_id"],
            row["study_id"],
            row["dicom_id"],
            ".dcm",
        )
        assert row["path"] == layout.image_path(row["subject_id"], row["study_id"], row["dicom_id"])
        assert (dicom_root / row["path"]).is_file()
    studies = read_csv(dicom_root / "cxr-study-list.csv.gz")
    for row in studies.iter_rows(named=True):
        ids = layout.parse_path(row["path"])
        assert (ids.subject_id, ids.study_id, ids.kind) == (row["subject_id"], row["study_id"], "report")
        assert (dicom_root / row["path"]).is_file()


def test_no_stray_files_in_the_tree(dicom_root):
    on_disk = {p.relative_to(dicom_root).as_posix() for p in (dicom_root / "files").rglob("*") if p.is_file()}
    records = read_csv(dicom_root / "cxr-record-list.csv.gz")
    studies = read_csv(dicom_root / "cxr-study-list.csv.gz")
    assert on_disk == set(records["path"]) | set(studies["path"])


def test_default_demo_has_timelines_and_a_realistic_mix(dicom_root):
    studies = read_csv(dicom_root / "cxr-study-list.csv.gz")
    per_patient = studies.group_by("subject_id").len()["len"]
    assert per_patient.n_unique() > 1 and per_patient.median() <= 2
    assert (per_patient >= 3).sum() >= 3
    meta = read_csv(dicom_root / "mimic-cxr-2.0.0-metadata.csv.gz")
    per_study = meta.group_by("study_id").len()["len"]
    assert {1, 2} <= set(per_study)
    views = set(meta["ViewPosition"].drop_nulls())
    assert {"AP", "PA"} <= views and views & {"LATERAL", "LL"}
    assert set(meta["PerformedProcedureStepDescription"]) >= {"CHEST (PA AND LAT)", "CHEST (PORTABLE AP)"}
    assert set(meta["ViewCodeSequence_CodeMeaning"].drop_nulls()) <= {
        "postero-anterior",
        "antero-posterior",
        "lateral",
        "left lateral",
    }
    assert set(meta["PatientOrientationCodeSequence_CodeMeaning"].drop_nulls()) <= {"Erect", "Recumbent"}
    split = read_csv(dicom_root / "mimic-cxr-2.0.0-split.csv.gz")
    assert split.height == meta.height and set(split["split"]) <= {"train", "validate", "test"}
    assert (split["split"] == "train").mean() > 0.5
    assert split.group_by("subject_id").agg(pl.col("split").n_unique())["split"].max() == 1


def test_dates_and_times_look_like_mimic(dicom_root):
    meta = read_csv(dicom_root / "mimic-cxr-2.0.0-metadata.csv.gz")
    assert meta["StudyDate"].is_between(21000101, 22001231).all()
    assert meta["StudyTime"].dtype == pl.Float64 and meta["StudyTime"].is_between(0, 235959.999).all()
    # leading zero lost: some studies before 10:00 have a 5-digit integer part
    text = gzip.decompress((dicom_root / "mimic-cxr-2.0.0-metadata.csv.gz").read_bytes()).decode()
    times = [line.split(",")[8] for line in text.splitlines()[1:]]
    assert any(len(t.split(".")[0]) <= 5 for t in times)
    # all images of a study share date and time; studies of a patient are spread in time
    assert meta.group_by("study_id").agg(pl.col("StudyDate").n_unique())["StudyDate"].max() == 1
    multi = meta.group_by("subject_id").agg(pl.col("StudyDate").n_unique()).filter(pl.col("StudyDate") > 1)
    assert multi.height >= 1


def test_labels_have_real_values_and_no_finding_logic(dicom_root):
    chex = read_csv(dicom_root / "mimic-cxr-2.0.0-chexpert.csv.gz")
    negbio = read_csv(dicom_root / "mimic-cxr-2.0.0-negbio.csv.gz")
    for frame in (chex, negbio):
        for column in LABELS:
            assert set(frame[column].drop_nulls()) <= {1.0, 0.0, -1.0}
        assert set(frame["No Finding"].drop_nulls()) <= {1.0}
    text = gzip.decompress((dicom_root / "mimic-cxr-2.0.0-chexpert.csv.gz").read_bytes()).decode()
    assert ",1.0," in text and ",0.0," in text
    positive = chex.select(
        pl.any_horizontal(
            [pl.col(c).is_in([1.0, -1.0]) for c in LABELS if c not in ("No Finding", "Support Devices")]
        )
    )
    assert (positive.to_series() == chex["No Finding"].is_null()).all()


def test_negbio_differs_slightly_from_chexpert():
    tables = demo_tables(subjects=400, seed=5, image_scale=SCALE)
    chex = tables["mimic-cxr-2.0.0-chexpert.csv.gz"]
    negbio = tables["mimic-cxr-2.0.0-negbio.csv.gz"]
    assert chex.select("subject_id", "study_id").equals(negbio.select("subject_id", "study_id"))
    a = chex.select(LABELS).fill_null(9.0).to_numpy()
    b = negbio.select(LABELS).fill_null(9.0).to_numpy()
    differ = (a != b).mean()
    assert 0.001 < differ < 0.05


# --- reports ----------------------------------------------------------------------------------------------


def test_reports_look_like_mimic_reports(dicom_root):
    studies = read_csv(dicom_root / "cxr-study-list.csv.gz")
    texts = [(dicom_root / p).read_text() for p in studies["path"]]
    headers = re.compile(
        r"^ (FINDINGS|IMPRESSION|INDICATION|COMPARISON|EXAMINATION|HISTORY|TECHNIQUE)"
        r"[A-Z ()/,-]*:",
        re.MULTILINE,
    )
    for text in texts:
        lines = text.splitlines()
        assert all(line.startswith(" ") for line in lines)
        assert all(len(line) <= 79 for line in lines)
        assert 40 <= len(text.encode()) <= 4000
    assert sum("___" in t for t in texts) > len(texts) * 0.8
    assert sum(bool(headers.search(t)) for t in texts) > len(texts) * 0.7
    assert sum("FINAL REPORT" in t for t in texts) > len(texts) * 0.7
    assert any("\n \n" in t for t in texts)  # blank lines are a single space


def _body(text: str) -> str:
    """The report without its indication/history sections (which may name a finding as a question)."""
    skip = re.compile(
        r"^ (INDICATIONS?|INDICATON|INDICATION FOR EXAM|HISTORY|HISTROY"
        r"|CLINICAL (HISTORY|INFORMATION|INDICATION)|REASON FOR EXAM(INATION)?):"
    )
    kept, skipping = [], False
    for line in text.splitlines():
        if skip.match(line):
            skipping = True
        elif line == " ":
            skipping = False
        if not skipping:
            kept.append(line)
    return "\n".join(kept)


def _sentences_with(text: str, word: str) -> list[str]:
    flat = " ".join(line.strip() for line in text.splitlines())
    return [s for s in re.split(r"(?<=\.)\s+", flat) if word in s.lower()]


def test_report_text_agrees_with_labels():
    # a moderate number of studies so every case occurs; tables and reports without pixels
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        root = make_demo(Path(tmp) / "d", subjects=150, seed=11, images=False, layout="single")
        chex = read_csv(root / "mimic-cxr-2.0.0-chexpert.csv.gz")
        checked = {"pos": 0, "neg": 0, "sd": 0, "normal": 0}
        for row in chex.iter_rows(named=True):
            text = _body((root / layout.report_path(row["subject_id"], row["study_id"])).read_text()).lower()
            effusion = row["Pleural Effusion"]
            if effusion == 1.0:
                assert "effusion" in text
                checked["pos"] += 1
            elif effusion == 0.0:
                sentences = _sentences_with(text, "effusion")
                assert sentences and any(re.search(r"\b(no|without|not)\b", s) for s in sentences), text
                checked["neg"] += 1
            elif effusion is None:
                assert "effusion" not in text
            if row["Support Devices"] == 1.0:
                assert re.search(r"tube|line|catheter|pacemaker|wires", text)
                checked["sd"] += 1
            if row["No Finding"] == 1.0:
                for word in (
                    "pneumonia",
                    "edema",
                    "pneumothorax",
                    "consolidation",
                    "effusion",
                    "atelectasis",
                ):
                    for sentence in _sentences_with(text, word):
                        assert re.search(r"\b(no|without|not)\b", sentence), sentence
                checked["normal"] += 1
        assert min(checked.values()) >= 5


def test_reports_zip_holds_the_same_texts(dicom_root):
    studies = read_csv(dicom_root / "cxr-study-list.csv.gz")
    with zipfile.ZipFile(dicom_root / "mimic-cxr-reports.zip") as zf:
        members = {}
        for name in zf.namelist():
            match = re.search(r"p1\d/p\d{8}/s\d{8}\.txt$", name)
            assert match, name
            members["files/" + match.group(0)] = zf.read(name)
    assert set(members) == set(studies["path"])
    for path, data in members.items():
        assert (dicom_root / path).read_bytes() == data


# --- images ------------------------------------------------------------------------------------------------


def test_dicom_headers_agree_with_metadata(dicom_root):
    import pydicom

    meta = read_csv(dicom_root / "mimic-cxr-2.0.0-metadata.csv.gz")
    photometric = set()
    voi = 0
    syntaxes = []
    for row in meta.iter_rows(named=True):
        path = dicom_root / layout.image_path(row["subject_id"], row["study_id"], row["dicom_id"])
        ds = pydicom.dcmread(path)
        syntaxes.append(ds.file_meta.TransferSyntaxUID)
        assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.1.1"
        assert ds.Modality == "DX" and ds.SpecificCharacterSet == "ISO_IR 100"
        assert list(ds.ImageType) == ["DERIVED", "PRIMARY"]
        assert ds.PatientID == str(row["subject_id"])
        assert ds.StudyID == str(row["study_id"]) == ds.AccessionNumber
        assert ds.SOPInstanceUID != row["dicom_id"] and ds.SOPInstanceUID.startswith("2.25.")
        assert (ds.ViewPosition or None) == row["ViewPosition"]
        assert (ds.Rows, ds.Columns) == (row["Rows"], row["Columns"])
        assert int(ds.StudyDate) == row["StudyDate"]
        assert float(ds.StudyTime) == pytest.approx(row["StudyTime"])
        assert ds.PerformedProcedureStepDescription == row["PerformedProcedureStepDescription"]
        assert ds.ProcedureCodeSequence[0].CodeMeaning == row["ProcedureCodeSequence_CodeMeaning"]
        meanings = [item.CodeMeaning for item in ds.get("ViewCodeSequence", [])]
        assert meanings == (
            [row["ViewCodeSequence_CodeMeaning"]] if row["ViewCodeSequence_CodeMeaning"] else []
        )
        orientation = row["PatientOrientationCodeSequence_CodeMeaning"]
        if orientation:
            assert ds.PatientOrientationCodeSequence[0].CodeMeaning == orientation
        assert (ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation) == (16, 12, 11, 0)
        assert float(ds.PixelSpacing[0]) == pytest.approx(0.139 / SCALE, rel=1e-3)
        assert ("WindowCenter" in ds) or ("VOILUTSequence" in ds)
        voi += "VOILUTSequence" in ds
        pixels = ds.pixel_array
        assert pixels.shape == (row["Rows"], row["Columns"]) and pixels.max() <= 4095
        photometric.add(ds.PhotometricInterpretation)
    assert photometric == {"MONOCHROME1", "MONOCHROME2"}
    assert voi >= 1
    # mostly uncompressed, a few of each lossless encoding (tests/demo/test_dicom.py checks them all)
    assert syntaxes.count("1.2.840.10008.1.2.1") > 0.8 * len(syntaxes) and len(set(syntaxes)) == 5


def test_monochrome1_is_stored_inverted(dicom_root):
    """Once MONOCHROME1 is inverted for display, lungs are darker than the image's middle column (spine)."""
    import pydicom

    meta = read_csv(dicom_root / "mimic-cxr-2.0.0-metadata.csv.gz").filter(pl.col("ViewPosition") == "PA")
    for row in meta.iter_rows(named=True):
        ds = pydicom.dcmread(
            dicom_root / layout.image_path(row["subject_id"], row["study_id"], row["dicom_id"])
        )
        img = ds.pixel_array.astype(float)
        if ds.PhotometricInterpretation == "MONOCHROME1":
            img = 4095 - img
        h, w = img.shape
        band = img[h // 3 : h // 2]
        lungs = np.concatenate([band[:, w // 5 : w // 3].ravel(), band[:, w - w // 3 : w - w // 5].ravel()])
        spine = img[h // 3 : h // 2, w // 2 - 2 : w // 2 + 2]
        assert lungs.mean() < spine.mean()


def test_dicom_gz_flavour(tmp_path):
    root = make_demo(tmp_path / "gz", subjects=3, flavor="dicom-gz", image_scale=0.05, layout="single")
    records = read_csv(root / "cxr-record-list.csv.gz")
    assert records["path"].str.ends_with(".dcm").all()  # the list keeps .dcm, as the real one
    for path in records["path"]:
        stored = root / (path + ".gz")
        assert stored.is_file() and not (root / path).exists()
        assert gzip.decompress(stored.read_bytes())[128:132] == b"DICM"


def test_jpg_flavour(jpg_root):
    from PIL import Image

    for name in DICOM_ONLY:
        assert not (jpg_root / name).exists(), name
    assert not list((jpg_root / "files").rglob("*.txt"))
    listed = (jpg_root / "IMAGE_FILENAMES").read_text().splitlines()
    on_disk = sorted(
        p.relative_to(jpg_root).as_posix() for p in (jpg_root / "files").rglob("*") if p.is_file()
    )
    assert sorted(listed) == on_disk and all(p.endswith(".jpg") for p in on_disk)
    meta = read_csv(jpg_root / "mimic-cxr-2.0.0-metadata.csv.gz")
    assert meta.columns == COLUMNS["mimic-cxr-2.0.0-metadata.csv.gz"]
    assert sorted(
        layout.image_path(*r, ext=".jpg")
        for r in meta.select("subject_id", "study_id", "dicom_id").iter_rows()
    ) == sorted(listed)
    for row in meta.iter_rows(named=True):
        with Image.open(
            jpg_root / layout.image_path(row["subject_id"], row["study_id"], row["dicom_id"], ".jpg")
        ) as im:
            assert im.format == "JPEG" and im.mode == "L"
            assert im.size == (row["Columns"], row["Rows"])


def test_labels_false_and_images_false(tmp_path):
    root = make_demo(tmp_path / "bare", subjects=4, labels=False, images=False, layout="single")
    assert not (root / "mimic-cxr-2.0.0-chexpert.csv.gz").exists()
    assert not (root / "mimic-cxr-2.0.0-negbio.csv.gz").exists()
    assert (root / "mimic-cxr-2.0.0-split.csv.gz").exists()
    assert not [p for p in (root / "files").rglob("*") if p.is_file() and not p.name.endswith(".txt")]
    studies = read_csv(root / "cxr-study-list.csv.gz")
    assert all((root / p).is_file() for p in studies["path"])


def test_sha256sums_match(dicom_root):
    lines = (dicom_root / "SHA256SUMS.txt").read_text().splitlines()
    listed = {}
    for line in lines:
        digest, rel = line.split("  ", 1)
        listed[rel] = digest
    actual = tree_hashes(dicom_root)
    actual.pop("SHA256SUMS.txt")
    assert listed == actual


# --- determinism and safety -----------------------------------------------------------------------------


def test_same_seed_same_bytes_different_seed_differs(tmp_path):
    a = make_demo(tmp_path / "a", subjects=5, seed=7, image_scale=0.05, layout="single")
    b = make_demo(tmp_path / "b", subjects=5, seed=7, image_scale=0.05, layout="single")
    c = make_demo(tmp_path / "c", subjects=5, seed=8, image_scale=0.05, layout="single")
    assert tree_hashes(a) == tree_hashes(b)
    ha, hc = tree_hashes(a), tree_hashes(c)
    assert ha["cxr-record-list.csv.gz"] != hc["cxr-record-list.csv.gz"]
    assert set(ha) != set(hc)
    j1 = make_demo(tmp_path / "j1", subjects=3, seed=7, flavor="jpg", image_scale=0.05, layout="single")
    j2 = make_demo(tmp_path / "j2", subjects=3, seed=7, flavor="jpg", image_scale=0.05, layout="single")
    assert tree_hashes(j1) == tree_hashes(j2)


def test_parallel_writing_gives_the_same_bytes(tmp_path):
    serial = make_demo(tmp_path / "one", subjects=10, seed=6, image_scale=0.04, workers=1)
    parallel = make_demo(tmp_path / "two", subjects=10, seed=6, image_scale=0.04, workers=2)
    hashes = tree_hashes(serial)
    assert len([p for p in hashes if p.endswith(".dcm")]) > 24  # more than one chunk of images
    assert hashes == tree_hashes(parallel)


def test_uncompressed_on_request(tmp_path):
    import pydicom

    root = make_demo(tmp_path / "d", subjects=10, seed=6, image_scale=0.04, layout="single", compressed=False)
    syntaxes = {
        pydicom.dcmread(p, stop_before_pixels=True).file_meta.TransferSyntaxUID
        for p in (root / "files").rglob("*.dcm")
    }
    assert syntaxes == {"1.2.840.10008.1.2.1"}


def test_refuses_to_overwrite_and_overwrites_on_request(tmp_path):
    dest = make_demo(tmp_path / "d", subjects=2, seed=1, images=False, layout="single")
    before = tree_hashes(dest)
    with pytest.raises(DemoExistsError, match="overwrite=True") as info:
        make_demo(dest, subjects=2, seed=2, images=False, layout="single")
    assert isinstance(info.value, CxrkitError)
    assert tree_hashes(dest) == before
    make_demo(dest, subjects=2, seed=2, images=False, overwrite=True, layout="single")
    assert tree_hashes(dest) != before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d"]


@pytest.mark.parametrize(
    "kwargs", [{"flavor": "png"}, {"subjects": 0}, {"image_scale": 0}, {"image_scale": 2.0}, {"seed": -1}]
)
def test_bad_arguments(tmp_path, kwargs):
    with pytest.raises(DemoError):
        make_demo(tmp_path / "x", **kwargs, layout="single")
    assert not (tmp_path / "x").exists()


def test_demo_version_is_a_string():
    assert isinstance(DEMO_VERSION, str) and DEMO_VERSION


def test_tables_match_written_files(dicom_root):
    tables = demo_tables(subjects=24, seed=0, image_scale=SCALE)
    for name, frame in tables.items():
        written = read_csv(dicom_root / name)
        assert written.equals(frame.select(written.columns).cast(written.schema)), name


# --- scale -------------------------------------------------------------------------------------------------


def test_moderate_scale_follows_the_real_mix(tmp_path):
    import time

    start = time.perf_counter()
    root = make_demo(tmp_path / "big", subjects=2000, seed=2, images=False, layout="single")
    elapsed = time.perf_counter() - start
    records = read_csv(root / "cxr-record-list.csv.gz")
    studies = read_csv(root / "cxr-study-list.csv.gz")
    patients = studies["subject_id"].n_unique()
    assert patients == 2000
    assert 2.9 < studies.height / patients < 4.1  # real: 3.48
    assert 1.55 < records.height / studies.height < 1.75  # real: 1.655
    per_patient = studies.group_by("subject_id").len()["len"]
    assert per_patient.median() == 1 and per_patient.max() >= 30
    per_study = records.group_by("study_id").len()["len"]
    share = per_study.value_counts().sort("len")
    one = share.filter(pl.col("len") == 1)["count"].item() / studies.height
    two = share.filter(pl.col("len") == 2)["count"].item() / studies.height
    assert 0.4 < one < 0.5 and 0.4 < two < 0.5
    meta = read_csv(root / "mimic-cxr-2.0.0-metadata.csv.gz")
    counts = dict(meta["ViewPosition"].value_counts().iter_rows())
    n = meta.height
    assert 0.33 < counts["AP"] / n < 0.45  # real: 0.39
    assert 0.2 < counts["PA"] / n < 0.31  # real: 0.255
    assert 0.01 < counts[None] / n < 0.08  # real: 0.042
    split = read_csv(root / "mimic-cxr-2.0.0-split.csv.gz")
    assert set(split["split"]) == {"train", "validate", "test"}
    assert (split["split"] == "train").mean() > 0.9
    reports = list((root / "files").rglob("*.txt"))
    assert len(reports) == studies.height
    sizes = np.array([p.stat().st_size for p in reports])
    assert 500 < sizes.mean() < 800  # real: 666
    assert elapsed < 60  # ~3 s on an idle 2-core machine; generous for loaded CI runners


def test_a_destination_created_meanwhile_is_left_alone(tmp_path, monkeypatch):
    from cxrkit import layout

    dest = tmp_path / "d"
    real_report_path = layout.report_path

    def race_while_writing(*args):  # the demo names its reports with layout.report_path as it writes them
        if not dest.exists():
            dest.mkdir()
            (dest / "theirs.txt").write_text("keep me")
        return real_report_path(*args)

    monkeypatch.setattr(layout, "report_path", race_while_writing)
    with pytest.raises(DemoExistsError, match="someone else"):
        make_demo(dest, subjects=2, images=False, layout="single")
    assert [p.name for p in dest.iterdir()] == ["theirs.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d"]


def test_windowing_tags_fit_the_rescaled_pixels(dicom_root):
    """Window centre (in modality-LUT units) and VOI LUT sit inside the pixel range; the rescale is the
    identity the DX IOD requires."""
    import pydicom
    from pydicom.pixels import apply_modality_lut, apply_voi_lut

    intercepts = set()
    for path in sorted((dicom_root / "files").rglob("*.dcm")):
        ds = pydicom.dcmread(path)
        assert float(ds.RescaleSlope) == 1.0
        intercepts.add(int(ds.RescaleIntercept))
        values = np.rint(apply_modality_lut(ds.pixel_array, ds)).astype(np.int32)
        if "WindowCenter" in ds:
            assert values.min() < float(ds.WindowCenter) < values.max()
            assert float(ds.WindowWidth) > 0
        shown = apply_voi_lut(values, ds)
        assert np.ptp(shown) > 0
    assert intercepts == {0}
