"""Opening copies of every shape (demo DICOM, .dcm.gz, JPG, partial, tables only) and the frames they give."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl
import pytest

import cxrkit
from cxrkit import layout, tables
from cxrkit.dataset import Dataset, open_dataset
from cxrkit.errors import CacheError, InvalidIdError, MissingFileError, NotADatasetError, StudyNotFoundError


def test_open_dataset_order_argument_env_demo(demo_dicom, tmp_path, monkeypatch):
    assert open_dataset(demo_dicom).root == demo_dicom.resolve()
    monkeypatch.setenv("CXRKIT_ROOT", str(demo_dicom))
    assert open_dataset().root == demo_dicom.resolve()
    other = tmp_path / "other"
    shutil.copytree(demo_dicom, other)
    assert open_dataset(other).root == other.resolve(), "the argument wins over the environment"


def test_default_is_the_demo_generated_once_into_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CXRKIT_CACHE", str(tmp_path / "cache"))
    ds = cxrkit.open_dataset()
    assert (tmp_path / "cache").resolve() in ds.root.parents
    assert ds.flavor == "dicom" and ds.has("chexpert")
    stamp = ds.root.stat().st_mtime_ns
    again = cxrkit.open_dataset()
    assert again.root == ds.root and again.root.stat().st_mtime_ns == stamp


def test_flavours_and_present_files(demo_dicom, demo_gz, demo_jpg):
    ds = open_dataset(demo_dicom)
    assert (ds.flavor, ds.image_ext) == ("dicom", ".dcm")
    assert set(ds.table_files) == set(tables.TABLES)
    assert ds.reports_zip is not None
    gz = open_dataset(demo_gz)
    assert (gz.flavor, gz.image_ext) == ("dicom", ".dcm.gz")
    jpg = open_dataset(demo_jpg)
    assert (jpg.flavor, jpg.image_ext) == ("jpg", ".jpg")
    assert "records" not in jpg.table_files and jpg.image_filenames is not None


def test_not_a_dataset(tmp_path):
    with pytest.raises(NotADatasetError, match="does not look like a MIMIC-CXR copy"):
        open_dataset(tmp_path)
    with pytest.raises(NotADatasetError, match="not a folder"):
        open_dataset(tmp_path / "nope")


def test_cache_inside_root_is_refused(demo_dicom, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(demo_dicom, copy)
    with pytest.raises(CacheError, match="inside the dataset root"):
        open_dataset(copy, cache_dir=copy / ".cache")


def test_nothing_is_written_into_the_root(demo_dicom, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(demo_dicom, copy)
    before = {p: p.stat().st_mtime_ns for p in copy.rglob("*")}
    ds = open_dataset(copy, cache_dir=tmp_path / "cache")
    for name in ("records", "studies", "metadata", "chexpert", "negbio", "split", "providers"):
        getattr(ds, name)().collect()
    (
        ds.images().collect(),
        ds.patients().collect(),
        ds.validate(),
        ds.study(ds.records().collect()["study_id"][0]),
    )
    after = {p: p.stat().st_mtime_ns for p in copy.rglob("*")}
    assert after == before


def test_schemas(demo_dicom):
    ds = open_dataset(demo_dicom)
    assert ds.records().collect_schema() == pl.Schema(
        {"subject_id": pl.Int64, "study_id": pl.Int64, "dicom_id": pl.String, "path": pl.String}
    )
    assert ds.studies().collect_schema() == pl.Schema(
        {"subject_id": pl.Int64, "study_id": pl.Int64, "path": pl.String}
    )
    meta = ds.metadata().collect_schema()
    assert meta["StudyDate"] == pl.Date and meta["StudyTime"] == pl.Time and meta["Rows"] == pl.Int64
    labels = ds.chexpert().collect_schema()
    assert list(labels) == ["subject_id", "study_id", *tables.LABEL_COLUMNS]
    assert all(labels[c] == pl.Float64 for c in tables.LABEL_COLUMNS)
    assert ds.split().collect()["split"].is_in(["train", "validate", "test"]).all()
    assert ds.providers().collect_schema()["study_id"] == pl.Int64


def test_tables_are_lazy_and_agree(demo_dicom):
    ds = open_dataset(demo_dicom)
    assert isinstance(ds.records(), pl.LazyFrame)
    recs = ds.records().collect()
    studies = ds.studies().collect()
    assert set(recs["study_id"]) == set(studies["study_id"])
    assert recs["dicom_id"].is_unique().all()
    built = recs.select(layout.image_path_expr())["path"]
    assert (built == recs["path"]).all()


def test_images_joins_metadata_and_split(demo_dicom):
    ds = open_dataset(demo_dicom)
    imgs = ds.images().collect()
    recs = ds.records().collect()
    assert imgs.height == recs.height
    assert {"ViewPosition", "StudyDate", "StudyTime", "split", "Rows"} <= set(imgs.columns)
    assert imgs["split"].null_count() == 0
    assert imgs.select("subject_id", "study_id", "dicom_id").equals(
        recs.select("subject_id", "study_id", "dicom_id").sort("subject_id", "study_id", "dicom_id")
    )


def test_patients(demo_dicom):
    ds = open_dataset(demo_dicom)
    pats = ds.patients().collect()
    recs = ds.records().collect()
    assert pats["subject_id"].to_list() == sorted(recs["subject_id"].unique().to_list())
    expected = recs.group_by("subject_id").agg(pl.col("study_id").n_unique().alias("n"), pl.len().alias("m"))
    joined = pats.join(expected, on="subject_id")
    assert (joined["n_studies"] == joined["n"]).all() and (joined["n_images"] == joined["m"]).all()
    assert (pats["first_study_date"] <= pats["last_study_date"]).all()
    assert pats["n_studies"].max() >= 3, "the demo has patients with several studies"


def test_patient_studies_are_in_time_order_not_id_order(demo_dicom):
    ds = open_dataset(demo_dicom)
    pats = ds.patients().filter(pl.col("n_studies") >= 3).collect()
    seen_non_id_order = False
    for subject in pats["subject_id"]:
        ps = ds.patient_studies(subject)
        stamps = [dt.datetime.combine(d, t or dt.time()) for d, t in zip(ps["StudyDate"], ps["StudyTime"])]
        assert stamps == sorted(stamps)
        seen_non_id_order |= ps["study_id"].to_list() != sorted(ps["study_id"].to_list())
    assert seen_non_id_order, "ids are random, so time order should differ from id order somewhere"
    with pytest.raises(InvalidIdError):
        ds.patient_studies("50000000")


def test_study_values(demo_dicom):
    ds = open_dataset(demo_dicom)
    imgs = ds.images().collect()
    sid = imgs.group_by("study_id").len().filter(pl.col("len") >= 2)["study_id"].sort()[0]
    st = ds.study(f"s{sid}")
    assert st.study_id == sid and layout.is_subject_id(st.subject_id)
    assert len(st.images) == imgs.filter(pl.col("study_id") == sid).height
    assert all(im.exists and im.path.is_file() and im.path.suffix == ".dcm" for im in st.images)
    assert all(layout.parse_path(im.path).dicom_id == im.dicom_id for im in st.images)
    views = [im.view_position for im in st.images]
    frontal = [v in ("PA", "AP") for v in views]
    assert frontal == sorted(frontal, reverse=True), "frontal images come first"
    assert st.report_path == ds.root / layout.report_path(st.subject_id, sid)
    assert isinstance(st.study_date, dt.date)
    with pytest.raises(StudyNotFoundError, match="s59999999"):
        ds.study(59999999)
    with pytest.raises(InvalidIdError):
        ds.study("12345")


def test_study_paths_resolve_gz_and_jpg(demo_gz, demo_jpg):
    for root, ext in ((demo_gz, ".dcm.gz"), (demo_jpg, ".jpg")):
        ds = open_dataset(root)
        sid = ds.records().collect()["study_id"][0]
        st = ds.study(sid)
        assert st.images and all(im.exists and im.path.name.endswith(ext) for im in st.images)


def test_jpg_copy_derives_records_and_studies(demo_jpg):
    ds = open_dataset(demo_jpg)
    recs = ds.records().collect()
    meta = ds.metadata().collect()
    assert set(recs["dicom_id"]) == set(meta["dicom_id"])
    assert recs["path"].str.ends_with(".jpg").all()
    studies = ds.studies().collect()
    assert set(studies["study_id"]) == set(meta["study_id"])
    assert (studies["path"] == studies.select(layout.report_path_expr())["path"]).all()


def test_derived_from_walk_when_lists_and_image_filenames_are_absent(demo_jpg, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(demo_jpg, copy)
    (copy / "IMAGE_FILENAMES").unlink()
    ds = open_dataset(copy)
    assert set(ds.records().collect()["dicom_id"]) == set(
        open_dataset(demo_jpg).records().collect()["dicom_id"]
    )


def test_missing_table_says_what_to_do(demo_jpg, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(demo_jpg, copy)
    for f in copy.glob("*chexpert*"):
        f.unlink()
    ds = open_dataset(copy)
    assert not ds.has("chexpert")
    with pytest.raises(MissingFileError, match="chexpert"):
        ds.chexpert()
    with pytest.raises(KeyError):
        ds.has("nonsense")


def test_corrupt_table_is_a_clear_error_naming_the_file(demo_dicom, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(demo_dicom, copy)
    target = copy / "cxr-record-list.csv.gz"
    target.write_bytes(target.read_bytes()[: target.stat().st_size // 2])
    ds = open_dataset(copy, cache_dir=tmp_path / "cache")
    with pytest.raises(cxrkit.CxrkitError) as info:
        ds.records()
    assert str(target) in str(info.value)


def test_image_files_resolves_and_marks_missing(demo_gz, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(demo_gz, copy)
    ds = open_dataset(copy)
    files = ds.image_files()
    assert files.columns == ["subject_id", "study_id", "dicom_id", "file"]
    assert files["file"].null_count() == 0 and files["file"].str.ends_with(".dcm.gz").all()
    victim = files["file"][0]
    Path(victim).unlink()
    again = Dataset(copy).image_files()
    assert again.filter(pl.col("file").is_null())["dicom_id"].to_list() == [files["dicom_id"][0]]


def test_report_text(demo_dicom):
    ds = open_dataset(demo_dicom)
    sid = ds.studies().collect()["study_id"][0]
    study = ds.study(sid)
    assert study.report_text() == study.report_path.read_text()
    study.report_path.rename(study.report_path.with_suffix(".bak"))
    try:  # without the file, the text comes from the reports zip
        assert study.report_text() == study.report_path.with_suffix(".bak").read_text()
    finally:
        study.report_path.with_suffix(".bak").rename(study.report_path)


def test_summary(demo_dicom):
    s = open_dataset(demo_dicom).summary()
    assert s["flavor"] == "dicom" and s["missing_tables"] == []
    assert s["images"] == s["images_on_disk"] and s["studies"] == s["reports_on_disk"]


def test_reports_and_sections_from_tree_and_zip(demo_dicom, tmp_path):
    ds = open_dataset(demo_dicom, cache_dir=tmp_path / "c1")
    reps = ds.reports(executor="serial", progress=False).collect()
    studies = ds.studies().collect()
    assert set(reps["study_id"]) == set(studies["study_id"]) and reps["error"].null_count() == reps.height
    one = reps.row(0, named=True)
    assert one["text"] == ds.study(one["study_id"]).report_text()
    secs = ds.sections(executor="serial", progress=False).collect()
    assert secs.height == reps.height and secs["impression"].null_count() < secs.height
    # a copy holding only the zip (no .txt files) gives the same texts
    copy = tmp_path / "zip-only"
    shutil.copytree(demo_dicom, copy, ignore=shutil.ignore_patterns("*.txt"))
    from_zip = (
        open_dataset(copy, cache_dir=tmp_path / "c2").reports(executor="serial", progress=False).collect()
    )
    assert (
        from_zip.select("study_id", "text")
        .sort("study_id")
        .equals(reps.select("study_id", "text").sort("study_id"))
    )


def test_reading_reports_does_not_walk_the_whole_tree(demo_dicom, tmp_path):
    """Finding out that the copy has report files must not list every study folder (minutes on a full
    copy)."""
    ds = open_dataset(demo_dicom, cache_dir=tmp_path / "c")
    ds.reports(executor="serial", progress=False)
    assert "listing" not in ds.__dict__


def test_jpg_copy_has_no_reports(demo_jpg):
    with pytest.raises(MissingFileError, match="no reports"):
        open_dataset(demo_jpg).reports()


def test_images_say_frontal_or_lateral_with_a_fallback_for_empty_view_positions(demo_dicom):
    imgs = open_dataset(demo_dicom).images().collect()
    labelled = imgs.filter(pl.col("ViewPosition").is_in(["PA", "AP"]))
    assert (labelled["view"] == "frontal").all() and (labelled["view_source"] == "ViewPosition").all()
    assert (imgs.filter(pl.col("ViewPosition").is_in(["LATERAL", "LL"]))["view"] == "lateral").all()
    empty = imgs.filter(pl.col("ViewPosition").is_null())
    assert empty.height > 0, "the demo has images without a ViewPosition"
    assert set(empty["view_source"].drop_nulls()) <= {"ViewCodeSequence", "procedure"}
    decided = empty.filter(pl.col("view_source") == "ViewCodeSequence")
    expected = (
        decided["ViewCodeSequence_CodeMeaning"]
        .str.contains("lateral")
        .replace_strict({True: "lateral", False: "frontal"})
    )
    assert (decided["view"] == expected).all()


def test_a_table_query_in_a_new_session_does_not_import_numpy(demo_dicom, tmp_path):
    # numpy's import starts OpenBLAS threads that spin for a while: on 2 cores they slowed the first warm
    # table query of a session by a third (benchmark line 1bw), so the table path leaves numpy unimported
    import subprocess
    import sys

    code = (
        "import sys, cxrkit\n"
        f"ds = cxrkit.open_dataset({str(demo_dicom)!r}, cache_dir={str(tmp_path / 'cache')!r})\n"
        "n = ds.studies().join(ds.records(), on='study_id').collect().height\n"
        "print(n > 0, 'numpy' in sys.modules)\n"
    )
    for _ in range(2):  # the first call builds the copies, the second reads them
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        assert out.split() == ["True", "False"]
