"""Manifests: round trips through CSV and parquet, their lists, sizes and checksums, version checks, and a
manifest reopened on a partial copy saying what is missing."""

from __future__ import annotations

import hashlib
import json

import polars as pl
import pytest

from cxrkit import layout
from cxrkit.cohorts import MANIFEST_VERSION, TYPICAL_SIZES, Cohort, read_manifest
from cxrkit.errors import ManifestError
from cxrkit.storage import read_sha256sums


@pytest.fixture(scope="module")
def cohort(ds):
    return ds.cohort().view("frontal").split("train")


@pytest.mark.parametrize("name", ["c.csv", "c.csv.gz", "c.parquet"])
def test_round_trip(ds, cohort, tmp_path, name):
    info = cohort.manifest(tmp_path / name)
    back = read_manifest(info.table)
    ids = ["subject_id", "study_id", "dicom_id"]
    assert back.images.select(ids).sort(ids).rows() == cohort.images().select(ids).sort(ids).rows()
    assert back.meta["version"] == MANIFEST_VERSION and back.meta["counts"]["images"] == len(cohort)
    reopened = Cohort.from_manifest(ds, info.table)
    assert reopened.missing.height == 0
    assert [r.name for r in reopened.steps] == ["start", "view", "split", "from manifest"]
    assert reopened.steps[-1].images == len(cohort) and reopened.steps[-1].excluded_images == 0
    assert reopened.images().equals(cohort.images())


def test_paths_sizes_and_checksums_are_this_copys(ds, cohort, tmp_path):
    info = cohort.manifest(tmp_path / "m.csv")
    frame = read_manifest(info.table).images
    cxr, jpg = ds.sources[layout.CXR_PROJECT], ds.sources[layout.JPG_PROJECT]
    sums = read_sha256sums(cxr.root / layout.SHA256SUMS) | read_sha256sums(jpg.root / layout.SHA256SUMS)
    for row in frame.head(5).iter_rows(named=True):
        dicom = cxr.root / row["dicom_path"]
        assert row["dicom_size"] == dicom.stat().st_size
        assert (
            row["dicom_sha256"] == sums[row["dicom_path"]] == hashlib.sha256(dicom.read_bytes()).hexdigest()
        )
        assert row["jpg_size"] == (jpg.root / row["jpg_path"]).stat().st_size
        assert row["report_sha256"] == sums[row["report_path"]]
    files = frame.unique("dicom_path")["dicom_size"].sum() + frame.unique("jpg_path")["jpg_size"].sum()
    assert info.total_bytes == files + frame.unique("report_path")["report_size"].sum()
    assert "sizes from this copy" in info.size_basis


def test_download_lists(ds, cohort, tmp_path):
    info = cohort.manifest(tmp_path / "m.csv")
    frame = read_manifest(info.table).images
    release = ds.sources[layout.CXR_PROJECT].root.name
    wget = (tmp_path / "m.mimic-cxr.wget.txt").read_text().splitlines()
    tables = [p.name for n, p in ds.table_files.items() if layout.TABLE_PROJECT[n] == layout.CXR_PROJECT]
    assert len(wget) == frame.height + frame["report_path"].n_unique() + len(tables)
    assert wget[0] == layout.physionet_url(layout.CXR_PROJECT, release, frame["dicom_path"][0])
    gsutil = (tmp_path / "m.mimic-cxr-jpg.gsutil.txt").read_text().splitlines()
    assert all(u.startswith("gs://mimic-cxr-jpg-") and u.count(".physionet.org/") == 1 for u in gsutil)
    assert {u.rsplit("/", 1)[-1] for u in gsutil} >= {p.rsplit("/", 1)[-1] for p in frame["jpg_path"]}
    s5 = (tmp_path / "m.mimic-cxr.s5cmd.txt").read_text().splitlines()
    src, dest = s5[0].split()[1:]
    assert src.startswith("s3://mimic-cxr-") and dest.endswith(src.split(".physionet.org/", 1)[1])


