"""Reading a MIMIC-IV copy: found beside the CXR projects, typed like the documentation says, cached."""

from __future__ import annotations

import shutil

import polars as pl
import pytest

import cxrkit
from cxrkit.demo import MIMIC_IV_RELEASE, make_mimic_iv_demo
from cxrkit.errors import MissingFileError
from cxrkit.mimic_iv import TABLES, open_mimic_iv


@pytest.fixture
def top(demo_projects, tmp_path):
    """The demo's two CXR projects with a MIMIC-IV copy beside them, as physionet.org/files holds them
    (written here again from the CXR copy: the same bytes as the demo's own)."""
    for project in ("mimic-cxr", "mimic-cxr-jpg"):
        shutil.copytree(demo_projects / project, tmp_path / "files" / project)
    make_mimic_iv_demo(cxrkit.open_dataset(demo_projects), tmp_path / "files")
    return tmp_path / "files"


def test_the_demo_has_mimic_iv_beside_its_projects(demo_projects, top):
    rels = (p.relative_to(top) for p in top.rglob("*.csv.gz"))
    written = sorted(rel for rel in rels if rel.parts[0] in ("mimiciv", "mimic-iv-ed"))
    theirs = {p.relative_to(demo_projects): p for p in demo_projects.rglob("*.csv.gz")}
    assert len(written) == 4
    for rel in written:
        assert (top / rel).read_bytes() == theirs[rel].read_bytes(), rel


def test_the_dataset_finds_mimic_iv_beside_its_projects(top, tmp_path):
    ds = cxrkit.open_dataset(top / "mimic-cxr" / "2.1.0", cache_dir=tmp_path / "cache")
    mimic = ds.mimic_iv()
    assert mimic.location == str((top / "mimiciv" / MIMIC_IV_RELEASE).resolve())
    assert mimic.ed_location is not None and "mimic-iv-ed" in mimic.ed_location
    assert sorted(mimic.table_files) == ["admissions", "edstays", "icustays", "patients"]
    assert mimic.admissions().collect().height > 0
    copies = list((tmp_path / "cache" / "tables").rglob("admissions-*.parquet"))
    assert len(copies) == 1  # cached like the CXR tables, in the dataset's cache, outside the copy


def test_a_copy_without_mimic_iv_beside_says_how_to_name_one(demo_dicom):
    with pytest.raises(MissingFileError, match=r"no MIMIC-IV copy beside .*ds.mimic_iv\("):
        cxrkit.open_dataset(demo_dicom).mimic_iv()


def test_types_follow_the_documentation(top):
    mimic = open_mimic_iv(top)
    schema = mimic.admissions().collect_schema()
    assert schema["hadm_id"] == pl.Int64 and schema["admittime"] == pl.Datetime("us")
    assert schema["hospital_expire_flag"] == pl.Int64
    assert mimic.patients().collect_schema()["dod"] == pl.Date
    assert mimic.icustays().collect_schema()["los"] == pl.Float64
    for name, spec in TABLES.items():
        assert set(spec.required_columns) <= set(mimic.table(name).collect_schema().names()), name


def test_a_release_folder_or_a_project_folder_opens_the_same(top):
    by_top = open_mimic_iv(top).admissions().collect()
    by_project = open_mimic_iv(top / "mimiciv").admissions().collect()
    by_release = open_mimic_iv(top / "mimiciv" / MIMIC_IV_RELEASE).admissions().collect()
    assert by_top.equals(by_project) and by_top.equals(by_release)
    assert open_mimic_iv(top / "mimiciv" / MIMIC_IV_RELEASE).has("edstays")  # MIMIC-IV-ED found beside


def test_a_copy_opened_by_url_links_the_same_as_the_folder(top, tmp_path):
    from _http_server import GOOD, PASSWORD, USER, DatasetServer

    ds = cxrkit.open_dataset(top / "mimic-cxr" / "2.1.0")
    local = cxrkit.mimic_iv.link_studies(ds, open_mimic_iv(top))
    with (
        DatasetServer(top / "mimiciv" / MIMIC_IV_RELEASE, credentials=(USER, PASSWORD)) as hosp,
        DatasetServer(top / "mimic-iv-ed" / "2.2", credentials=(USER, PASSWORD)) as ed,
    ):
        remote = open_mimic_iv(hosp.url, ed_root=ed.url, cache_dir=tmp_path / "cache", storage_options=GOOD)
        assert sorted(remote.table_files) == ["admissions", "edstays", "icustays", "patients"]
        assert cxrkit.mimic_iv.link_studies(ds, remote).equals(local)
