"""StudyBrowser and ImageViewer driven from Python on demo data: what they send to the page after each action.

The page draws what the kernel posts (``shown(kind)``: the last content of each kind, what a view opening
now would get); the page's own messages are fed in through ``handle`` as the JavaScript sends them.
"""

from __future__ import annotations

import base64
import datetime as dt
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
from cxrkit.images import display
from cxrkit.widgets import Channel, ImageViewer, StudyBrowser

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


def busiest(ds) -> int:
    return ds.patients().sort("n_studies", "subject_id", descending=[True, False]).collect()["subject_id"][0]


def pane(widget, slot="a") -> dict:
    return widget.shown(f"pane:{slot}")


def test_first_study_is_shown_with_image_report_list_and_labels(browser, ds):
    sid = browser.current_study_id
    assert sid == browser.matches[0] and browser.shown("list")["current"] == sid
    study = ds.study(sid)
    assert browser.current_dicom_id == next(im.dicom_id for im in study.images if im.exists)
    image = next(im for im in study.images if im.dicom_id == browser.current_dicom_id)
    shown = pane(browser)
    assert shown["op"] == "image" and (shown["rows"], shown["cols"]) == expected_preview(image.path)
    (own,) = browser.shown_buffers("pane:a")  # the picture first: all the first paint needs
    (values,) = browser.shown_buffers("values:a")  # then the 16-bit values, paired by seq
    assert len(values) == 2 * shown["rows"] * shown["cols"] and len(own) == shown["rows"] * shown["cols"]
    assert browser.shown("values:a")["seq"] == shown["seq"]
    assert list(shown["presets"]) == ["own"]  # the other presets come with the values
    assert sorted(browser.shown("values:a")["presets"]) == ["auto", "bone", "lung", "own"]
    kinds = browser.shown_kinds()  # the order a view opening later gets them in
    assert kinds.index("pane:a") < kinds.index("values:a")
    sections = reports.parse_sections(study.report_text())
    key = sections.get("findings") or sections.get("impression")
    content = browser.shown("study")
    assert " ".join(key.split()) in visible_text(content["report"])
    assert "cxrkit-section-" in content["report"]  # findings/impression are emphasised
    assert len(browser.list_rows()) == len(browser.matches) == ds.studies().collect().height
    assert f"s{sid}" in browser.list_rows()[0]
    assert "CheXpert" in content["labels"] and "NegBio" in content["labels"]
    assert "positive" in content["labels"] and "not mentioned" in content["labels"]  # the legend
    assert content["header"].count("<tr>") > 10 and "ViewPosition" in content["header"]


def test_labels_table_no_finding_is_not_styled_as_a_disease(ds):
    browser = StudyBrowser(ds)
    labels = ds.chexpert().collect()
    healthy = labels.filter(pl.col("No Finding") == 1.0)["study_id"][0]
    sick = labels.filter(pl.col("Edema") == 1.0)["study_id"][0]
    for sid, name, css in ((healthy, "No Finding", "neg"), (sick, "Edema", "pos")):
        browser.select(sid)
        cells = dict(
            re.findall(r'<td class="name">([^<]+)</td><td class="(\w+)"', browser.shown("study")["labels"])
        )
        assert cells[name] == css


def test_select_images_and_read_only_ids(browser, ds):
    sid = two_image_study(ds)
    browser.select(f"s{sid}")
    assert browser.current_study_id == sid and browser.shown("list")["current"] == sid
    thumbs = browser.shown("study")["thumbs"]
    assert len(thumbs) == 2 and all(t["src"].startswith("data:image/png;base64,") for t in thumbs)
    other = ds.study(sid).images[1].dicom_id
    browser.handle({"kind": "image", "dicom_id": other}, [])  # a click on the second thumbnail
    assert browser.current_dicom_id == other and other in browser.shown("study")["header_title"]
    browser.next_image()  # n: round to the first image again
    assert browser.current_dicom_id == ds.study(sid).images[0].dicom_id
    with pytest.raises(AttributeError):
        browser.current_study_id = 1
    with pytest.raises(cxrkit.CxrkitError):
        browser.select(59999999)
    browser.handle({"kind": "select", "study_id": 59999999}, [])  # from the page: said, not raised
    assert "59999999" in browser.shown("notice")["text"]


