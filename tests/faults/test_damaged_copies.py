"""Faults of real copies (issue #15): a damaged download is fetched again, a cut table is a finding, remote
header scans share no temporary file, remote paths stay inside the opened prefix."""

from __future__ import annotations

import gzip
import hashlib
import shutil
import subprocess
import sys
import warnings

import polars as pl
import pytest

import cxrkit
from cxrkit.storage import read_sha256sums


@pytest.fixture
def subset(demo_projects, tmp_path):
    ds = cxrkit.open_dataset(demo_projects)
    picked = ds.records().sort("study_id").head(3).collect()
    dest = ds.download(picked, tmp_path / "subset", progress=False)
    return ds, picked, dest


def test_a_second_download_replaces_damaged_and_cut_files(subset):
    ds, picked, dest = subset
    files = sorted((dest / "files").rglob("*.dcm"))
    assert len(files) >= 2
    good = {p: p.read_bytes() for p in files}
    damaged, cut = files[0], files[1]
    data = bytearray(good[damaged])
    data[-100] ^= 0xFF  # same size, one byte flipped
    damaged.write_bytes(bytes(data))
    cut.write_bytes(good[cut][: len(good[cut]) // 2])
    ds.download(picked, dest, progress=False)
    assert damaged.read_bytes() == good[damaged] and cut.read_bytes() == good[cut]
    for rel, digest in read_sha256sums(dest / "SHA256SUMS.txt").items():  # sha256sum -c would pass
        assert hashlib.sha256((dest / rel).read_bytes()).hexdigest() == digest, rel


def test_sha256sums_never_lists_a_digest_of_bytes_that_are_not_on_disk(subset):
    ds, _, dest = subset
    report = min((dest / "files").rglob("*.txt"))
    report.write_text(" damaged since\n")  # a file of the earlier download, not part of the next one
    others = ds.records().sort("study_id").slice(3, 1).collect()
    ds.download(others, dest, progress=False)
    sums = read_sha256sums(dest / "SHA256SUMS.txt")
    rel = report.relative_to(dest).as_posix()
    assert sums[rel] == hashlib.sha256(report.read_bytes()).hexdigest()


@pytest.mark.parametrize("damage", ["cut", "trailing-garbage"])
def test_a_damaged_table_is_a_finding_in_validate_and_the_cli(demo_projects, tmp_path, damage):
    shutil.copytree(demo_projects, tmp_path / "d")
    path = tmp_path / "d" / "mimic-cxr-jpg" / "2.1.0" / "mimic-cxr-2.0.0-metadata.csv.gz"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] if damage == "cut" else data + b"not gzip")
    findings = cxrkit.open_dataset(tmp_path / "d").validate()
    row = findings.filter(pl.col("check") == "unreadable_table")
    assert row.height == 1 and "metadata.csv.gz" in row["detail"][0] and "re-download" in row["detail"][0]
    out = subprocess.run(
        [sys.executable, "-m", "cxrkit", "validate", str(tmp_path / "d")],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert out.returncode == 1 and "Traceback" not in out.stderr and "unreadable_table" in out.stdout


def test_an_intact_table_with_a_gzip_member_appended_still_reads(tmp_path):
    from cxrkit import tables

    path = tmp_path / "mimic-cxr-2.0.0-split.csv.gz"
    path.write_bytes(gzip.compress(b"dicom_id,study_id,subject_id,split\n") + gzip.compress(b""))
    assert tables.load_table(path, "split").collect().height == 0


def test_concurrent_remote_header_scans_do_not_race(server, tmp_path):
    """Two scans of the same URL at once, each from its own dataset and cache: both complete, equal."""
    from concurrent.futures import ThreadPoolExecutor

    from _http_server import PASSWORD, USER

    from cxrkit import images

    options = {"username": USER, "password": PASSWORD}

    def scan(i: int) -> pl.DataFrame:
        ds = cxrkit.open_dataset(server.url, storage_options=options, cache_dir=tmp_path / f"cache{i}")
        return images.header_table(ds, progress=False).drop("path")

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(scan, range(4)))
    assert all(r.height == 14 and r["error"].null_count() == 14 for r in results)
    assert all(r.equals(results[0]) for r in results)


@pytest.mark.parametrize("path", ["files/%2e%2e/%2e%2e/secret", "files/..%2f..%2fsecret", "%2fetc/passwd"])
def test_a_remote_path_cannot_leave_the_opened_prefix(server, path):
    from _http_server import PASSWORD, USER

    from cxrkit.errors import CxrkitError

    ds = cxrkit.open_dataset(server.url, storage_options={"username": USER, "password": PASSWORD})
    server.clear()
    with pytest.raises(CxrkitError, match="not a file path inside the dataset"):
        ds.local_file(path)
    assert server.hits == [], "nothing was asked of the server"


