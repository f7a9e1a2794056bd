"""Remote copies against real servers on 127.0.0.1 only: an HTTP server with basic auth and Range requests
(tests/_http_server.py), and an S3-compatible server (moto's server mode). Never the internet."""

from __future__ import annotations

import base64
import threading

import polars as pl
import pytest
from _http_server import GOOD, PASSWORD, USER, DatasetServer, files_under, image_hits

import cxrkit
from cxrkit import images, layout
from cxrkit.demo import make_demo
from cxrkit.errors import MissingExtraError, MissingFileError, RemoteAuthError, RemoteError
from cxrkit.images import stats as imagestats
from cxrkit.storage import fetch_file, remote, sources

pytest.importorskip("fsspec")
pytest.importorskip("aiohttp")


def test_url_helpers_strip_credentials():
    assert remote.strip_credentials("https://u:p@host/a/b/") == "https://host/a/b"
    assert remote.mirror_key("https://u:p@host/a/") == remote.mirror_key("https://host/a")
    assert sources.is_url("s3://bucket/x") and sources.is_url("https://x") and not sources.is_url("/data")


def test_a_file_url_is_a_local_folder(demo4):
    ds = cxrkit.open_dataset(demo4.as_uri())
    assert not ds.is_remote and ds.root == demo4.resolve()


def test_open_by_url_browse_a_study_like_a_local_copy(srv, demo4):
    ds = cxrkit.open_dataset(srv.url, storage_options=GOOD)
    local = cxrkit.open_dataset(demo4)
    assert ds.is_remote and ds.flavor == "dicom" and ds.image_ext == ".dcm"
    assert set(ds.table_files) == set(local.table_files)
    assert ds.records().collect().equals(local.records().collect())
    assert ds.images().collect().equals(local.images().collect())
    assert PASSWORD not in repr(ds) and PASSWORD not in str(ds.summary())
    assert not image_hits(srv), "opening and reading tables fetches no image"

    study_id = local.records().sort("study_id").collect()["study_id"][0]
    study, expected = ds.study(study_id), local.study(study_id)
    assert [i.dicom_id for i in study.images] == [i.dicom_id for i in expected.images]
    assert all(i.exists and ds.cache.root in i.path.parents for i in study.images), "fetched into the cache"
    for got, want in zip(study.images, expected.images):
        assert got.path.read_bytes() == want.path.read_bytes()
        assert images.read_image(got.path).shape == images.read_image(want.path).shape
    assert study.report_text() == expected.report_text()
    fetched = {h.path for h in image_hits(srv)}
    assert len(fetched) == len(study.images), "only that study's images were fetched"
    assert not list(ds.root.rglob("*.part"))

    srv.clear()  # a second look is local
    again = cxrkit.open_dataset(srv.url, storage_options=GOOD).study(study_id)
    assert again.report_text() == expected.report_text()
    assert not image_hits(srv) and not [h for h in srv.hits if h.path.endswith(".txt")]


def test_header_table_reads_only_the_first_bytes(srv, demo4):
    ds = cxrkit.open_dataset(srv.url, storage_options=GOOD)
    srv.clear()
    got = imagestats.header_table(ds, progress=False)
    want = imagestats.header_table(cxrkit.open_dataset(demo4), progress=False, cache=False, executor="serial")
    assert got.height == want.height == 14 and got["error"].null_count() == got.height
    key = ["subject_id", "study_id", "dicom_id"]
    assert got.drop("path").sort(key).equals(want.drop("path").sort(key))
    hits = image_hits(srv)
    assert len({h.path for h in hits}) == 14
    assert all(
        h.method == "GET"
        and h.range == f"bytes=0-{imagestats.HEAD_BYTES - 1}"
        and h.status == 206
        and h.sent <= imagestats.HEAD_BYTES
        for h in hits
    ), hits
    assert not list(ds.root.rglob("*.dcm")), "no image file (partial or whole) in the mirror"
    srv.clear()
    assert imagestats.header_table(ds, progress=False).equals(got), "kept in the cache"
    assert not image_hits(srv)


