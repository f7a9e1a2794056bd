"""The demo's default layout: MIMIC-CXR and MIMIC-CXR-JPG side by side, each project with its own files."""

from __future__ import annotations

import hashlib
import io

import numpy as np
import polars as pl
import pytest
from PIL import Image

from cxrkit import images
from cxrkit.demo import DEMO_RELEASE, DemoError, make_demo

CXR_FILES = {
    "cxr-record-list.csv.gz",
    "cxr-study-list.csv.gz",
    "cxr-provider-list.csv.gz",
    "mimic-cxr-reports.zip",
}
JPG_FILES = {
    "mimic-cxr-2.0.0-metadata.csv.gz",
    "mimic-cxr-2.0.0-chexpert.csv.gz",
    "mimic-cxr-2.0.0-negbio.csv.gz",
    "mimic-cxr-2.0.0-split.csv.gz",
    "IMAGE_FILENAMES",
    "mimic-cxr-2.1.0-test-set-labeled.csv",
}


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return make_demo(tmp_path_factory.mktemp("layouts") / "d", subjects=6, image_scale=0.05)


def _top(folder):
    return {p.name for p in folder.iterdir()}


def test_each_project_holds_its_own_files(root):
    cxr, jpg = root / "mimic-cxr" / DEMO_RELEASE, root / "mimic-cxr-jpg" / DEMO_RELEASE
    assert _top(root) == {"mimic-cxr", "mimic-cxr-jpg", "mimiciv", "mimic-iv-ed"}  # as physionet.org/files
    assert _top(cxr) == CXR_FILES | {"files", "LICENSE.txt", "SHA256SUMS.txt"}
    assert _top(jpg) == JPG_FILES | {"files", "LICENSE.txt", "SHA256SUMS.txt"}
    assert not list((jpg / "files").rglob("*.txt")) and not list((cxr / "files").rglob("*.jpg"))
    for project in (cxr, jpg):
        assert "SYNTHETIC DATA" in (project / "LICENSE.txt").read_text()


def test_sha256sums_list_every_file_in_physionets_format(root):
    for project in (root / "mimic-cxr" / DEMO_RELEASE, root / "mimic-cxr-jpg" / DEMO_RELEASE):
        lines = (project / "SHA256SUMS.txt").read_text().splitlines()
        listed = dict(reversed(line.split("  ", 1)) for line in lines)
        on_disk = {p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file()}
        assert set(listed) == on_disk - {"SHA256SUMS.txt"}
        for rel, digest in listed.items():
            assert hashlib.sha256((project / rel).read_bytes()).hexdigest() == digest, rel


def test_the_jpgs_are_the_dicoms_by_the_published_recipe(root):
    listed = (root / "mimic-cxr-jpg" / DEMO_RELEASE / "IMAGE_FILENAMES").read_text().split()
    first = listed[0]
    dicom = root / "mimic-cxr" / DEMO_RELEASE / first.replace(".jpg", ".dcm")
    jpg = root / "mimic-cxr-jpg" / DEMO_RELEASE / first
    assert jpg.read_bytes() == images.dicom_to_mimic_jpg(dicom)
    assert np.asarray(Image.open(io.BytesIO(jpg.read_bytes()))).shape == images.read_stored(dicom).shape


def test_the_labelled_test_set_covers_the_test_studies(root):
    jpg = root / "mimic-cxr-jpg" / DEMO_RELEASE
    labelled = pl.read_csv(jpg / "mimic-cxr-2.1.0-test-set-labeled.csv")
    split = pl.read_csv(jpg / "mimic-cxr-2.0.0-split.csv.gz")
    assert set(labelled["study_id"]) == set(split.filter(pl.col("split") == "test")["study_id"])
    assert labelled.columns[0] == "study_id" and len(labelled.columns) == 15
    assert -1.0 not in labelled.drop("study_id").to_numpy()


def test_jpg_flavour_is_the_jpg_project_alone_and_a_bad_layout_is_refused(tmp_path):
    only = make_demo(tmp_path / "j", subjects=2, flavor="jpg", image_scale=0.05)
    assert _top(only) == {"mimic-cxr-jpg", "mimiciv", "mimic-iv-ed"}  # MIMIC-IV beside it, from its metadata
    with pytest.raises(DemoError, match="unknown demo layout 'flat'"):
        make_demo(tmp_path / "x", layout="flat")
