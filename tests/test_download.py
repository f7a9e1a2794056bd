"""Downloading a subset: from a remote copy (a local HTTP server with basic auth and Range requests,
tests/_http_server.py) and from a local copy, resumed, verified, and added up in one folder. Never the
internet."""

from __future__ import annotations

import shutil

import polars as pl
import pytest
from _http_server import GOOD, PASSWORD, USER, DatasetServer, files_under, image_hits

import cxrkit
from cxrkit.errors import RemoteAuthError, RemoteError
from cxrkit.storage import read_sha256sums, sha256_file

pytest.importorskip("fsspec")
pytest.importorskip("aiohttp")


def test_download_a_subset_then_work_locally(srv, demo4, tmp_path):
    ds = cxrkit.open_dataset(srv.url, storage_options=GOOD)
    patient = (
        ds.patients().sort("n_images", "subject_id", descending=[True, False]).collect()["subject_id"][0]
    )
    pa = ds.images().filter((pl.col("subject_id") == patient) & (pl.col("ViewPosition") == "PA")).collect()
    assert pa.height >= 1
    dest = ds.download(pa, tmp_path / "subset", progress=False)
    sub = cxrkit.open_dataset(dest)
    assert not sub.is_remote
    assert sorted(sub.records().collect()["dicom_id"]) == sorted(pa["dicom_id"])
    assert sub.validate().height == 0, sub.validate()
    for rel in pa["path"]:
        assert (dest / rel).read_bytes() == (demo4 / rel).read_bytes()
    for sid, subj in pa.select("study_id", "subject_id").unique().iter_rows():
        assert sub.study(sid).report_text() == cxrkit.open_dataset(demo4).study(sid).report_text()
    sums = read_sha256sums(dest / "SHA256SUMS.txt")
    local_sums = read_sha256sums(demo4 / "SHA256SUMS.txt")
    assert all(sums[rel] == local_sums[rel] for rel in pa["path"])
    assert not list(dest.rglob("*.part"))

    # resume: a cut file is continued from where it stopped, with a Range request for the rest only
    rel = pa["path"][0]
    whole = (dest / rel).read_bytes()
    (dest / rel).unlink()
    (dest / f"{rel}.part").write_bytes(whole[:1000])
    srv.clear()
    ds.download(pa, dest, progress=False)
    assert (dest / rel).read_bytes() == whole and not (dest / f"{rel}.part").exists()
    ranges = [h.range for h in srv.hits if h.path == f"/{rel}" and h.method == "GET"]
    assert ranges and all(r.startswith("bytes=1000-") for r in ranges), ranges
    assert not [h for h in image_hits(srv) if h.path != f"/{rel}" and h.method == "GET"], (
        "complete files kept"
    )


def test_download_with_refused_credentials_leaves_nothing(demo4, tmp_path):
    with DatasetServer(demo4, credentials=(USER, PASSWORD)) as own:
        ds = cxrkit.open_dataset(own.url, storage_options=GOOD)
        ds.records().collect()
        own._server.credentials = (USER, "changed")  # the password changed since the dataset was opened
        with pytest.raises(RemoteAuthError) as info:
            ds.download([ds.records().collect()["study_id"][0]], tmp_path / "subset", progress=False)
        assert PASSWORD not in str(info.value)
        assert files_under(tmp_path / "subset") == []


def test_download_from_a_local_copy_and_a_bad_checksum(demo4, tmp_path):
    local = cxrkit.open_dataset(demo4)
    one = local.records().sort("dicom_id").head(2).collect()
    dest = local.download(one, tmp_path / "sub", progress=False)
    assert cxrkit.open_dataset(dest).validate().height == 0
    copy = tmp_path / "copy"
    shutil.copytree(demo4, copy)
    rel = one["path"][0]
    (copy / rel).write_bytes((copy / rel).read_bytes()[:-1] + b"\x00")  # same size, other bytes
    with pytest.raises(RemoteError, match="SHA-256 mismatch"):
        cxrkit.open_dataset(copy).download(one, tmp_path / "sub2", progress=False)
    assert not (tmp_path / "sub2" / rel).exists() and not (tmp_path / "sub2" / f"{rel}.part").exists()


def test_downloads_into_the_same_folder_add_up(demo4, tmp_path):
    local = cxrkit.open_dataset(demo4)
    patients = local.patients().sort("subject_id").collect()["subject_id"].to_list()
    first = local.records().filter(pl.col("subject_id") == patients[0]).collect()
    second = local.records().filter(pl.col("subject_id") == patients[1]).collect()
    dest = local.download(first, tmp_path / "sub", progress=False)
    local.download(second, dest, progress=False)
    sub = cxrkit.open_dataset(dest)
    assert sub.records().collect().height == first.height + second.height
    assert sub.validate().height == 0
    sums = read_sha256sums(dest / "SHA256SUMS.txt")
    assert set(first["path"]) | set(second["path"]) <= set(sums)
    for rel, digest in sums.items():
        assert sha256_file(dest / rel) == digest