def test_a_study_seen_before_follows_its_files_going_and_coming_back(ds):
    browser = StudyBrowser(ds)
    sid = two_image_study(ds)
    browser.select(sid)
    first = browser.current_dicom_id
    path = next(im.path for im in ds.study(sid).images if im.dicom_id == first)
    away = path.with_name(path.name + ".away")
    path.rename(away)
    try:
        browser.select(browser.matches[0] if browser.matches[0] != sid else browser.matches[1])
        browser.select(sid)  # the study is kept, but one of its files went: looked up again
        assert browser.current_dicom_id != first
        assert first[:8] in str(browser.shown("study")["thumbs"])  # listed as missing
    finally:
        away.rename(path)
    browser.select(browser.matches[0] if browser.matches[0] != sid else browser.matches[1])
    browser.select(sid)
    assert browser.current_dicom_id == first


def test_selecting_the_same_study_again_decodes_nothing(ds, monkeypatch):
    browser = StudyBrowser(ds)
    sid = two_image_study(ds)
    browser.select(sid)
    first = browser.shown_buffers("pane:a")
    browser.show_image(ds.study(sid).images[1].dicom_id)
    calls = []
    for name in ("thumbnail", "read_modality"):
        real = getattr(images, name)
        monkeypatch.setattr(images, name, lambda *a, _n=name, _f=real, **k: calls.append(_n) or _f(*a, **k))
    browser.select(sid)
    assert calls == []  # nothing decoded or read from the thumbnail cache again
    assert browser.shown_buffers("pane:a") == first


def test_next_previous_and_pages(ds):
    browser = StudyBrowser(ds)
    browser.page_size = 3
    browser.apply_filters()
    assert browser.shown("list")["first"] and len(browser.list_rows()) == 3
    browser.handle({"kind": "step", "delta": 1}, [])  # j or the next button
    assert browser.current_study_id == browser.matches[1]
    browser.handle({"kind": "step", "delta": -1}, [])
    assert browser.current_study_id == browser.matches[0]
    browser.step(3)  # onto the second page: the list follows
    assert browser.page == 1 and f"s{browser.matches[3]}" in browser.list_rows()[0]
    assert "showing 4-6" in browser.shown("list")["count"]
    browser.handle({"kind": "page", "page": 0}, [])  # paging leaves the study shown alone
    assert browser.page == 0 and browser.current_study_id == browser.matches[3]
    browser.show_page(99)
    assert browser.page == browser.shown("list")["pages"] - 1
    browser.select(browser.matches[-1])
    assert browser.shown("list")["last"]
    browser.step(1)
    assert browser.current_study_id == browser.matches[-1]


def test_filters_narrow_the_list(browser, ds):
    browser.clear_filters()
    everything = set(browser.matches)
    imgs = ds.images().collect()
    browser.set_filters(view="LATERAL")
    lateral = set(imgs.filter(pl.col("ViewPosition") == "LATERAL")["study_id"])
    assert set(browser.matches) == lateral & everything and 0 < len(lateral) < len(everything)
    assert browser.current_study_id in lateral
    browser.clear_filters()
    browser.handle({"kind": "filter", "name": "split", "value": "train"}, [])  # as the page sends it
    assert set(browser.matches) == set(imgs.filter(pl.col("split") == "train")["study_id"])
    browser.clear_filters()
    labels = ds.chexpert().collect()
    browser.set_filters(
        label_source="CheXpert", label_category="Pleural Effusion", label_value="positive (1)"
    )
    assert set(browser.matches) == set(labels.filter(pl.col("Pleural Effusion") == 1.0)["study_id"])
    browser.set_filters(label_value="blank")
    assert set(browser.matches) == set(labels.filter(pl.col("Pleural Effusion").is_null())["study_id"])
    browser.clear_filters()
    subject = busiest(ds)
    browser.set_filters(patient=f"p{subject}")
    assert browser.matches == ds.patient_studies(subject)["study_id"].to_list()
    browser.set_filters(patient="12")
    assert browser.matches == [] and "12" in browser.shown("list")["count"] and browser.shown("list")["error"]
    with pytest.raises(ValueError):
        browser.set_filters(colour="red")
    browser.clear_filters()
    assert set(browser.matches) == everything and browser.filters["patient"] == ""


