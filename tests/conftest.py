"""Fixtures of the tests that read a copy through a local HTTP server (test_remote, test_download): a
small demo and a server over it with basic auth, one of each per test module. The server, its credentials
and helpers to look at its log are in _http_server.py."""

from __future__ import annotations

import threading

import pytest
from _http_server import PASSWORD, USER, DatasetServer


@pytest.fixture(scope="module")
def demo4(tmp_path_factory):
    """A demo of 4 patients (14 images), read-only: copy it before changing anything."""
    from cxrkit.demo import make_demo

    return make_demo(tmp_path_factory.mktemp("remote-demo") / "d", subjects=4, layout="single")


@pytest.fixture(scope="module")
def server(demo4):
    with DatasetServer(demo4, credentials=(USER, PASSWORD)) as srv:
        yield srv
    assert not any(t.name == "test-http-server" and t.is_alive() for t in threading.enumerate())


@pytest.fixture
def srv(server):
    """The module's server with its request log cleared."""
    server.clear()
    return server
