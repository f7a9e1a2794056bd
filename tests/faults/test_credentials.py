"""Credentials in URLs (issue #15, item 3): a password with any reserved character is either read as the user
meant or refused before any request, and no secret reaches an error text or a log record at DEBUG level,
the libraries' records included. Servers bind 127.0.0.1 and stop by themselves."""

from __future__ import annotations

import base64
import logging
import os
import socket
import subprocess
import sys
import threading
import urllib.parse
from typing import Self

import pytest
from _http_server import USER, DatasetServer

import cxrkit
from cxrkit.errors import CxrkitError, InvalidUrlError, RemoteAuthError
from cxrkit.storage import remote

pytest.importorskip("fsspec")
pytest.importorskip("aiohttp")

#: Every character RFC 3986 reserves, and the others that trip URL parsers.
RESERVED = "/?#@:%[]!$&'()*+,;= \\\"<>^`{|}~"
#: Those that end a URL's authority: unencoded in a password, the rest of it would go out as a path.
SPLITTING = "/?#"


def _forms(secret: str) -> list[str]:
    token = base64.b64encode(f"{USER}:{secret}".encode()).decode()
    quote = urllib.parse.quote
    return [secret, quote(secret, safe=""), quote(secret), urllib.parse.quote_plus(secret), token]


def assert_clean(text: str, secret: str) -> None:
    for form in _forms(secret):
        assert form not in text, f"{form!r} leaked in: {text[:2000]}"


class Sentinel:
    """A TCP listener on 127.0.0.1 that records every connection it gets (with its first bytes), then hangs
    up; stops when the ``with`` block ends."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.1)
        self.port = self._sock.getsockname()[1]
        self.got: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="test-sentinel", daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    self.got.append(conn.recv(65536) or b"<connected>")
                except OSError:
                    self.got.append(b"<connected>")

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()


@pytest.fixture
def debug_log(caplog):
    """Every log record of every logger at DEBUG, as the root logger's handlers would see it."""
    caplog.set_level(logging.DEBUG)
    return caplog


def _log_text(caplog) -> str:
    return caplog.text + "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)


@pytest.mark.parametrize("char", list(SPLITTING))
def test_a_password_that_would_be_mis_split_is_refused_before_any_request(demo4, debug_log, tmp_path, char):
    """``user:4444/SECRET@host``: read naively, host 'user', port 4444, path '/SECRET@host'. Here the 'user'
    is 127.0.0.1 and 4444 is a sentinel's port: it must not hear from us."""
    with Sentinel() as sentinel, DatasetServer(demo4, credentials=(USER, "unused")) as srv:
        secret = f"{sentinel.port}{char}SECRET-7f3a"
        host = srv.url.removeprefix("http://")
        url = f"http://127.0.0.1:{secret}@{host}"
        with pytest.raises(InvalidUrlError) as info:
            cxrkit.open_dataset(url, cache_dir=tmp_path)
        message = str(info.value)
        assert "percent-encode" in message.lower() and "storage_options" in message
        assert remote.ENV_USER in message and host.rstrip("/") in message
        assert "SECRET-7f3a" not in message and str(sentinel.port) not in message
        assert_clean(message, secret)
        assert isinstance(info.value, CxrkitError) and isinstance(info.value, ValueError)
        with pytest.raises(InvalidUrlError):  # also in the helpers that name a mirror
            remote.strip_credentials(f"http://{USER}:pa{char}SECRET-7f3a@{host}")
    assert sentinel.got == [], "a part of the password went out as a request"
    assert srv.hits == [], "nothing was sent to the server either"
    assert "SECRET-7f3a" not in _log_text(debug_log)
    assert not list(tmp_path.rglob("*")), "nothing written to the cache"


@pytest.mark.parametrize("char", [c for c in RESERVED if c not in SPLITTING])
def test_an_unencoded_reserved_character_that_does_not_split_is_read_as_meant(
    demo4, debug_log, tmp_path, char
):
    secret = f"S3cr{char}t-{char}x9"
    with DatasetServer(demo4, credentials=(USER, secret)) as srv:
        url = srv.url.replace("http://", f"http://{USER}:{secret}@")
        ds = cxrkit.open_dataset(url, cache_dir=tmp_path)
        assert ds.records().collect().height == 14
        assert srv.hits and all(h.status in (200, 206) for h in srv.hits), "the server took the password"
        assert_clean(f"{ds!r} {ds.url} {ds.summary()}", secret)
    assert_clean(_log_text(debug_log), secret)


ALL = "Pw/?#@:%[]!$&'()*+,;= \\\"<>^`{|}~end"


@pytest.mark.parametrize("how", ["percent-encoded URL", "storage_options", "environment"])
def test_the_documented_forms_carry_a_password_of_every_reserved_character(
    demo4, debug_log, tmp_path, monkeypatch, how
):
    with DatasetServer(demo4, credentials=(USER, ALL)) as srv:
        options = None
        url = srv.url
        if how == "percent-encoded URL":
            url = srv.url.replace("http://", f"http://{USER}:{urllib.parse.quote(ALL, safe='')}@")
        elif how == "storage_options":
            options = {"username": USER, "password": ALL}
        else:
            monkeypatch.setenv(remote.ENV_USER, USER)
            monkeypatch.setenv(remote.ENV_PASSWORD, ALL)
        ds = cxrkit.open_dataset(url, storage_options=options, cache_dir=tmp_path)
        study = ds.study(ds.records().sort("study_id").collect()["study_id"][0])
        assert study.report_text() and all(i.exists for i in study.images)
        assert_clean(f"{ds!r} {ds.url} {ds.summary()}", ALL)
        with pytest.raises(CxrkitError) as missing:
            ds.local_file("files/p10/p10000000/s50000000/nothing-here.dcm")
        assert_clean(str(missing.value), ALL)
    assert_clean(_log_text(debug_log), ALL)
    for path in tmp_path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert all(form.encode() not in data for form in _forms(ALL)), path