def test_a_swapped_file_with_the_same_size_and_mtime_is_not_answered_from_the_cache(demo_projects, tmp_path):
    """cp -p of another file of the same size keeps size and mtime: the cached header must not survive it."""
    import os

    from cxrkit import images

    files = sorted((demo_projects / "mimic-cxr" / "2.1.0" / "files").rglob("*.dcm"))
    by_size: dict[int, list] = {}
    for f in files:
        by_size.setdefault(f.stat().st_size, []).append(f)

    def fields(path):
        return {
            k: v
            for k, v in images.read_header(path).items()
            if k not in ("subject_id", "study_id", "dicom_id")
        }

    a, b = next((x, y) for g in by_size.values() for x in g for y in g if fields(x) != fields(y))
    target = tmp_path / "p10" / "p10000032" / "s50414267" / a.name
    target.parent.mkdir(parents=True)
    shutil.copy2(a, target)
    first = images.header_table([target], cache=tmp_path / "cache", progress=False)
    st = target.stat()
    swapped = target.with_name("swap.tmp")
    shutil.copy2(b, swapped)
    os.utime(swapped, ns=(st.st_atime_ns, st.st_mtime_ns))
    swapped.replace(target)
    assert target.stat().st_size == st.st_size and target.stat().st_mtime_ns == st.st_mtime_ns
    again = images.header_table([target], cache=tmp_path / "cache", progress=False)
    fresh = images.header_table([target], cache=False, progress=False)
    assert again.drop("path").equals(fresh.drop("path"))
    assert not fresh.drop("path").equals(first.drop("path")), "the swap changed the header"
    assert first["dicom_id"].equals(again["dicom_id"])  # ids come from the path, the rest from the bytes


def test_kwic_on_one_very_long_report_gives_every_hit_with_its_context():
    """A 10 MB report (issue #15 measured 524 s on it): every hit, each context exactly the text around it."""
    from cxrkit import text

    unit = "No effusion. Stable heart, small effusion on the left; "
    body = unit * 200_000
    found = text.kwic(pl.DataFrame({"study_id": [1], "text": [body]}), "effusion", width=12)
    assert found.height == 400_000
    assert found.row(0) == (1, "No", "effusion", ". Stable hea")
    assert found.row(1) == (1, "eart, small", "effusion", "on the left")  # 12 characters each side, stripped
    assert found.row(2) == (1, "he left; No", "effusion", ". Stable hea")  # across the repeated sentence
    assert found.row(-1) == found.row(1)


def test_a_row_with_too_few_fields_is_a_finding_with_words_and_nothing_else_breaks(demo_projects, tmp_path):
    from cxrkit.widgets import StudyBrowser

    shutil.copytree(demo_projects, tmp_path / "d")
    path = tmp_path / "d" / "mimic-cxr" / "2.1.0" / "cxr-record-list.csv.gz"
    lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    lines[2] = ",".join(lines[2].split(",")[:2])  # subject_id, study_id and nothing more
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    ds = cxrkit.open_dataset(tmp_path / "d")
    findings = ds.validate()
    assert findings["detail"].null_count() == 0
    assert findings.filter(pl.col("check") == "malformed_id").height == 1
    StudyBrowser(ds)  # constructs, whichever study comes first


def test_a_full_cache_warns_once_and_the_image_side_still_answers(demo_projects, tmp_path, monkeypatch):
    """ENOSPC on every cache write: header_table, pixel_stats, thumbnail and the browser keep their
    results."""
    import contextlib
    import errno

    from cxrkit import images
    from cxrkit.storage import Cache
    from cxrkit.widgets import StudyBrowser

    @contextlib.contextmanager
    def full(self, final):
        raise OSError(errno.ENOSPC, "No space left on device", str(final))
        yield  # pragma: no cover

    ds = cxrkit.open_dataset(demo_projects, cache_dir=tmp_path / "cache")
    ds.records().collect()  # tables cached before the disk fills up
    paths = ds.image_files()["file"].head(3).to_list()
    monkeypatch.setattr(Cache, "atomic_path", full)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        headers = images.header_table(paths, cache=ds.cache, progress=False, executor="serial")
        again = images.header_table(paths, cache=ds.cache, progress=False, executor="serial")
        stats = images.pixel_stats(paths, cache=ds.cache, progress=False, executor="serial")
        png = images.thumbnail(paths[0], size=64, cache=ds.cache)
        StudyBrowser(ds)
    assert headers.height == again.height == stats.height == 3 and headers["error"].null_count() == 3
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    kept = [str(w.message) for w in caught if str(w.message).startswith("could not keep")]
    assert any("No space left" in m for m in kept)
    assert len([m for m in kept if "headers" in m]) == 1, "warned once, not on every call"
