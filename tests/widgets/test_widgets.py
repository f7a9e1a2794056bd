"""StudyBrowser and ImageViewer driven from Python on demo data: what they show after each action."""

from __future__ import annotations

import html
import io
import json
import math
import re
import shutil

import numpy as np
import polars as pl
import pytest
from PIL import Image as PILImage

import cxrkit
from cxrkit import images, reports
from cxrkit.demo import make_demo
from cxrkit.widgets import ImageViewer, StudyBrowser, TransientImage

PNG_BASE64 = "iVBORw0KGgo"  # how every base64-encoded PNG starts


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory):
    return make_demo(tmp_path_factory.mktemp("demo") / "dicom", layout="single")


@pytest.fixture(scope="module")
def ds(demo_root, tmp_path_factory):
    return cxrkit.open_dataset(demo_root, cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def browser(ds):
    return StudyBrowser(ds)


def png_size(data: bytes) -> tuple[int, int]:
    """(rows, columns) of PNG bytes."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    with PILImage.open(io.BytesIO(data)) as im:
        return im.height, im.width


def png_array(data: bytes) -> np.ndarray:
    with PILImage.open(io.BytesIO(data)) as im:
        return np.asarray(im).astype(int)


def visible_text(markup: str) -> str:
    """What a reader sees in an HTML fragment: tags dropped, entities decoded, whitespace collapsed."""
    blocks = re.sub(r"</?(?:p|div|br|li|tr|td)\b[^>]*>", " ", markup)  # block boundaries separate words
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", blocks)).split())


def expected_preview(path, max_size=1024) -> tuple[int, int]:
    h = images.read_header(path)
    f = max(1, math.ceil(max(h["Rows"], h["Columns"]) / max_size))
    return h["Rows"] // f, h["Columns"] // f


def two_image_study(ds) -> int:
    counts = ds.records().group_by("study_id").len().filter(pl.col("len") == 2).sort("study_id").collect()
    return counts["study_id"][0]


def test_first_study_is_shown_with_image_report_and_list(browser, ds):
    sid = browser.current_study_id
    assert sid == browser.matches[0] and browser.study_list.value == sid
    study = ds.study(sid)
    assert browser.current_dicom_id == next(im.dicom_id for im in study.images if im.exists)
    image = next(im for im in study.images if im.dicom_id == browser.current_dicom_id)
    assert png_size(browser.viewer.image.value) == expected_preview(image.path)
    sections = reports.parse_sections(study.report_text())
    key = sections.get("findings") or sections.get("impression")
    assert " ".join(key.split()) in visible_text(browser.report.value)
    assert "cxrkit-section-" in browser.report.value  # findings/impression are emphasised
    assert len(browser.study_list.options) == len(browser.matches) == ds.studies().collect().height
    assert f"s{sid}" in browser.study_list.options[0][0]
    assert "CheXpert" in browser.chips.value and "NegBio" in browser.chips.value
    assert browser.header_table.value.count("<tr>") > 10 and "ViewPosition" in browser.header_table.value


def test_select_sets_state_and_ids_are_read_only(browser, ds):
    sid = two_image_study(ds)
    browser.select(f"s{sid}")
    assert browser.current_study_id == sid and browser.study_list.value == sid
    assert len(browser.thumbnails.children) == 2
    for box in browser.thumbnails.children:
        assert png_size(box.children[0].value)[0] <= browser.thumb_size
    other = ds.study(sid).images[1].dicom_id
    browser.thumbnails.children[1].children[1].click()
    assert browser.current_dicom_id == other and other in browser.header.get_title(0)
    with pytest.raises(AttributeError):
        browser.current_study_id = 1
    with pytest.raises(cxrkit.CxrkitError):
        browser.select(59999999)


def test_selecting_the_same_study_again_reuses_the_work_and_shows_the_same(ds, monkeypatch):
    from ipywidgets.embed import embed_data

    browser = StudyBrowser(ds)
    sid = two_image_study(ds)
    browser.select(sid)
    viewer = browser.viewer
    first, dicom = viewer.image.value, browser.current_dicom_id
    boxes = list(browser.thumbnails.children)
    thumbs = [box.children[0].value for box in boxes]
    viewer.invert.value = True
    viewer.zoom.value = 2.0
    boxes[1].children[1].click()  # the other image large
    assert browser.current_dicom_id != dicom and boxes[1].children[1].button_style == "info"
    calls = []
    for name in ("to_png", "thumbnail", "read_modality"):
        real = getattr(images, name)
        monkeypatch.setattr(images, name, lambda *a, _n=name, _f=real, **k: calls.append(_n) or _f(*a, **k))
    browser.select(sid)
    assert calls == []  # nothing decoded, rendered, encoded or read from the thumbnail cache again
    assert browser.current_dicom_id == dicom and viewer.image.value == first
    assert viewer.zoom.value == 1.0 and not viewer.invert.value and viewer.preset.value == "own"
    assert viewer.picture_shape == png_size(first)
    assert list(browser.thumbnails.children) == boxes and all(box.comm is not None for box in boxes)
    assert [box.children[0].value for box in boxes] == thumbs
    assert boxes[0].children[1].button_style == "info" and boxes[1].children[1].button_style == ""
    assert "#1976d2" in boxes[0].layout.border and "transparent" in boxes[1].layout.border
    viewer.preset.value = "lung"  # other settings still render anew
    assert calls == ["to_png"] and viewer.image.value != first
    viewer.preset.value = "own"
    assert calls == ["to_png"] and viewer.image.value == first
    fresh = StudyBrowser(ds, study_id=sid)  # what a new browser shows for the study: the same picture
    assert fresh.viewer.image.value == first
    assert PNG_BASE64 not in json.dumps(embed_data(views=[browser])["manager_state"])


def test_viewer_keeps_a_few_pictures_per_image(monkeypatch):
    import gc
    import weakref

    arr = np.random.default_rng(1).integers(0, 4096, (300, 200)).astype(np.uint16)
    viewer = ImageViewer(arr, max_size=128)
    centers = range(1000, 1000 + 100 * (viewer.pictures_kept + 3), 100)
    for center in centers:
        viewer.set_window(center, 500)
    encoded = []
    real = images.to_png
    monkeypatch.setattr(images, "to_png", lambda *a, **k: encoded.append(1) or real(*a, **k))
    for center in centers[-viewer.pictures_kept :]:  # the last few pictures are kept: shown again as they are
        viewer.set_window(center, 500)
    assert encoded == []
    viewer.set_window(centers[-viewer.pictures_kept - 1], 500)  # the one before them is not: encoded again
    assert encoded == [1]
    previous = weakref.ref(viewer.data)
    viewer.show(arr[::-1].copy())
    gc.collect()
    assert previous() is None  # the previous image went, and the pictures kept for it with it


def test_next_and_previous_walk_the_list(browser):
    browser.clear_filters()
    browser.select(browser.matches[0])
    assert browser.prev_button.disabled
    browser.next_button.click()
    assert browser.current_study_id == browser.matches[1]
    browser.next_button.click()
    browser.prev_button.click()
    assert browser.current_study_id == browser.matches[1]
    browser.study_list.value = browser.matches[3]  # a click in the list
    assert browser.current_study_id == browser.matches[3]
    browser.select(browser.matches[-1])
    assert browser.next_button.disabled
    browser.step(1)
    assert browser.current_study_id == browser.matches[-1]


def test_j_and_k_typed_in_the_key_box_walk_the_list(browser):
    browser.clear_filters()
    browser.select(browser.matches[0])
    browser.key_box.value = "j"
    assert browser.current_study_id == browser.matches[1]
    browser.key_box.value = "jjj"  # two more typed before the kernel saw them: two steps
    assert browser.current_study_id == browser.matches[3]
    browser.key_box.value = "jjjK"
    assert browser.current_study_id == browser.matches[2]
    browser.key_box.value = "jjjKx"  # other keys do nothing
    assert browser.current_study_id == browser.matches[2]
    browser.key_box.value = ""  # cleared by the user: not a step
    browser.key_box.value = "k"
    assert browser.current_study_id == browser.matches[1]
    browser.key_box.value = "kkkkkkk"  # past the top stays on the first study
    assert browser.current_study_id == browser.matches[0]


def test_filters_narrow_the_list(browser, ds):
    browser.clear_filters()
    everything = set(browser.matches)
    imgs = ds.images().collect()
    browser.view.value = "LATERAL"
    lateral = set(imgs.filter(pl.col("ViewPosition") == "LATERAL")["study_id"])
    assert set(browser.matches) == lateral & everything and 0 < len(lateral) < len(everything)
    assert browser.current_study_id in lateral
    browser.clear_filters()
    browser.split.value = "train"
    assert set(browser.matches) == set(imgs.filter(pl.col("split") == "train")["study_id"])
    browser.clear_filters()
    labels = ds.chexpert().collect()
    browser.label_source.value, browser.label_category.value = "CheXpert", "Pleural Effusion"
    browser.label_value.value = "positive (1)"
    assert set(browser.matches) == set(labels.filter(pl.col("Pleural Effusion") == 1.0)["study_id"])
    browser.label_value.value = "blank"
    assert set(browser.matches) == set(labels.filter(pl.col("Pleural Effusion").is_null())["study_id"])
    browser.clear_filters()
    subject = ds.patients().sort("n_studies", descending=True).collect()["subject_id"][0]
    browser.patient.value = f"p{subject}"
    assert browser.matches == ds.patient_studies(subject)["study_id"].to_list()
    browser.patient.value = "12"
    assert browser.matches == [] and "12" in browser.count.value
    browser.clear_filters()
    assert set(browser.matches) == everything


def test_text_filter_matches_reports_and_marks_hits(browser, ds):
    browser.clear_filters()
    browser.text.value = "Effusion"
    assert browser.matches
    for sid in browser.matches:
        assert "effusion" in ds.study(sid).report_text().lower()
    assert "<mark>" in browser.report.value and re.search(
        r"<mark>effusion</mark>", browser.report.value, re.IGNORECASE
    )
    browser.clear_filters()
    assert "<mark>" not in browser.report.value


def test_timeline_is_in_time_order_and_one_click_away(browser, ds):
    subject = ds.patients().sort("n_studies", descending=True).collect()["subject_id"][0]
    order = ds.patient_studies(subject)["study_id"].to_list()
    assert len(order) > 1
    browser.select(order[0])
    buttons = browser.timeline.children[1:]
    assert [b.study_id for b in buttons] == order
    assert buttons[0].button_style == "info"
    buttons[-1].click()
    assert browser.current_study_id == order[-1] and buttons[-1].button_style == "info"


def test_viewer_window_presets_invert_and_zoom(browser):
    viewer = browser.viewer
    base = viewer.image.value
    viewer.preset.value = "lung"
    assert viewer.image.value != base and viewer.preset.value == "lung"
    lung = png_array(viewer.image.value)
    viewer.invert.value = True
    assert np.abs(png_array(viewer.image.value) + lung - 255).max() <= 1
    viewer.center.value = viewer.center.value + 10  # a hand-set window leaves the preset
    assert viewer.preset.value is None
    shape = png_size(viewer.image.value)
    viewer.zoom.value = 4.0
    zoomed = png_size(viewer.image.value)
    assert abs(zoomed[0] - shape[0]) <= 4 and abs(zoomed[1] - shape[1]) <= 4
    viewer.preset.value = "own"
    browser.select(browser.current_study_id)  # a new selection resets the controls
    assert viewer.zoom.value == 1.0 and not viewer.invert.value and viewer.preset.value == "own"


def test_image_viewer_on_its_own(demo_root):
    arr = np.random.default_rng(0).integers(0, 4096, (600, 500)).astype(np.uint16)
    viewer = ImageViewer(arr, max_size=256)
    assert png_size(viewer.image.value) == (200, 166)
    viewer.set_window(2048, 100)
    assert viewer.preset.index is None and viewer.center.value == 2048
    path = next((demo_root / "files").rglob("*.dcm"))
    viewer.show(path)
    assert png_size(viewer.image.value) == expected_preview(path, 256)
    viewer.show(demo_root / "files" / "nothing.dcm")
    assert viewer.image.value == b"" and "no such file" in viewer.status.value


def test_partial_download_shows_missing_images(demo_root, tmp_path):
    root = tmp_path / "partial"
    shutil.copytree(demo_root, root)
    ds = cxrkit.open_dataset(root, cache_dir=tmp_path / "cache")
    sid = two_image_study(ds)
    first, second = ds.study(sid).images
    first.path.unlink()
    browser = StudyBrowser(ds, study_id=sid)
    assert browser.current_dicom_id == second.dicom_id  # the image that is there is shown large
    placeholders = [
        b for b in browser.thumbnails.children if "cxrkit-missing" in getattr(b.children[0], "value", "")
    ]
    assert len(placeholders) == 1 and "missing" in browser.title.value
    browser.thumbnails.children[0].children[1].click()  # disabled in the page; from Python it says why
    assert "missing" in browser.viewer.status.value
    second.path.unlink()
    browser.select(sid)
    assert browser.current_dicom_id is None and "none of this study's images" in visible_text(
        browser.viewer.status.value
    )
    assert browser.report.value  # the report is still there


def test_jpg_copy(tmp_path):
    root = make_demo(tmp_path / "jpg", subjects=6, flavor="jpg", layout="single")
    ds = cxrkit.open_dataset(root, cache_dir=tmp_path / "cache")
    browser = StudyBrowser(ds)
    image = next(im for im in ds.study(browser.current_study_id).images if im.exists)
    assert image.path.suffix == ".jpg" and browser.current_dicom_id == image.dicom_id
    assert png_size(browser.viewer.image.value) == expected_preview(image.path)
    assert "no reports" in browser.report.value and browser.text.disabled
    browser.next_button.click()
    assert browser.current_study_id == browser.matches[1]


def test_gzipped_dicom_copy(tmp_path):
    root = make_demo(tmp_path / "gz", subjects=4, flavor="dicom-gz", layout="single")
    browser = StudyBrowser(cxrkit.open_dataset(root, cache_dir=tmp_path / "cache"))
    assert browser.current_dicom_id and png_size(browser.viewer.image.value)[0] > 0


def test_no_image_bytes_in_saved_widget_state(browser):
    import ipywidgets
    from ipywidgets.embed import embed_data

    browser.select(browser.matches[0])
    assert browser.viewer.image.value[:4] == b"\x89PNG"  # the live widget does show an image
    data = embed_data(views=[browser])
    text = json.dumps(data["manager_state"])
    assert PNG_BASE64 not in text
    assert (
        browser.viewer.image.model_id in data["manager_state"]["state"]
    )  # the widget is there, its bytes not
    full = json.dumps(ipywidgets.Widget.get_manager_state())
    assert PNG_BASE64 not in full
    alone = TransientImage(value=b"\x89PNG")
    assert "value" not in embed_data(views=[alone])["manager_state"]["state"][alone.model_id]["state"]


def test_report_is_escaped_with_its_sections_and_the_search_marked(tmp_path):
    root = make_demo(tmp_path / "d", subjects=2, images=False, layout="single")
    (root / "mimic-cxr-reports.zip").unlink()  # the reports are read from files/ only
    ds = cxrkit.open_dataset(root, cache_dir=tmp_path / "cache")
    study = ds.study(ds.studies().collect()["study_id"][0])
    study.report_path.write_text(" FINDINGS: a <b> & c\n IMPRESSION: Clear <script>")
    browser = StudyBrowser(ds, study_id=study.study_id)
    browser.text.value = "clear"  # the report search: what it finds is marked
    assert browser.current_study_id == study.study_id
    out = browser.report.value
    assert "<script>" not in out and "&lt;script&gt;" in out and "&amp;" in out
    assert (
        "<mark>Clear</mark>" in out
        and "cxrkit-section-impression" in out
        and "cxrkit-section-findings" in out
    )


def test_replaced_widgets_are_closed(browser):
    from ipywidgets.widgets.widget import _instances  # the live widgets (Widget.widgets is deprecated)

    browser.select(browser.matches[0])
    old = list(browser.thumbnails.children)
    before = len(_instances)
    for sid in browser.matches[1:6]:
        browser.select(sid)
    assert all(box.comm is None for box in old)
    assert len(_instances) <= before + 20  # no growth with the number of selections


def test_display_pipeline_agrees_with_images_read_image(demo_root):
    """The viewer's picture is the kit's: read_image's, made 8-bit (MONOCHROME1, VOI LUT, windows)."""
    import pydicom

    from cxrkit.images import display

    viewer = ImageViewer(max_size=1024)
    full = ImageViewer(max_size=4096)  # wider than any image: zoomed in, it shows every pixel of it
    seen = set()
    for path in sorted((demo_root / "files").rglob("*.dcm")):
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        viewer.show(path)  # the file's own window
        mine = png_array(viewer.image.value)
        np.testing.assert_array_equal(mine, display.to_uint8(images.read_image(path, max_size=1024)))
        center, width = 1500.0, 2000.0
        viewer.set_window(center, width)
        assert (viewer.center.value, viewer.width.value) == (center, width)
        ref = images.read_image(path, max_size=1024, window=(center, width))
        np.testing.assert_array_equal(png_array(viewer.image.value), display.to_uint8(ref))
        full.show(viewer.data)  # the same decoded image
        full.set_window(center, width)
        full.zoom.value = 1.0 + 1e-9  # zoomed in: the full-resolution values
        np.testing.assert_array_equal(
            png_array(full.image.value), display.to_uint8(images.read_image(path, window=(center, width)))
        )
        seen.add(ds.PhotometricInterpretation)
        seen.add("VOI LUT" if "VOILUTSequence" in ds else "window")
    assert seen == {"MONOCHROME1", "MONOCHROME2", "VOI LUT", "window"}


def test_full_resolution_is_read_on_the_first_zoom_only(demo_root, monkeypatch):
    path = next((demo_root / "files").rglob("*.dcm"))
    reads = []
    real = images.read_modality
    monkeypatch.setattr(
        images, "read_modality", lambda *a, **k: reads.append(k.get("max_size")) or real(*a, **k)
    )
    viewer = ImageViewer(path, max_size=128)
    d = viewer.data
    assert reads == [128] and max(d.preview.shape) <= 128  # showing it reads only the small preview
    viewer.set_window(2000.0, 3000.0)
    viewer.zoom.value = 2.0
    viewer.zoom.value = 4.0
    viewer.pan_x.value, viewer.pan_y.value = 0.2, 0.8
    assert reads == [128, None] and d.full.shape == d.shape == (
        images.read_header(path)["Rows"],
        images.read_header(path)["Columns"],
    )


def test_default_dataset_and_tables_only_copy(demo_root, tmp_path, monkeypatch):
    monkeypatch.setenv("CXRKIT_ROOT", str(demo_root))
    assert StudyBrowser().dataset.root == demo_root.resolve()  # open_dataset(): $CXRKIT_ROOT or the demo
    root = make_demo(
        tmp_path / "tables", subjects=3, images=False, layout="single"
    )  # tables and reports, no image files
    browser = StudyBrowser(cxrkit.open_dataset(root, cache_dir=tmp_path / "cache"))
    listed = browser.dataset.study(browser.current_study_id).images
    assert listed and browser.current_dicom_id is None
    missing = [
        b for b in browser.thumbnails.children if "cxrkit-missing" in getattr(b.children[0], "value", "")
    ]
    assert len(missing) == len(listed)
    assert "none of this study" in visible_text(browser.viewer.status.value)
    assert "FINDINGS" in browser.report.value or "IMPRESSION" in browser.report.value