def test_credentials_from_netrc_and_environment(srv, demo4, tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    netrc = home / ".netrc"
    netrc.write_text(f"machine 127.0.0.1 login {USER} password {PASSWORD}\n")
    netrc.chmod(0o600)
    assert cxrkit.open_dataset(srv.url).records().collect().height == 14
    monkeypatch.setenv("CXRKIT_ROOT", srv.url)  # the notebooks' way in
    ds = cxrkit.open_dataset()
    assert ds.is_remote and ds.url == srv.url.rstrip("/")
    netrc.unlink()
    monkeypatch.setenv(remote.ENV_USER, USER)
    monkeypatch.setenv(remote.ENV_PASSWORD, PASSWORD)
    assert cxrkit.open_dataset().is_remote


@pytest.mark.parametrize("how", ["storage_options", "netrc", "environment", "none"])
def test_refused_credentials_say_where_to_fix_them(srv, tmp_path, monkeypatch, how):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    wrong = "not-the-Pa55word"
    options = None
    if how == "storage_options":
        options = {"username": USER, "password": wrong}
    elif how == "netrc":
        (home / ".netrc").write_text(f"machine 127.0.0.1 login {USER} password {wrong}\n")
        (home / ".netrc").chmod(0o600)
    elif how == "environment":
        monkeypatch.setenv(remote.ENV_USER, USER)
        monkeypatch.setenv(remote.ENV_PASSWORD, wrong)
    with pytest.raises(RemoteAuthError) as info:
        cxrkit.open_dataset(srv.url, storage_options=options)
    message = str(info.value)
    assert "401" in message and wrong not in message and PASSWORD not in message
    assert {
        "storage_options": "storage_options=",
        "netrc": "~/.netrc",
        "environment": remote.ENV_USER,
        "none": "none were found",
    }[how] in message
    assert ".netrc" in message and remote.ENV_USER in message, "names every place to fix"
    assert isinstance(info.value, PermissionError) and isinstance(info.value, cxrkit.errors.CxrkitError)
    assert files_under(tmp_path / "home" / "cache") == [], "no partial files left behind"
    with pytest.raises(RemoteAuthError) as in_url:
        cxrkit.open_dataset(srv.url.replace("http://", f"http://{USER}:{wrong}@"))
    assert wrong not in str(in_url.value) and "the URL" in str(in_url.value)


def test_validate_a_remote_copy_reports_what_it_can(srv):
    findings = cxrkit.open_dataset(srv.url, storage_options=GOOD).validate()
    assert findings["check"].to_list() == ["remote_copy"] and findings["severity"][0] == "info"


def test_reports_of_a_remote_copy(srv, demo4):
    got = cxrkit.open_dataset(srv.url, storage_options=GOOD).reports(progress=False).collect()
    want = cxrkit.open_dataset(demo4).reports(progress=False).collect()
    assert got.select("study_id", "text").equals(want.select("study_id", "text"))


def test_a_server_without_range_support(demo4):
    with DatasetServer(demo4, credentials=(USER, PASSWORD), ranges=False) as plain:
        ds = cxrkit.open_dataset(plain.url, storage_options=GOOD)
        study = ds.study(ds.records().collect()["study_id"][0])
        assert all(i.exists for i in study.images)
        headers = imagestats.header_table(ds, progress=False)
        assert headers["error"].null_count() == headers.height


def test_missing_file_on_the_server(srv):
    ds = cxrkit.open_dataset(srv.url, storage_options=GOOD)
    with pytest.raises(MissingFileError, match="not found on the server"):
        ds.local_file("files/p10/p10000000/s50000000.txt")


def test_s3_compatible_object_store(demo4, tmp_path, monkeypatch):
    pytest.importorskip("s3fs")
    moto_server = pytest.importorskip("moto.server")
    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(k, raising=False)
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        options = {
            "key": "testing",
            "secret": "testing-secret",
            "client_kwargs": {"endpoint_url": endpoint, "region_name": "us-east-1"},
        }
        import s3fs

        fs = s3fs.S3FileSystem(skip_instance_cache=True, **options)
        import boto3

        boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id="testing",
            region_name="us-east-1",
            aws_secret_access_key="testing-secret",
        ).create_bucket(Bucket="mimic")
        fs.put(str(demo4) + "/", "mimic/cxr/2.0.0/", recursive=True)
        ds = cxrkit.open_dataset("s3://mimic/cxr/2.0.0", storage_options=options)
        local = cxrkit.open_dataset(demo4)
        assert ds.records().collect().equals(local.records().collect()) and ds.image_ext == ".dcm"
        sid = local.records().sort("study_id").collect()["study_id"][0]
        assert ds.study(sid).report_text() == local.study(sid).report_text()
        headers = imagestats.header_table(ds, progress=False)
        assert headers.height == 14 and headers["error"].null_count() == 14
        dest = ds.download([sid], tmp_path / "from-s3", progress=False)
        assert cxrkit.open_dataset(dest).validate().height == 0
        assert "testing-secret" not in repr(ds)
    finally:
        server.stop()