def test_text_filter_matches_reports_and_marks_hits(browser, ds):
    browser.clear_filters()
    browser.set_filters(text="Effusion")
    assert browser.matches
    for sid in browser.matches:
        assert "effusion" in ds.study(sid).report_text().lower()
    assert re.search(r"<mark>effusion</mark>", browser.shown("study")["report"], re.IGNORECASE)
    browser.clear_filters()
    assert "<mark>" not in browser.shown("study")["report"]


def test_timeline_is_in_time_order_from_date_and_time(browser, ds):
    subject = busiest(ds)
    order = ds.patient_studies(subject)["study_id"].to_list()
    assert len(order) > 1
    browser.select(order[0])
    items = browser.shown("study")["timeline"]["items"]
    assert [it[0] for it in items] == order
    times = [it[1] for it in items if it[1] is not None]
    assert times == sorted(times)
    browser.handle({"kind": "timeline", "study_id": order[-1]}, [])  # a click on the last dot opens it
    assert browser.current_study_id == order[-1]


def test_compare_with_the_prior_in_time_order_with_both_reports_and_the_interval(ds):
    browser = StudyBrowser(ds)
    subject = busiest(ds)
    order = ds.patient_studies(subject)["study_id"].to_list()
    browser.select(order[2])
    browser.handle({"kind": "mode", "mode": "compare"}, [])  # the c key
    assert browser.mode == "compare" and browser.prior_study_id == order[1]  # the latest earlier study
    current, prior = ds.study(order[2]), ds.study(order[1])
    days = (
        dt.datetime.combine(current.study_date, current.study_time)
        - dt.datetime.combine(prior.study_date, prior.study_time)
    ).total_seconds() / 86400
    content = browser.shown("study")
    assert content["prior"]["interval"] == f"{round(days)} days earlier"
    assert " ".join(prior.report_text().split()[-6:]) in visible_text(content["prior"]["report"])
    assert " ".join(current.report_text().split()[-6:]) in visible_text(content["report"])
    assert pane(browser, "b")["op"] == "image" and pane(browser, "b")["caption"].startswith("prior ")
    browser.handle({"kind": "prior_step", "delta": -1}, [])  # [: an earlier prior
    assert browser.prior_study_id == order[0]
    browser.handle({"kind": "timeline", "study_id": order[-1]}, [])  # in compare mode a dot picks the prior
    assert browser.current_study_id == order[2] and browser.prior_study_id == order[-1]
    assert "later" in browser.shown("study")["prior"]["interval"]
    browser.select(order[0])  # the first study: compared with the next one
    assert browser.prior_study_id == order[1]
    browser.handle({"kind": "mode", "mode": "compare"}, [])  # c again: back to one image
    assert browser.mode == "single" and browser.prior_study_id is None and browser.shown("pane:b") is None
    other = ds.patients().filter(pl.col("subject_id") != subject).collect()["subject_id"][0]
    with pytest.raises(ValueError, match="not a study of patient"):
        browser.compare(prior=ds.patient_studies(other)["study_id"][0])


