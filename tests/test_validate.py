"""Validation finds exactly what is wrong with a copy, summarises partial downloads, and is empty when
clean."""

from __future__ import annotations

import gzip
import shutil

import polars as pl
import pytest

from cxrkit import layout, validate
from cxrkit.dataset import open_dataset


@pytest.fixture
def copy(demo_dicom, tmp_path):
    dest = tmp_path / "copy"
    shutil.copytree(demo_dicom, dest)
    return dest


def rewrite_gz(path, edit) -> None:
    lines = gzip.decompress(path.read_bytes()).decode().splitlines(keepends=True)
    path.write_bytes(gzip.compress("".join(edit(lines)).encode(), mtime=0))


def checks(findings: pl.DataFrame) -> list[tuple[str, str]]:
    return sorted(set(zip(findings["check"], findings["severity"])))


def test_clean_demo_has_no_findings(demo_dicom, demo_gz, demo_jpg):
    for root in (demo_dicom, demo_gz, demo_jpg):
        findings = open_dataset(root).validate()
        assert findings.schema == pl.Schema(validate.FINDING_SCHEMA)
        assert findings.height == 0, findings


def test_removed_file_row_and_report_are_reported_exactly(copy):
    ds = open_dataset(copy)
    recs = ds.records().collect().sort("dicom_id")
    studies = ds.studies().collect()
    multi = recs.group_by("study_id").len().filter(pl.col("len") >= 2)["study_id"].sort()
    # 1. an image file deleted
    gone = recs.filter(pl.col("study_id") == multi[0]).row(0, named=True)
    (copy / gone["path"]).unlink()
    # 2. a record row removed (its file stays on disk)
    dropped = recs.filter(pl.col("study_id") == multi[1]).row(0, named=True)
    rewrite_gz(copy / "cxr-record-list.csv.gz", lambda ls: [ln for ln in ls if dropped["dicom_id"] not in ln])
    # 3. a report deleted
    lost = studies.filter(~pl.col("study_id").is_in(multi[:2].to_list())).row(0, named=True)
    (copy / lost["path"]).unlink()

    findings = open_dataset(copy).validate()
    assert checks(findings) == sorted(
        [
            ("missing_image", "error"),
            ("missing_report", "error"),
            ("metadata_without_record", "warning"),  # metadata and split still name the dropped image
            ("split_without_record", "warning"),
            ("unlisted_image", "warning"),
        ]
    )
    by = {c: findings.filter(pl.col("check") == c) for c in findings["check"].unique()}
    assert by["missing_image"]["dicom_id"].to_list() == [gone["dicom_id"]]
    assert by["missing_image"]["path"].to_list() == [gone["path"]]
    assert by["unlisted_image"]["dicom_id"].to_list() == [dropped["dicom_id"]]
    assert by["missing_report"]["study_id"].to_list() == [lost["study_id"]]
    assert by["missing_report"]["path"].to_list() == [lost["path"]]
    assert all(by[c].height == 1 for c in by)


def test_malformed_ids_bad_paths_duplicates_and_two_patients(copy):
    ds = open_dataset(copy)
    recs = ds.records().collect()
    first, second = (
        recs.row(0, named=True),
        recs.filter(pl.col("subject_id") != recs["subject_id"][0]).row(0, named=True),
    )

    def edit(lines):
        out = list(lines)
        out.append(lines[1])  # duplicate row
        out.append(
            f"2000000,{first['study_id']},{first['dicom_id'][:-1]}x,{first['path']}\n"
        )  # malformed ids
        wrong = layout.image_path(first["subject_id"], first["study_id"], second["dicom_id"])
        out = [
            ln.replace(f",{second['path']}", f",{wrong}") if second["dicom_id"] in ln else ln for ln in out
        ]
        return out

    rewrite_gz(copy / "cxr-record-list.csv.gz", edit)
    # the same study also filed under another patient in the study list
    rewrite_gz(
        copy / "cxr-study-list.csv.gz",
        lambda ls: (
            ls
            + [
                (
                    f"{second['subject_id']},{first['study_id']},"
                    f"{layout.report_path(second['subject_id'], first['study_id'])}\n"
                )
            ]
        ),
    )
    findings = open_dataset(copy).validate()
    found = dict(checks(findings))
    assert found["malformed_id"] == "error"
    bad = findings.filter(pl.col("check") == "malformed_id")
    assert set(bad["detail"].str.extract(r"(subject_id|dicom_id)").to_list()) == {"subject_id", "dicom_id"}
    assert bad["detail"].str.contains("cxr-record-list|records line").all()
    assert found["path_mismatch"] == "error"
    assert findings.filter(pl.col("check") == "path_mismatch")["dicom_id"].to_list() == [second["dicom_id"]]
    assert found["duplicate_row"] == "warning"
    assert found["study_under_two_patients"] == "error"
    assert set(findings.filter(pl.col("check") == "study_under_two_patients")["subject_id"]) == {
        first["subject_id"],
        second["subject_id"],
    }


