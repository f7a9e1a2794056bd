"""Shared fixtures: every test runs with HOME and the cache in temporary folders, never the user's."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("CXRKIT_CACHE", str(home / "cache"))
    monkeypatch.delenv("CXRKIT_ROOT", raising=False)
    yield