def test_hanging_frontal_and_lateral(ds):
    browser = StudyBrowser(ds)
    sid = next(
        s for s in browser.matches
        if {"PA", "LATERAL"} <= {im.view_position for im in ds.study(s).images}
    )  # fmt: skip
    browser.select(sid)
    browser.set_mode("hang")
    assert pane(browser, "a")["caption"].startswith("PA") and pane(browser, "b")["caption"].startswith(
        "LATERAL"
    )
    browser.step(1)
    assert browser.mode == "hang" and pane(browser, "b") is not None


def test_measurement_uses_the_files_pixel_spacing(browser, ds):
    study = ds.study(browser.current_study_id)
    image = next(im for im in study.images if im.dicom_id == browser.current_dicom_id)
    header = images.read_header(image.path)
    shown = pane(browser)
    assert shown["spacing_source"] == "PixelSpacing"
    assert shown["spacing"] == [float(v) for v in header["PixelSpacing"]]
    assert shown["shape"] == [header["Rows"], header["Columns"]]


def test_viewer_on_its_own(demo_root):
    arr = np.random.default_rng(0).integers(0, 4096, (600, 500)).astype(np.uint16)
    viewer = ImageViewer(arr, max_size=256)
    assert viewer.picture_shape == (200, 166) and viewer.shown("image")["shape"] == [600, 500]
    assert viewer.shown("image")["spacing"] is None  # a plain array: lengths in pixels only
    viewer.set_window(2048, 100)
    assert viewer.window == (2048.0, 100.0) and viewer.shown("window") == {
        "kind": "window",
        "c": 2048.0,
        "w": 100.0,
    }
    viewer.handle({"kind": "window", "c": 1000, "w": 500}, [])  # the page reports a drag's end
    assert viewer.window == (1000.0, 500.0)
    viewer.handle({"kind": "measure", "length": {"px": 10.0, "mm": None}}, [])
    assert viewer.length == {"px": 10.0, "mm": None}
    path = next((demo_root / "files").rglob("*.dcm"))
    viewer.show(path)
    assert viewer.picture_shape == expected_preview(path, 256) and viewer.shown("window") is None
    viewer.show(demo_root / "files" / "nothing.dcm")
    assert viewer.shown("image") is None and "no such file" in viewer.shown("clear")["text"]
    with pytest.raises(ValueError):
        viewer.set_preset("soft")


def test_pane_pixels_agree_with_images_read_image(demo_root):
    """The pane's picture is the kit's: read_image's with the file's own VOI (MONOCHROME1, VOI LUT,
    windows), and within one grey level of it for any window the page computes."""
    import pydicom

    viewer = ImageViewer(max_size=1024)
    seen = set()
    for path in sorted((demo_root / "files").rglob("*.dcm")):
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        viewer.show(path)  # the file's own window
        np.testing.assert_array_equal(
            viewer.picture(), display.to_uint8(images.read_image(path, max_size=1024))
        )
        center, width = 1500.0, 2000.0
        viewer.set_window(center, width)
        ref = display.to_uint8(images.read_image(path, max_size=1024, window=(center, width)))
        assert np.abs(viewer.picture().astype(int) - ref).max() <= 1
        seen.add(ds.PhotometricInterpretation)
        seen.add("VOI LUT" if "VOILUTSequence" in ds else "window")
    assert seen == {"MONOCHROME1", "MONOCHROME2", "VOI LUT", "window"}


def test_partial_download_shows_missing_images(demo_root, tmp_path):
    root = tmp_path / "partial"
    shutil.copytree(demo_root, root)
    ds = cxrkit.open_dataset(root, cache_dir=tmp_path / "cache")
    sid = two_image_study(ds)
    first, second = ds.study(sid).images
    first.path.unlink()
    browser = StudyBrowser(ds, study_id=sid)
    assert browser.current_dicom_id == second.dicom_id  # the image that is there is shown large
    thumbs = browser.shown("study")["thumbs"]
    assert [t["src"] is None for t in thumbs] == [True, False] and "missing" in thumbs[0]["note"]
    assert "missing" in browser.shown("study")["title"]
    browser.show_image(first.dicom_id)  # disabled in the page; from Python it says why
    assert pane(browser)["op"] == "clear" and "missing" in pane(browser)["text"]
    second.path.unlink()
    browser.select(sid)
    assert browser.current_dicom_id is None and "none of this study's images" in pane(browser)["text"]
    assert browser.shown("study")["report"]  # the report is still there


