"""A full disk, a read-only folder, damaged bytes and odd tables (issue #15): the CLI says which file and what
to do, never a traceback; checksums are checked on demand; a BOM and bad label values are handled."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import shutil
import stat
import subprocess
import sys

import polars as pl

import cxrkit
from cxrkit import cli
from cxrkit.storage import read_sha256sums


@contextlib.contextmanager
def small_filesystem(where, *, size="256k", read_only=False):
    """A real tmpfs of ``size`` (mounted when the tests run as root, as on CI); else ``None``: the caller
    then makes the same fault by patching the write."""
    where.mkdir()
    opts = f"size={size}" + (",ro" if read_only else "")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(where)], capture_output=True, check=False
    )
    if done.returncode != 0:
        yield None
        return
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _fail_writes(monkeypatch, errno_, message):
    import os

    real = os.open

    def refuse(path, flags, *args, **kwargs):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise OSError(errno_, message, os.fspath(path))
        return real(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)


def _no_traceback(err):
    assert "Traceback" not in err and 'File "' not in err, err


def test_download_into_a_full_disk_names_the_file_and_says_what_to_do(
    demo_projects, tmp_path, capsys, monkeypatch
):
    import errno

    with small_filesystem(tmp_path / "full") as full:
        dest = (full or tmp_path / "full") / "subset"
        if full is None:
            _fail_writes(monkeypatch, errno.ENOSPC, "No space left on device")
        rc = cli.main(["download", str(demo_projects), str(dest), "--subject", "10000032", "--no-progress"])
        err = capsys.readouterr().err
    assert rc == 1
    _no_traceback(err)
    assert "No space left on device" in err and "free space" in err
    assert str(dest) in err  # which file (or folder) it could not write


def test_demo_into_a_read_only_folder_is_one_line(tmp_path, capsys, monkeypatch):
    import errno

    with small_filesystem(tmp_path / "ro", size="64k", read_only=True) as ro:
        if ro is None:
            _fail_writes(monkeypatch, errno.EROFS, "Read-only file system")
        dest = (ro or tmp_path / "ro") / "demo"
        rc = cli.main(["demo", str(dest), "--subjects", "2"])
        err = capsys.readouterr().err
    assert rc == 1
    _no_traceback(err)
    assert "Read-only file system" in err and "choose another folder" in err


def test_debug_shows_the_traceback(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    quiet = subprocess.run(
        [sys.executable, "-m", "cxrkit", "demo", str(tmp_path / "file" / "x"), "--subjects", "2"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert quiet.returncode == 1
    _no_traceback(quiet.stderr)
    loud = subprocess.run(
        [sys.executable, "-m", "cxrkit", "--debug", "demo", str(tmp_path / "file" / "x"), "--subjects", "2"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert loud.returncode != 0 and "Traceback" in loud.stderr


def test_validate_csv_is_written_on_a_clean_copy(demo_projects, tmp_path, capsys):
    out = tmp_path / "findings.csv"
    assert cli.main(["validate", str(demo_projects), "--csv", str(out)]) == 0
    assert out.is_file()
    written = pl.read_csv(out)
    assert written.height == 0 and written.columns == list(cxrkit.validate.FINDING_SCHEMA)
    assert "header only" in capsys.readouterr().out


def test_checksums_find_a_damaged_file_and_summarise_absent_ones(demo_projects, tmp_path, capsys):
    shutil.copytree(demo_projects, tmp_path / "d")
    root = tmp_path / "d" / "mimic-cxr" / "2.1.0"
    sums = read_sha256sums(root / "SHA256SUMS.txt")
    images = sorted(r for r in sums if r.endswith(".dcm"))
    damaged, gone = root / images[0], root / images[1]
    data = bytearray(damaged.read_bytes())
    data[-10] ^= 0xFF  # same size: no other check sees it
    damaged.write_bytes(bytes(data))
    gone.unlink()
    ds = cxrkit.open_dataset(tmp_path / "d", cache_dir=tmp_path / "cache")
    assert ds.validate().filter(pl.col("check") == "checksum_mismatch").height == 0  # only on demand
    found = ds.validate(checksums=True, progress=False)
    bad = found.filter(pl.col("check") == "checksum_mismatch")
    assert bad["path"].to_list() == [images[0]]
    assert bad["dicom_id"].to_list() == [damaged.name.removesuffix(".dcm")]
    partial = found.filter(pl.col("check") == "checksums_partial")
    assert partial.height == 1 and partial["detail"][0].startswith("mimic-cxr: 1 of the")
    jpg = tmp_path / "d" / "mimic-cxr-jpg" / "2.1.0"
    for rel, digest in read_sha256sums(jpg / "SHA256SUMS.txt").items():  # the other project was checked too
        if (jpg / rel).is_file():
            assert hashlib.sha256((jpg / rel).read_bytes()).hexdigest() == digest
    assert cli.main(["validate", str(tmp_path / "d"), "--checksums", "--no-progress"]) == 1
    assert "checksum_mismatch: 1" in capsys.readouterr().out


def test_a_copy_without_sha256sums_says_so(demo_projects, tmp_path):
    shutil.copytree(demo_projects / "mimic-cxr" / "2.1.0", tmp_path / "d")
    (tmp_path / "d" / "SHA256SUMS.txt").unlink()
    found = cxrkit.open_dataset(tmp_path / "d").validate(checksums=True, progress=False)
    assert found["check"].to_list() == ["no_checksums"]


def test_a_byte_order_mark_on_a_table_header_is_read(demo_projects, tmp_path):
    shutil.copytree(demo_projects / "mimic-cxr" / "2.1.0", tmp_path / "d")
    path = tmp_path / "d" / "cxr-record-list.csv.gz"
    plain = cxrkit.open_dataset(demo_projects / "mimic-cxr" / "2.1.0").records().collect()
    path.write_bytes(gzip.compress(b"\xef\xbb\xbf" + gzip.decompress(path.read_bytes())))
    ds = cxrkit.open_dataset(tmp_path / "d", cache_dir=tmp_path / "cache")
    assert ds.records().collect().equals(plain)
    assert ds.validate().height == 0


def test_label_values_outside_one_zero_minus_one_are_errors(demo_projects, tmp_path):
    shutil.copytree(demo_projects, tmp_path / "d")
    path = tmp_path / "d" / "mimic-cxr-jpg" / "2.1.0" / "mimic-cxr-2.0.0-chexpert.csv.gz"
    lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")
    row[header.index("Edema")] = "2.0"
    lines[1] = ",".join(row)
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    found = cxrkit.open_dataset(tmp_path / "d", cache_dir=tmp_path / "cache").validate()
    bad = found.filter(pl.col("check") == "bad_label_value")
    assert bad.height == 1 and bad["severity"][0] == "error"
    assert bad["study_id"][0] == int(row[header.index("study_id")]) and "Edema = 2.0" in bad["detail"][0]


def test_the_cache_folder_and_its_files_are_private(demo_projects, tmp_path):
    cache = tmp_path / "new-cache"
    ds = cxrkit.open_dataset(demo_projects, cache_dir=cache)
    ds.records().collect()
    ds.sections(progress=False).collect()
    cxrkit.reports.wait_for_cache_writes()
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    files = [p for p in cache.rglob("*") if p.is_file()]
    assert files and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files), [
        (p, oct(p.stat().st_mode)) for p in files if stat.S_IMODE(p.stat().st_mode) != 0o600
    ]


def test_files_mirrored_from_a_url_are_private_like_the_rest_of_the_cache(srv, tmp_path):
    from _http_server import GOOD

    cache = tmp_path / "new-cache"
    ds = cxrkit.open_dataset(srv.url, storage_options=GOOD, cache_dir=cache)
    rel = ds.records().sort("study_id").collect()["path"][0]
    local = ds.local_file(rel)
    assert local.is_file() and cache in local.parents
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert stat.S_IMODE(local.stat().st_mode) == 0o600  # was 0644, while the parquet copies were 0600


def test_a_read_only_cache_warns_and_every_side_still_answers(demo_projects, tmp_path, monkeypatch):
    import errno
    import warnings

    from cxrkit import images
    from cxrkit.storage import Cache

    with small_filesystem(tmp_path / "ro", size="64k", read_only=True) as ro:
        if ro is None:  # not root: the same refusal, made by the cache's writer
            monkeypatch.setattr(
                Cache,
                "ensure",
                lambda self: (_ for _ in ()).throw(OSError(errno.EROFS, "Read-only file system")),
            )
        cache = (ro or tmp_path / "ro") / "cache"
        ds = cxrkit.open_dataset(demo_projects, cache_dir=cache)
        paths = ds.image_files()["file"].head(2).to_list()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert ds.records().collect().height > 0
            assert ds.sections(progress=False).collect().height == ds.studies().collect().height
            assert images.header_table(paths, progress=False, executor="serial").height == 2
            assert images.pixel_stats(paths, progress=False, executor="serial")["error"].is_null().all()
            cxrkit.reports.wait_for_cache_writes()
        texts = [str(w.message) for w in caught]
        assert texts and all("Read-only file system" in t or "read-only" in t.lower() for t in texts), texts