def test_cli_info_and_download_from_a_url(srv, tmp_path, monkeypatch, capsys):
    from cxrkit.cli import main

    monkeypatch.setenv(remote.ENV_USER, USER)
    monkeypatch.setenv(remote.ENV_PASSWORD, PASSWORD)
    assert main(["info", srv.url]) == 0
    out = capsys.readouterr().out
    assert srv.url.rstrip("/") in out and "mirror:" in out and PASSWORD not in out
    ds = cxrkit.open_dataset(srv.url)
    subject = ds.records().sort("subject_id").collect()["subject_id"][0]
    assert (
        main(
            [
                "download",
                srv.url,
                str(tmp_path / "sub"),
                "--subject",
                str(subject),
                "--view",
                "PA",
                "--no-progress",
            ]
        )
        == 0
    )
    sub = cxrkit.open_dataset(tmp_path / "sub")
    assert sub.records().collect()["subject_id"].unique().to_list() == [subject]
    assert sub.images().collect()["ViewPosition"].unique().to_list() == ["PA"]
    assert main(["validate", str(tmp_path / "sub")]) == 0
    monkeypatch.setenv(remote.ENV_PASSWORD, "wrong-one")
    assert main(["info", srv.url]) == 1
    err = capsys.readouterr().err
    assert "401" in err and "wrong-one" not in err and remote.ENV_USER in err


def test_a_server_without_folder_listings(demo4):
    with DatasetServer(demo4, credentials=(USER, PASSWORD), listings=False) as static:
        ds = cxrkit.open_dataset(static.url, storage_options=GOOD)
        assert set(ds.table_files) == set(cxrkit.open_dataset(demo4).table_files)
        assert ds.image_ext is None or ds.image_ext == ".dcm"
        study = ds.study(ds.records().collect()["study_id"][0])
        assert all(i.exists for i in study.images) and study.report_text()
        with pytest.raises(RemoteAuthError):
            cxrkit.open_dataset(static.url, storage_options={"username": USER, "password": "nope"})


@pytest.mark.parametrize("flavor", ["jpg", "dicom-gz"])
def test_other_flavours_over_http(tmp_path, flavor):
    root = make_demo(tmp_path / flavor, subjects=2, flavor=flavor, layout="single")
    local = cxrkit.open_dataset(root)
    with DatasetServer(root, credentials=(USER, PASSWORD)) as srv:
        ds = cxrkit.open_dataset(srv.url, storage_options=GOOD)
        assert (ds.flavor, ds.image_ext) == (local.flavor, local.image_ext)
        sid = local.records().sort("study_id").collect()["study_id"][0]
        got = ds.study(sid)
        assert [i.path.name for i in got.images] == [i.path.name for i in local.study(sid).images]
        assert (
            images.read_image(got.images[0].path).shape
            == images.read_image(local.study(sid).images[0].path).shape
        )
        key = ["subject_id", "study_id", "dicom_id"]
        headers = imagestats.header_table(ds, progress=False).drop("path").sort(key)
        want = (
            imagestats.header_table(local, progress=False, cache=False, executor="serial")
            .drop("path")
            .sort(key)
        )
        assert headers.equals(want)
        assert (
            cxrkit.open_dataset(ds.download([sid], tmp_path / "sub", progress=False)).validate().height == 0
        )