def test_jpg_copy(tmp_path):
    root = make_demo(tmp_path / "jpg", subjects=6, flavor="jpg", layout="single")
    ds = cxrkit.open_dataset(root, cache_dir=tmp_path / "cache")
    browser = StudyBrowser(ds)
    image = next(im for im in ds.study(browser.current_study_id).images if im.exists)
    assert image.path.suffix == ".jpg" and browser.current_dicom_id == image.dicom_id
    assert (pane(browser)["rows"], pane(browser)["cols"]) == expected_preview(image.path)
    assert "no reports" in browser.shown("study")["report"] and not browser.shown("filters")["has_reports"]
    browser.step(1)
    assert browser.current_study_id == browser.matches[1]


def test_gzipped_dicom_copy(tmp_path):
    root = make_demo(tmp_path / "gz", subjects=4, flavor="dicom-gz", layout="single")
    browser = StudyBrowser(cxrkit.open_dataset(root, cache_dir=tmp_path / "cache"))
    assert browser.current_dicom_id and pane(browser)["op"] == "image"


def test_nothing_shown_is_in_widget_state(browser, ds):
    """ids, list rows, report text and pixels go in custom messages; the state embed and save is code."""
    import ipywidgets
    from ipywidgets.embed import embed_data

    browser.clear_filters()
    browser.select(browser.matches[0])
    study = ds.study(browser.current_study_id)
    assert browser.shown_buffers("pane:a") and study.report_text()  # the live widget does show them
    saved = json.dumps(embed_data(views=[browser])["manager_state"]) + json.dumps(
        ipywidgets.Widget.get_manager_state()
    )
    assert browser.model_id in saved
    for text in (str(study.subject_id), str(study.study_id), browser.current_dicom_id, PNG_BASE64):
        assert text not in saved
    for line in study.report_text().splitlines():
        assert len(line.strip()) < 20 or line.strip() not in saved
    assert "buffers" not in json.dumps(
        embed_data(views=[browser])["manager_state"]["state"][browser.model_id]
    )


def test_a_view_that_opens_later_gets_what_is_shown(monkeypatch):
    channel = Channel()
    sent = []
    monkeypatch.setattr(channel, "send", lambda content, buffers=None: sent.append((content, buffers)))
    channel.post("a", {"x": 1}, [b"\x00\x01"])
    channel.post("b", {"y": 2})
    channel.post("a", {"x": 3})  # replaces the first: a later view gets the latest, in order
    sent.clear()
    channel._on_message(channel, {"kind": "ready"}, [])
    assert [c for c, _ in sent] == [{"kind": "b", "y": 2}, {"kind": "a", "x": 3}]


def test_report_is_escaped_with_its_sections_and_the_search_marked(tmp_path):
    root = make_demo(tmp_path / "d", subjects=2, images=False, layout="single")
    (root / "mimic-cxr-reports.zip").unlink()  # the reports are read from files/ only
    ds = cxrkit.open_dataset(root, cache_dir=tmp_path / "cache")
    study = ds.study(ds.studies().collect()["study_id"][0])
    study.report_path.write_text(" FINDINGS: a <b> & c\n IMPRESSION: Clear <script>")
    browser = StudyBrowser(ds, study_id=study.study_id)
    browser.set_filters(text="clear")  # the report search: what it finds is marked
    assert browser.current_study_id == study.study_id
    out = browser.shown("study")["report"]
    assert "<script>" not in out and "&lt;script&gt;" in out and "&amp;" in out
    assert (
        "<mark>Clear</mark>" in out
        and "cxrkit-section-impression" in out
        and "cxrkit-section-findings" in out
    )


