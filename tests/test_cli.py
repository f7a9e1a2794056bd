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
    jpg = dest / "mimic-cxr-jpg" / "2.1.0"  # the JPG project alone
    assert (jpg / "IMAGE_FILENAMES").exists() and not list(jpg.glob("*chexpert*"))
    assert not (dest / "mimic-cxr").exists()
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


def test_cxrkit_alone_or_with_a_bogus_option_lists_the_commands():
    for args in ((), ("--bogus",)):
        out = run(*args)
        assert out.returncode == 2 and "Traceback" not in out.stderr
        assert all(word in out.stderr for word in ("demo", "info", "validate", "download")), args
    assert "unknown option(s): --bogus" in run("--bogus").stderr


def test_a_bogus_option_of_a_command_shows_that_commands_usage():
    out = run("info", "--bogus")
    assert out.returncode == 2 and "usage: cxrkit info" in out.stderr and "--jpg-root" in out.stderr


def test_demo_into_an_existing_folder_names_the_cli_flag(tmp_path, capsys):
    (tmp_path / "d").mkdir()
    assert main(["demo", str(tmp_path / "d"), "--subjects", "2"]) == 1
    err = capsys.readouterr().err
    assert "--overwrite" in err and "overwrite=True" not in err


def test_demo_writes_both_projects_and_info_shows_them(tmp_path, capsys):
    assert main(["demo", str(tmp_path / "d"), "--subjects", "2"]) == 0
    assert (tmp_path / "d/mimic-cxr/2.1.0/cxr-record-list.csv.gz").is_file()
    assert (tmp_path / "d/mimic-cxr-jpg/2.1.0/IMAGE_FILENAMES").is_file()
    capsys.readouterr()
    assert main(["info", str(tmp_path / "d")]) == 0
    out = capsys.readouterr().out
    assert "mimic-cxr/2.1.0" in out and "also:     mimic-cxr-jpg at" in out
    assert main(["demo", str(tmp_path / "s"), "--subjects", "2", "--layout", "single"]) == 0
    assert (tmp_path / "s/cxr-record-list.csv.gz").is_file()


def test_sections_official_writes_the_official_file(demo_dicom, tmp_path, capsys):
    from cxrkit.reports import official_sections, write_sectioned_csv

    out = tmp_path / "mimic_cxr_sectioned.csv"
    assert main(["sections", str(demo_dicom), "--official", "-o", str(out), "--no-progress"]) == 0
    assert "(official parser)" in capsys.readouterr().out
    expected = write_sectioned_csv(official_sections(demo_dicom, cache=False), tmp_path / "expected.csv")
    assert out.read_bytes() == expected.read_bytes()
    assert out.read_bytes().startswith(b"study,impression,findings,last_paragraph,comparison\r\ns5")


def test_sections_without_official_writes_the_kits_sections_in_the_same_shape(demo_dicom, tmp_path, capsys):
    import polars as pl

    from cxrkit.reports import read_sections

    out = tmp_path / "kit.csv"
    assert main(["sections", str(demo_dicom), "-o", str(out), "--no-progress"]) == 0
    assert "(kit's sections)" in capsys.readouterr().out
    written = pl.read_csv(out, infer_schema=False)
    kit = read_sections(demo_dicom, cache=False, progress=False)
    assert written.columns == ["study", "impression", "findings", "last_paragraph", "comparison"]
    assert written.height == kit.height
    assert written["impression"].drop_nulls().len() == kit["impression"].drop_nulls().len()


def test_sections_refuses_to_write_inside_the_dataset(demo_dicom, capsys):
    assert main(["sections", str(demo_dicom), "-o", str(demo_dicom / "x.csv"), "--no-progress"]) == 2
    assert "refusing" in capsys.readouterr().err and not (demo_dicom / "x.csv").exists()
    assert main(["sections", str(demo_dicom), "--order", "listdir", "-o", "/tmp/never.csv"]) == 2


def test_sections_official_conclusions(demo_dicom, tmp_path, capsys):
    from cxrkit.reports import official_conclusions, write_conclusion_csvs

    out, folder = tmp_path / "s.csv", tmp_path / "conclusions"
    argv = [
        "sections",
        str(demo_dicom),
        "--official",
        "-o",
        str(out),
        "--conclusions",
        str(folder),
        "--no-progress",
    ]
    assert main(argv) == 0
    assert "conclusions written" in capsys.readouterr().out
    (expected,) = write_conclusion_csvs(official_conclusions(demo_dicom, cache=False), tmp_path / "expected")
    assert (folder / "mimic_cxr_00.csv").read_bytes() == expected.read_bytes()
    assert main(["sections", str(demo_dicom), "--conclusions", str(folder)]) == 2  # needs --official