def test_a_refused_password_with_reserved_characters_leaks_nowhere(demo4, debug_log, tmp_path):
    wrong = "Wr0ng/?#@:%x y"
    with DatasetServer(demo4, credentials=(USER, "right")) as srv:
        url = srv.url.replace("http://", f"http://{USER}:{urllib.parse.quote(wrong, safe='')}@")
        with pytest.raises(RemoteAuthError) as info:
            cxrkit.open_dataset(url, cache_dir=tmp_path)
        assert "the URL" in str(info.value) and "401" in str(info.value)
        assert_clean(str(info.value), wrong)
        with pytest.raises(RemoteAuthError) as options:
            cxrkit.open_dataset(
                srv.url, storage_options={"username": USER, "password": wrong}, cache_dir=tmp_path
            )
        assert_clean(str(options.value), wrong)
    assert_clean(_log_text(debug_log), wrong)


def test_library_log_records_are_scrubbed_once_a_url_with_credentials_is_open(demo4, debug_log, tmp_path):
    """What fsspec, aiohttp or botocore might log at DEBUG (a URL with its user information, a header, a
    traceback quoting the password) reaches the handlers without the secret."""
    secret = "Lib-l0g/secret?#"
    with DatasetServer(demo4, credentials=(USER, secret)) as srv:
        cxrkit.open_dataset(
            srv.url, storage_options={"username": USER, "password": secret}, cache_dir=tmp_path
        )
    token = base64.b64encode(f"{USER}:{secret}".encode()).decode()
    encoded = urllib.parse.quote(secret, safe="")
    logging.getLogger("fsspec.http").debug("GET %s", f"http://{USER}:{encoded}@127.0.0.1/x")
    logging.getLogger("aiohttp.client").debug("headers: %r", {"Authorization": f"Basic {token}"})
    logging.getLogger("botocore.endpoint.later-created").debug("params %s", {"password": secret})
    try:
        raise ValueError(f"bad password {secret}")
    except ValueError:
        logging.getLogger("urllib3.connectionpool").exception("request failed")
    text = _log_text(debug_log)
    assert "GET http://127.0.0.1/x" in text and "request failed" in text and "***" in text
    assert "ValueError: bad password ***" in text, "the traceback is kept, without the secret"
    assert_clean(text, secret)


def test_an_object_store_s_keys_stay_out_of_botocore_s_debug_log(demo4, caplog, tmp_path, monkeypatch):
    """s3fs/aiobotocore/botocore log requests, headers and signing at DEBUG: none of it shows the key pair."""
    pytest.importorskip("s3fs")
    moto_server = pytest.importorskip("moto.server")
    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(k, raising=False)
    key, secret = "AKIDKIT7EXAMPLE", "Secr3t/Key+with=chars"
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        client = {"endpoint_url": f"http://{host}:{port}", "region_name": "us-east-1"}
        import s3fs

        fs = s3fs.S3FileSystem(skip_instance_cache=True, key=key, secret=secret, client_kwargs=client)
        import boto3

        boto3.client("s3", aws_access_key_id=key, aws_secret_access_key=secret, **client).create_bucket(
            Bucket="mimic"
        )
        for name in sorted(p.name for p in demo4.glob("*.csv.gz")):
            fs.put(str(demo4 / name), f"mimic/cxr/{name}")
        caplog.clear()
        caplog.set_level(logging.DEBUG)
        options = {"key": key, "secret": secret, "client_kwargs": client}
        ds = cxrkit.open_dataset("s3://mimic/cxr", storage_options=options, cache_dir=tmp_path)
        assert ds.records().collect().height == 14
        with pytest.raises(CxrkitError) as missing:
            ds.local_file("files/p10/p10000000/s50000000/nothing-here.dcm")
        assert key not in str(missing.value) and secret not in str(missing.value)
    finally:
        server.stop()
    text = _log_text(caplog)
    assert "botocore" in " ".join(r.name for r in caplog.records), "botocore logged at DEBUG"
    assert key not in text and secret not in text


def test_the_cli_refuses_a_mis_split_url_in_words(tmp_path):
    with Sentinel() as sentinel:
        url = f"http://127.0.0.1:{sentinel.port}/SECRET-cli9@127.0.0.1:9/"
        done = subprocess.run(
            [sys.executable, "-m", "cxrkit", "info", url],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={**os.environ, "CXRKIT_CACHE": str(tmp_path)},
        )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "percent-encode" in (done.stderr + done.stdout).lower()
    assert "SECRET-cli9" not in done.stderr + done.stdout
    assert sentinel.got == []


@pytest.mark.parametrize("char", ["\t", "\n", "\r", "\x00"])
def test_a_control_character_in_a_url_is_refused_not_dropped(char):
    """URL parsers drop tabs and line breaks silently: another password than the one given would be sent."""
    with pytest.raises(InvalidUrlError) as info:
        remote.Remote(f"http://{USER}:pass{char}word-c7@127.0.0.1:9/")
    assert "control character" in str(info.value) and "word-c7" not in str(info.value)