def test_thumbnails_are_pngs_of_the_study(browser, ds):
    sid = two_image_study(ds)
    browser.select(sid)
    for thumb in browser.shown("study")["thumbs"]:
        data = base64.b64decode(thumb["src"].split(",", 1)[1])
        with PILImage.open(io.BytesIO(data)) as im:
            assert max(im.size) <= browser.thumb_size


def test_default_dataset_and_tables_only_copy(demo_root, tmp_path, monkeypatch):
    monkeypatch.setenv("CXRKIT_ROOT", str(demo_root))
    assert StudyBrowser().dataset.root == demo_root.resolve()  # open_dataset(): $CXRKIT_ROOT or the demo
    root = make_demo(tmp_path / "tables", subjects=3, images=False, layout="single")  # no image files
    browser = StudyBrowser(cxrkit.open_dataset(root, cache_dir=tmp_path / "cache"))
    listed = browser.dataset.study(browser.current_study_id).images
    assert listed and browser.current_dicom_id is None
    assert [t["src"] for t in browser.shown("study")["thumbs"]] == [None] * len(listed)
    assert "none of this study" in pane(browser)["text"]
    report = browser.shown("study")["report"]
    assert "FINDINGS" in report or "IMPRESSION" in report


def test_zoomed_in_panes_get_full_resolution_tiles(ds, demo_root, monkeypatch):
    path = next((demo_root / "files").rglob("*.dcm"))
    viewer = ImageViewer(path, max_size=128)
    meta = viewer.shown("image")
    assert meta["shape"][0] > meta["rows"]  # the preview is averaged down: a zoom can ask for more
    sent = []
    monkeypatch.setattr(viewer, "send", lambda content, buffers=None: sent.append((content, buffers)))
    viewer.handle({"kind": "tile", "box": [100, 228, 50, 178], "token": 7}, [])
    ((reply, (values, _own)),) = sent
    assert reply["kind"] == "tile" and reply["token"] == 7 and reply["box"] == [100, 228, 50, 178]
    full = images.read_modality(path)[0][100:228, 50:178]  # 128 x 128: every full-resolution pixel
    q = np.frombuffer(values, "<u2").reshape(128, 128) * meta["scale"] + meta["lo"]
    inside = (full >= meta["range"][0]) & (full <= meta["range"][1])
    np.testing.assert_allclose(q[inside], full[inside], atol=meta["scale"])
    assert viewer.shown("tile") is None  # sent as asked for, not kept for later views
    browser = StudyBrowser(ds, max_size=128)
    monkeypatch.setattr(browser, "send", lambda content, buffers=None: sent.append((content, buffers)))
    browser.handle({"kind": "tile", "slot": "a", "box": [0, 64, 0, 64], "token": 1}, [])
    reply = next(content for content, _ in reversed(sent) if content["kind"] == "tile")
    assert reply["slot"] == "a" and reply["rows"] == 64 and browser.last_tile["token"] == 1


def test_each_request_from_the_page_is_answered_with_done(ds, monkeypatch):
    """The page holds further steps (adding them up) until the kernel is done with one: a held key does not
    queue one study per key repeat, and a step that goes nowhere (the end of the list) is answered too."""
    browser = StudyBrowser(ds)
    sent = []
    monkeypatch.setattr(browser, "send", lambda content, buffers=None: sent.append(content))
    browser.handle({"kind": "step", "delta": 1}, [])
    assert [m["kind"] for m in sent][-1] == "done" and "study" in [m["kind"] for m in sent]
    browser.select(browser.matches[-1])
    sent.clear()
    browser.handle({"kind": "step", "delta": 1}, [])
    assert sent == [{"kind": "done", "request": "step"}]
