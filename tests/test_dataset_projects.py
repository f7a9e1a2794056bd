"""One dataset over the two PhysioNet projects: the same copy from each entry point, one project alone, a
sibling elsewhere, the images shown, and what a wrong root says."""

from __future__ import annotations

import shutil

import polars as pl
import pytest

import cxrkit
from cxrkit.errors import MissingFileError, NotADatasetError

CXR, JPG = "mimic-cxr/2.1.0", "mimic-cxr-jpg/2.1.0"


def _tables(ds) -> dict[str, pl.DataFrame]:
    return {name: ds.table(name).collect().sort(pl.all()) for name in ds.table_files}


def test_each_entry_point_opens_the_same_copy(demo_projects):
    top = cxrkit.open_dataset(demo_projects)
    want = _tables(top)
    assert set(want) == {"records", "studies", "providers", "metadata", "chexpert", "negbio", "split"}
    assert top.summary()["table_projects"]["records"] == "mimic-cxr"
    assert top.summary()["table_projects"]["chexpert"] == "mimic-cxr-jpg"
    for root in (demo_projects / CXR, demo_projects / JPG, demo_projects / "mimic-cxr"):
        ds = cxrkit.open_dataset(root)
        assert set(ds.projects) == {"mimic-cxr", "mimic-cxr-jpg"}, root
        got = _tables(ds)
        assert got.keys() == want.keys() and all(got[k].equals(want[k]) for k in want), root
        assert ds.flavor == "dicom" and ds.root == demo_projects / CXR


def test_an_image_knows_its_dicom_and_its_jpg(demo_projects):
    ds = cxrkit.open_dataset(demo_projects)
    image = ds.study(50414267).images[0]
    assert image.path == image.dicom_path and image.exists and image.dicom_exists and image.jpg_exists
    assert image.dicom_path.suffix == ".dcm" and image.jpg_path.suffix == ".jpg"
    assert image.jpg_path.is_relative_to(demo_projects / JPG)
    jpg_first = cxrkit.open_dataset(demo_projects, prefer="jpg")
    assert jpg_first.flavor == "jpg" and jpg_first.study(50414267).images[0].path == image.jpg_path
    assert "jpg at" in repr(jpg_first) and "+ mimic-cxr at" in repr(jpg_first)
    assert jpg_first.study(50414267).report_text() == ds.study(50414267).report_text()  # from MIMIC-CXR


def test_the_dicom_project_alone_works_and_says_what_is_missing(demo_projects, tmp_path):
    shutil.copytree(demo_projects / CXR, tmp_path / CXR)
    ds = cxrkit.open_dataset(tmp_path)
    assert list(ds.projects) == ["mimic-cxr"] and ds.flavor == "dicom"
    assert ds.study(50414267).report_text() and ds.study(50414267).images[0].jpg_path is None
    assert not ds.has("chexpert")
    with pytest.raises(MissingFileError, match="ships with MIMIC-CXR-JPG"):
        ds.chexpert()
    assert ds.validate().filter(pl.col("severity") == "error").height == 0


def test_the_jpg_project_alone_has_no_reports_and_says_so(demo_projects, tmp_path):
    shutil.copytree(demo_projects / JPG, tmp_path / JPG)
    ds = cxrkit.open_dataset(tmp_path / JPG)
    assert list(ds.projects) == ["mimic-cxr-jpg"] and ds.flavor == "jpg"
    assert ds.records().collect().height == cxrkit.open_dataset(demo_projects).records().collect().height
    with pytest.raises(MissingFileError, match="MIMIC-CXR-JPG ships without reports"):
        ds.sections(progress=False)


def test_a_sibling_elsewhere_is_named_with_jpg_root(demo_projects, tmp_path):
    shutil.copytree(demo_projects / CXR, tmp_path / "dicom" / CXR)
    shutil.copytree(demo_projects / JPG, tmp_path / "elsewhere" / "jpg")
    alone = cxrkit.open_dataset(tmp_path / "dicom" / CXR)
    assert "mimic-cxr-jpg" not in alone.projects
    ds = cxrkit.open_dataset(tmp_path / "dicom" / CXR, jpg_root=tmp_path / "elsewhere" / "jpg")
    assert set(ds.projects) == {"mimic-cxr", "mimic-cxr-jpg"} and ds.has("chexpert")
    assert ds.study(50414267).images[0].jpg_exists


def test_images_in_one_project_only_are_findings(demo_projects, tmp_path):
    shutil.copytree(demo_projects, tmp_path / "d")
    jpgs = sorted((tmp_path / "d" / JPG / "files").rglob("*.jpg"))
    jpgs[0].unlink()
    findings = cxrkit.open_dataset(tmp_path / "d").validate()
    row = findings.filter(pl.col("check") == "dicom_without_jpg")
    assert row.height == 1 and row["dicom_id"][0] == jpgs[0].name.removesuffix(".jpg")


def test_a_malformed_dicom_id_is_a_marked_image_not_a_broken_study(demo_projects, tmp_path):
    import gzip

    shutil.copytree(demo_projects, tmp_path / "d")
    path = tmp_path / "d" / CXR / "cxr-record-list.csv.gz"
    records = pl.read_csv(path)
    bad = records.with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("not-an-id")).otherwise("dicom_id").alias("dicom_id")
    )
    path.write_bytes(gzip.compress(bad.write_csv().encode()))
    ds = cxrkit.open_dataset(tmp_path / "d")
    study = ds.study(records["study_id"][0])
    marked = [im for im in study.images if im.problem]
    assert len(marked) == 1 and not marked[0].exists and "malformed dicom_id 'not-an-id'" in marked[0].problem
    assert any(im.exists for im in study.images) or len(study.images) == 1
    assert ds.validate().filter(pl.col("check") == "malformed_id").height == 1


def test_a_bad_cxrkit_root_is_named_as_the_cause(tmp_path, monkeypatch):
    monkeypatch.setenv("CXRKIT_ROOT", str(tmp_path / "nowhere"))
    with pytest.raises(
        NotADatasetError, match="environment variable CXRKIT_ROOT is set to .*nowhere"
    ) as info:
        cxrkit.open_dataset()
    assert "unset it to open the demo" in str(info.value)
    assert "with no argument" not in str(info.value)


def test_a_wrong_prefer_is_refused():
    with pytest.raises(ValueError, match="prefer='png'"):
        cxrkit.open_dataset(prefer="png")


def test_a_folder_one_level_off_gets_a_did_you_mean(demo_projects, tmp_path):
    with pytest.raises(NotADatasetError, match=r"but .*mimic-cxr/2\.1\.0 does: did you mean that folder"):
        cxrkit.open_dataset(demo_projects / CXR / "files")
    (tmp_path / "downloads").mkdir()
    shutil.copytree(demo_projects, tmp_path / "downloads" / "demo")
    with pytest.raises(NotADatasetError, match=r"but .*downloads/demo does: did you mean"):
        cxrkit.open_dataset(tmp_path / "downloads")


def test_the_physionet_org_folder_itself_opens_both_projects(demo_projects, tmp_path):
    shutil.copytree(demo_projects, tmp_path / "physionet.org" / "files")
    ds = cxrkit.open_dataset(tmp_path / "physionet.org")
    assert set(ds.projects) == {"mimic-cxr", "mimic-cxr-jpg"}
