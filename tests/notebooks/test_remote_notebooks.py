"""The curated notebooks run unchanged with ``CXRKIT_ROOT`` set to the URL of a local HTTP server (basic auth,
credentials from ``~/.netrc``): the "Done when" of the remote-copies issue. Kept apart from test_remote.py so
that file stays fast."""

from __future__ import annotations

import pytest
from _http_server import DatasetServer
from test_notebooks import NOTEBOOKS, _code_cells, _stream_text, execute

pytest.importorskip("fsspec")
pytest.importorskip("aiohttp")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from cxrkit.demo import make_demo

    root = make_demo(tmp_path_factory.mktemp("nb-remote") / "d", subjects=4)
    with DatasetServer(root, credentials=("reader", "nb-Pa55")) as srv:
        yield srv


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_on_a_url(path, served, tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    (home / ".netrc").write_text("machine 127.0.0.1 login reader password nb-Pa55\n")
    (home / ".netrc").chmod(0o600)
    monkeypatch.setenv("HOME", str(home))  # the kernel inherits it, and finds the credentials there
    served.clear()
    nb, _, _ = execute(path, served.url, tmp_path / "cache")
    errors = [out for cell in _code_cells(nb) for out in cell.outputs if out.output_type == "error"]
    assert errors == []
    assert "Traceback" not in _stream_text(nb, "stderr")
    assert "nb-Pa55" not in _stream_text(nb, "stdout") + _stream_text(nb, "stderr")
    assert served.hits, "the notebook read the copy through the server"
