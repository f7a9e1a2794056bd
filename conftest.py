"""Shared fixtures for the tests and the doctests of every module.

Every test runs with HOME and the cache in temporary folders, never the user's; demo datasets of each shape
are generated once per session into temporary folders. Doctests see ``CXRKIT_ROOT`` set to the session's
default (two-project) demo, so ``open_dataset()`` in a docstring example opens it without regenerating
anything."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_home(request, tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("CXRKIT_CACHE", str(home / "cache"))
    monkeypatch.delenv("CXRKIT_ROOT", raising=False)
    if isinstance(request.node, pytest.DoctestItem):
        monkeypatch.setenv("CXRKIT_ROOT", str(request.getfixturevalue("demo_projects")))
    yield


def _demo(tmp_path_factory, name, **kwargs):
    from cxrkit.demo import make_demo

    return make_demo(tmp_path_factory.mktemp("demos") / name, **{"layout": "single", **kwargs})


@pytest.fixture(scope="session")
def demo_projects(tmp_path_factory):
    """The default demo: MIMIC-CXR and MIMIC-CXR-JPG side by side (``mimic-cxr/2.1.0``,
    ``mimic-cxr-jpg/2.1.0``) as a download leaves them; read-only."""
    return _demo(tmp_path_factory, "projects", layout="projects")


@pytest.fixture(scope="session")
def demo_dicom(tmp_path_factory):
    """The demo in one folder, DICOM flavour (read-only: copy it before changing anything)."""
    return _demo(tmp_path_factory, "dicom")


@pytest.fixture(scope="session")
def demo_gz(tmp_path_factory):
    """The demo with images stored as .dcm.gz (read-only)."""
    return _demo(tmp_path_factory, "dicom-gz", flavor="dicom-gz")


@pytest.fixture(scope="session")
def demo_jpg(tmp_path_factory):
    """The demo in the MIMIC-CXR-JPG layout (read-only)."""
    return _demo(tmp_path_factory, "jpg", flavor="jpg")


#: The aliases of moved modules warn when imported: their doctest collection would only show that warning.
collect_ignore = ["cxrkit/imagestats.py", "cxrkit/remote.py", "cxrkit/cache.py", "cxrkit/scan.py"]


# The cohort tests' own copy (tests/cohorts/): a subfolder cannot have a conftest.py of its own, since
# --doctest-modules would import it as a second module named "conftest".
@pytest.fixture(scope="session")
def demo_root(tmp_path_factory):
    """A 40-patient demo for the cohort tests (read-only), bigger than the default so steps have counts."""
    from cxrkit.demo import make_demo

    return make_demo(tmp_path_factory.mktemp("cohort-demo") / "d", subjects=40)


@pytest.fixture(scope="session")
def ds(demo_root, tmp_path_factory):
    """The cohort tests' dataset over :func:`demo_root` (tests elsewhere define their own ``ds``)."""
    import cxrkit

    return cxrkit.open_dataset(demo_root, cache_dir=tmp_path_factory.mktemp("cohort-cache"))
