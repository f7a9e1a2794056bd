"""The modules that moved keep their old names for one release: each warns and hands out the new objects."""

from __future__ import annotations

import importlib
import sys

import pytest


@pytest.mark.parametrize(
    ("old", "name", "new", "new_name"),
    [
        ("cxrkit.imagestats", "header_table", "cxrkit.images.stats", "header_table"),
        ("cxrkit.cache", "Cache", "cxrkit.storage.cache", "Cache"),
        ("cxrkit.scan", "map_paths", "cxrkit.storage.scan", "map_paths"),
        ("cxrkit.remote", "strip_credentials", "cxrkit.storage.remote", "strip_credentials"),
        ("cxrkit.remote", "Mirror", "cxrkit.storage.remote", "RemoteSource"),
        ("cxrkit.remote", "header_table", "cxrkit.images.stats", "header_table"),
        ("cxrkit.remote", "LocalSource", "cxrkit.storage.local", "LocalSource"),
        ("cxrkit.remote", "download", "cxrkit.download", "download"),
    ],
)
def test_an_old_module_name_warns_and_gives_the_new_object(monkeypatch, old, name, new, new_name):
    monkeypatch.delitem(sys.modules, old, raising=False)
    with pytest.warns(DeprecationWarning, match=f"{old} moved to"):
        module = importlib.import_module(old)
    assert getattr(module, name) is getattr(importlib.import_module(new), new_name)
    assert name in dir(module)


def test_an_old_module_name_has_no_other_attributes(monkeypatch):
    monkeypatch.delitem(sys.modules, "cxrkit.scan", raising=False)
    with pytest.warns(DeprecationWarning):
        module = importlib.import_module("cxrkit.scan")
    with pytest.raises(AttributeError, match="nothing_here"):
        module.nothing_here  # noqa: B018