def test_nothing_secret_is_written_to_the_cache(srv, tmp_path):
    ds = cxrkit.open_dataset(srv.url.replace("http://", f"http://{USER}:{PASSWORD}@"))
    ds.study(ds.records().collect()["study_id"][0])
    imagestats.header_table(ds, progress=False)
    ds.reports(progress=False).collect()
    token = base64.b64encode(f"{USER}:{PASSWORD}".encode())
    for path in ds.cache.root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert PASSWORD.encode() not in data and token not in data, path
    assert PASSWORD not in repr(ds) and PASSWORD not in ds.url and PASSWORD not in str(ds.summary())


def test_an_unreachable_server_is_a_clear_error(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(RemoteError, match="cannot read"):
        cxrkit.open_dataset(f"http://127.0.0.1:{port}/mimic-cxr/")


def test_object_store_refusals_and_missing_backends(monkeypatch):
    pytest.importorskip("s3fs")
    store = remote.Remote(
        "s3://bucket/mimic-cxr",
        {
            "key": "AKIA-x",
            "secret": "very-secret-value",
            "client_kwargs": {"aws_session_token": "tok-secret"},
        },
    )
    err = store.translate(
        PermissionError("Access Denied very-secret-value tok-secret"), "cxr-record-list.csv.gz"
    )
    assert isinstance(err, RemoteAuthError)
    assert "AWS_ACCESS_KEY_ID" in str(err) and "storage_options" in str(err)
    assert "very-secret-value" not in str(err)
    assert "tok-secret" not in str(store.translate(OSError("reset: tok-secret here"), "x"))  # the token too
    other = store.translate(OSError("connection reset by peer very-secret-value"), "x")
    assert isinstance(other, RemoteError) and "very-secret-value" not in str(other)
    try:
        import gcsfs  # noqa: F401
    except ImportError:
        with pytest.raises(MissingExtraError, match="gcsfs"):
            cxrkit.open_dataset("gs://mimic-cxr-2.0.0.physionet.org")


def test_a_netrc_readable_by_others_is_named_in_the_error(srv, tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    (home / ".netrc").write_text(f"machine 127.0.0.1 login {USER} password {PASSWORD}\n")
    (home / ".netrc").chmod(0o644)
    with pytest.raises(RemoteAuthError, match="others can read it") as info:
        cxrkit.open_dataset(srv.url)
    assert PASSWORD not in str(info.value)


def test_paths_from_the_server_cannot_leave_the_mirror(srv):
    ds = cxrkit.open_dataset(srv.url, storage_options=GOOD)
    for bad in ("../outside.txt", "files/../../outside.txt", str(ds.root.parent / "other" / "x.txt")):
        with pytest.raises(cxrkit.errors.CxrkitError):
            ds.local_file(bad)
    frame = pl.DataFrame(
        {
            "subject_id": [10000032, 10000032],
            "study_id": [50414267, 50414267],
            "dicom_id": ["../../../../etc/passwd", "02aa804e-bde0afdd-112c0b34-7bc16630-4e384014"],
            "path": ["../../x", "../../y"],
        }
    )
    assert layout.safe_image_paths(frame, ".dcm") == [
        "files/p10/p10000032/s50414267/02aa804e-bde0afdd-112c0b34-7bc16630-4e384014.dcm"
    ]


def test_two_copies_fetching_the_same_file_take_turns(demo4, tmp_path):
    rel = cxrkit.open_dataset(demo4).records().sort("dicom_id").collect()["path"][0]
    with DatasetServer(demo4, credentials=(USER, PASSWORD), delay=0.005) as own:
        a = cxrkit.open_dataset(own.url, storage_options=GOOD, cache_dir=tmp_path / "c")
        b = cxrkit.open_dataset(own.url, storage_options=GOOD, cache_dir=tmp_path / "c")
        # two Dataset objects: their in-process locks differ, the lock on the part file does not
        results = []

        def fetch(ds):
            results.append(fetch_file(ds.source, rel, ds.root / rel, chunk=64 << 10))

        threads = [threading.Thread(target=fetch, args=(ds,)) for ds in (a, b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(results) == 2 and results[0] == results[1]
        assert results[0].read_bytes() == (demo4 / rel).read_bytes()
        assert not (a.root / f"{rel}.part").exists()