def test_the_size_is_estimated_from_typical_sizes_without_files(tmp_path):
    import cxrkit
    from cxrkit.demo import make_demo

    ds = cxrkit.open_dataset(make_demo(tmp_path / "d", images=False, subjects=4), cache_dir=tmp_path / "c")
    cohort = ds.cohort()
    info = cohort.manifest(tmp_path / "m.parquet")
    n = len(cohort)
    reports = read_manifest(info.table).images.unique("report_path")["report_size"].sum()
    assert info.total_bytes == n * (TYPICAL_SIZES["dicom"] + TYPICAL_SIZES["jpg"]) + reports
    assert "typical size 12,500,000 B each" in info.size_basis


def _edit(meta_path, **changes):
    meta = json.loads(meta_path.read_text())
    meta.update(changes)
    meta_path.write_text(json.dumps(meta))


def test_a_newer_or_foreign_manifest_is_refused(ds, cohort, tmp_path):
    info = cohort.manifest(tmp_path / "m.csv")
    _edit(info.meta, version=MANIFEST_VERSION + 1, kit="9.0")
    with pytest.raises(ManifestError, match=r"newer cxrkit \(kit 9.0.*Upgrade"):
        read_manifest(info.table)
    _edit(info.meta, version=MANIFEST_VERSION, dataset="MIMIC-IV-ECG")
    with pytest.raises(ManifestError, match="manifest of 'MIMIC-IV-ECG', not MIMIC-CXR"):
        read_manifest(info.meta)
    _edit(info.meta, dataset="MIMIC-CXR", steps=[{"index": 0, "name": "start"}])
    with pytest.raises(ManifestError, match="recorded steps are not those of a cohort"):
        Cohort.from_manifest(ds, info.table)
    info.meta.write_text("[1, 2]")
    with pytest.raises(ManifestError, match="not a cxrkit cohort manifest"):
        read_manifest(info.table)
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    with pytest.raises(ManifestError, match="missing column"):
        read_manifest(other)
    with pytest.raises(ManifestError, match="suffix"):
        cohort.manifest(tmp_path / "m.xlsx")


def test_a_parquet_manifest_carries_its_own_version(cohort, tmp_path):
    info = cohort.manifest(tmp_path / "m.parquet")
    info.meta.unlink()
    assert read_manifest(info.table).meta["version"] == MANIFEST_VERSION
    frame = pl.read_parquet(info.table)
    meta = json.dumps(
        {"format": "cxrkit-cohort-manifest", "version": MANIFEST_VERSION + 5, "dataset": "MIMIC-CXR"}
    )
    frame.write_parquet(info.table, metadata={"cxrkit-cohort-manifest": meta})
    with pytest.raises(ManifestError, match="newer cxrkit"):
        read_manifest(info.table)


def test_reopened_on_a_partial_copy_it_says_what_is_missing(ds, cohort, tmp_path):
    import cxrkit

    info = cohort.manifest(tmp_path / "m.csv")
    part = cohort.one_per_patient()
    dest = part.download(tmp_path / "part", progress=False)
    sub = cxrkit.open_dataset(dest, cache_dir=tmp_path / "c")
    assert sorted(sub.records().collect()["dicom_id"]) == sorted(part.images()["dicom_id"])
    gone = min((dest / "files").rglob("*.dcm"))
    gone.unlink()
    sub = cxrkit.open_dataset(dest, cache_dir=tmp_path / "c")
    reopened = Cohort.from_manifest(sub, info.table)
    reasons = dict(reopened.missing.group_by("reason").len().rows())
    assert reasons["not listed in this copy"] == len(cohort) - len(part)
    assert reasons["listed, but its dicom file is not on disk"] == 1
    assert gone.stem in reopened.missing["dicom_id"].to_list()
    assert reopened.steps[-1].images == len(part)
    assert reopened.steps[-1].excluded_images == len(cohort) - len(part)