def test_links_between_lists(copy):
    ds = open_dataset(copy)
    studies = ds.studies().collect()
    victim = studies.row(0, named=True)
    rewrite_gz(
        copy / "cxr-study-list.csv.gz", lambda ls: [ln for ln in ls if f",{victim['study_id']}," not in ln]
    )
    rewrite_gz(
        copy / "cxr-study-list.csv.gz",
        lambda ls: ls + [f"19999999,59999999,{layout.report_path(19999999, 59999999)}\n"],
    )
    findings = open_dataset(copy).validate()
    rws = findings.filter(pl.col("check") == "record_without_study")
    assert rws["study_id"].to_list() == [victim["study_id"]]
    swr = findings.filter(pl.col("check") == "study_without_records")
    assert swr["study_id"].to_list() == [59999999]
    rws_report = findings.filter(pl.col("check") == "report_without_study")
    assert rws_report["study_id"].to_list() == [victim["study_id"]]


def test_partial_download_is_summarised_per_group_and_patient(copy):
    ds = open_dataset(copy)
    recs = ds.records().collect()
    groups = sorted({p.split("/")[1] for p in recs["path"]})
    assert len(groups) >= 2
    shutil.rmtree(copy / "files" / groups[0])
    per_group = (
        recs.filter(~pl.col("path").str.starts_with(f"files/{groups[0]}/"))
        .group_by(pl.col("path").str.split("/").list.get(1).alias("g"))
        .agg(pl.col("subject_id").unique().sort())
        .filter(pl.col("subject_id").list.len() >= 2)
    )
    assert per_group.height, "the demo has a group with several patients"
    subjects = per_group["subject_id"][0]
    shutil.rmtree(copy / layout.subject_dir(subjects[0]))
    findings = open_dataset(copy).validate()
    assert checks(findings) == [("group_not_downloaded", "info"), ("patient_not_downloaded", "info")]
    group_row = findings.filter(pl.col("check") == "group_not_downloaded").row(0, named=True)
    n_images = recs.filter(pl.col("path").str.starts_with(f"files/{groups[0]}/")).height
    assert group_row["path"] == f"files/{groups[0]}" and f"{n_images} images" in group_row["detail"]
    pat = findings.filter(pl.col("check") == "patient_not_downloaded")
    assert pat["subject_id"].to_list() == [subjects[0]]


def test_a_tree_without_any_images_gives_one_row(copy):
    n_images = open_dataset(copy).records().collect().height
    for image in (copy / "files").rglob("*.dcm"):  # tables and reports only
        image.unlink()
    findings = open_dataset(copy).validate()
    assert checks(findings) == [("no_images_on_disk", "info")]
    assert f"the {n_images:,} listed images are not downloaded" in findings["detail"][0]


def test_a_tree_without_any_reports_gives_one_row(demo_dicom, tmp_path):
    copy = tmp_path / "no-txt"
    shutil.copytree(demo_dicom, copy, ignore=shutil.ignore_patterns("*.txt"))  # images and the reports zip
    n_studies = open_dataset(copy).studies().collect().height
    findings = open_dataset(copy).validate()
    assert checks(findings) == [("no_reports_on_disk", "info")]
    assert (
        f"the {n_studies:,} listed studies (they are read from mimic-cxr-reports.zip)"
        in findings["detail"][0]
    )
    (copy / "mimic-cxr-reports.zip").unlink()
    assert "they ship with MIMIC-CXR" in open_dataset(copy).validate()["detail"][0]


def test_stray_files_and_unreadable_table(copy):
    (copy / "files" / "p10").mkdir(exist_ok=True)
    (copy / "files" / "p10" / "notes.txt").write_text("mine")
    table = copy / "mimic-cxr-2.0.0-split.csv.gz"
    table.write_bytes(table.read_bytes()[:40])
    findings = open_dataset(copy).validate()
    assert ("unexpected_file", "warning") in checks(findings)
    unreadable = findings.filter(pl.col("check") == "unreadable_table")
    assert unreadable.height == 1 and str(table) in unreadable["detail"][0]
    assert findings["severity"][0] == "error", "errors come first"
