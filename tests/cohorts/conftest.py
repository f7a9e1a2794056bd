"""A demo copy of its own for the cohort tests (module-wide, read-only), and helpers computing the
expected counts with plain polars from the same copy."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def demo_root(tmp_path_factory):
    from cxrkit.demo import make_demo

    return make_demo(tmp_path_factory.mktemp("cohort-demo") / "d", subjects=40)


@pytest.fixture(scope="session")
def ds(demo_root, tmp_path_factory):
    import cxrkit

    return cxrkit.open_dataset(demo_root, cache_dir=tmp_path_factory.mktemp("cohort-cache"))
