"""The cxrkit command: demo, info, validate, help; run as a real subprocess where exit codes matter."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys

import pytest

from cxrkit.cli import main


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cxrkit", *args],
        check=False,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


def test_help_explains_commands():
    out = run("--help")
    assert out.returncode == 0
    for word in ("demo", "info", "validate", "ROOT", "CXRKIT_ROOT"):
        assert word in out.stdout
    sub = run("validate", "--help")
    assert "exits 1" in sub.stdout


def test_demo_makes_a_dataset(tmp_path):
    dest = tmp_path / "d"
    assert main(["demo", str(dest), "--subjects", "3", "--flavor", "jpg", "--no-labels"]) == 0
    assert (dest / "IMAGE_FILENAMES").exists() and not list(dest.glob("*chexpert*"))
    assert main(["demo", str(dest), "--subjects", "3"]) == 1, "refuses to overwrite"


def test_info_on_demo(demo_dicom):
    out = run("info", str(demo_dicom))
    assert out.returncode == 0, out.stderr
    assert "flavour:  dicom (.dcm images)" in out.stdout
    assert "(complete)" in out.stdout and "patients" in out.stdout


def test_validate_clean_and_broken(demo_dicom, tmp_path):
    clean = run("validate", str(demo_dicom))
    assert clean.returncode == 0 and "clean: no findings" in clean.stdout
    copy = tmp_path / "copy"
    shutil.copytree(demo_dicom, copy)
    victim = next((copy / "files").rglob("*.dcm"))
    victim.unlink()
    report = next((copy / "files").rglob("*.txt"))
    report.unlink()
    broken = run("validate", str(copy), "--csv", str(tmp_path / "findings.csv"))
    assert broken.returncode == 1
    assert "missing_image: 1" in broken.stdout and "missing_report: 1" in broken.stdout
    assert victim.name in broken.stdout
    assert (tmp_path / "findings.csv").exists()
    inside = run("validate", str(copy), "--csv", str(copy / "x.csv"))
    assert inside.returncode == 2 and not (copy / "x.csv").exists()


def test_bad_root_is_a_message_not_a_traceback(tmp_path):
    out = run("info", str(tmp_path))
    assert out.returncode == 1
    assert "does not look like a MIMIC-CXR copy" in out.stderr and "Traceback" not in out.stderr


def test_corrupt_table_is_a_message_not_a_traceback(demo_dicom, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(demo_dicom, copy)
    (copy / "cxr-record-list.csv.gz").write_bytes(gzip.compress(b"subject_id,study_id\n1,2\n"))
    out = run("info", str(copy))
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "cxr-record-list.csv.gz" in out.stderr and "dicom_id" in out.stderr


@pytest.mark.parametrize("argv", [["demo", "--subjects", "3"]])
def test_demo_options_need_dest(argv, capsys):
    assert main(argv) == 2
