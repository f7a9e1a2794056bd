"""Finding MIMIC-CXR and MIMIC-CXR-JPG side by side, as a download leaves them, from any entry point."""

from __future__ import annotations

import pytest

from cxrkit.errors import NotADatasetError
from cxrkit.storage.projects import find_projects, releases


@pytest.fixture
def top(tmp_path):
    for d in (
        "mimic-cxr/2.0.0",
        "mimic-cxr/2.1.0",
        "mimic-cxr-jpg/2.0.0",
        "mimic-cxr-jpg/2.1.0",
        "mimic-cxr/notes",
    ):
        (tmp_path / d).mkdir(parents=True)
    return tmp_path


def test_the_folder_above_the_projects_gives_the_newest_release_of_each(top):
    assert find_projects(top) == {
        "mimic-cxr": top / "mimic-cxr/2.1.0",
        "mimic-cxr-jpg": top / "mimic-cxr-jpg/2.1.0",
    }
    assert releases(top / "mimic-cxr") == ["2.0.0", "2.1.0"]  # other folders are not releases


def test_a_release_can_be_named_and_a_missing_one_is_a_clear_error(top):
    assert find_projects(top, release="2.0.0")["mimic-cxr-jpg"] == top / "mimic-cxr-jpg/2.0.0"
    with pytest.raises(NotADatasetError, match=r"no release 9\.9\.9 \(it has: 2\.0\.0, 2\.1\.0\)"):
        find_projects(top, release="9.9.9")


def test_a_project_folder_finds_its_sibling_at_the_same_release(top):
    found = find_projects(top / "mimic-cxr" / "2.0.0")
    assert found == {"mimic-cxr": top / "mimic-cxr/2.0.0", "mimic-cxr-jpg": top / "mimic-cxr-jpg/2.0.0"}
    assert find_projects(top / "mimic-cxr-jpg")["mimic-cxr"] == top / "mimic-cxr/2.1.0"


def test_a_project_without_its_sibling_and_other_folders(tmp_path):
    (tmp_path / "mimic-cxr/2.1.0").mkdir(parents=True)
    assert find_projects(tmp_path / "mimic-cxr/2.1.0") == {"mimic-cxr": tmp_path / "mimic-cxr/2.1.0"}
    assert find_projects(tmp_path / "mimic-cxr/2.1.0/files") == {}  # not a project folder: a single root
    assert find_projects(tmp_path / "elsewhere") == {}
