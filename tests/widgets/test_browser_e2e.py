"""The widgets in a real browser: JupyterLab + headless Debian Chromium driven by Playwright.

One throwaway JupyterLab per module (127.0.0.1, a random token, temporary root, HOME, config, data, runtime
and settings folders) serves a small notebook that opens a demo dataset generated here (``CXRKIT_ROOT``) and
shows a ``StudyBrowser`` and an ``ImageViewer`` of a synthetic image with a known pixel spacing. The page runs
all cells through ``window.jupyterapp.commands``; the tests then click, drag, wheel and press keys as a user
would and read back what the page shows (the panes publish their window, zoom and view transform as data
attributes). Screenshots and the measured paint times are saved in the module's temporary folder.
JupyterLab and its kernel are shut down at the end.

Without ``/usr/bin/chromium`` the test skips, except with ``CI`` set, where it fails.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest

from benchmarks.browser_page import ARGS as CHROMIUM_ARGS
from benchmarks.browser_page import CHROMIUM, KERNEL_IDLE, jupyterlab
from cxrkit.tables import FRONTAL_VIEWS, LATERAL_VIEWS

SPACING = (0.2, 0.3)  # mm between rows, between columns of the synthetic image
NOTEBOOK_CELLS = [
    (
        "import numpy as np\nimport cxrkit\nfrom cxrkit.widgets import ImageViewer, StudyBrowser\n\n"
        "ds = cxrkit.open_dataset()  # $CXRKIT_ROOT"
    ),
    "browser = StudyBrowser(ds, height='480px')\nbrowser",
    (
        "ramp = np.add.outer(np.arange(300), np.arange(400)).astype(np.uint16) * 4\n"
        f"viewer = ImageViewer(ramp, spacing={SPACING}, height='360px')\nviewer"
    ),
    "tiled = ImageViewer(ramp, max_size=100, height='300px')\ntiled.add_class('tiled')\ntiled",
    "marker = 'the last cell'",
]


def _require_browser() -> None:
    problem = None
    if not CHROMIUM.exists():
        problem = f"{CHROMIUM} is missing (Debian: apt-get install -y chromium; .ci/run installs it)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "playwright is not installed (pip install -e '.[test]')"
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"browser test cannot run in CI: {problem}")
        pytest.skip(problem)


def _write_notebook(path: Path) -> None:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in NOTEBOOK_CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


BROWSER = ".cxb-root"
VIEWER = ".cxrkit-viewer.cx-root:not(.tiled)"
TILED = ".cxrkit-viewer.tiled"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """``(page, expected browser, folder)``: the notebook run in JupyterLab in Chromium, one per module."""
    _require_browser()
    from playwright.sync_api import sync_playwright

    import cxrkit
    from cxrkit.demo import make_demo
    from cxrkit.widgets import StudyBrowser

    tmp = tmp_path_factory.mktemp("lab")
    root = make_demo(tmp / "demo", subjects=4, layout="single")
    cache = tmp / "cache"
    expected = StudyBrowser(cxrkit.open_dataset(root, cache_dir=cache))  # what the page should show
    (tmp / "root").mkdir()
    _write_notebook(tmp / "root" / "browser.ipynb")
    env = {"CXRKIT_ROOT": str(root), "CXRKIT_CACHE": str(cache)}
    with jupyterlab(tmp, env, timeout=60) as (base, token), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{base}/lab/tree/browser.ipynb?token={token}", wait_until="domcontentloaded")
            page.wait_for_function(KERNEL_IDLE, timeout=60_000)
            page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
            for where in (BROWSER + " .cxb-a", VIEWER, TILED):
                page.wait_for_function(
                    "sel => { const p = document.querySelector(sel + ' .cxp-pane');"
                    " return p && Number(p.dataset.shown) > 0; }",
                    arg=where,
                    timeout=60_000,
                )
            page.wait_for_function(KERNEL_IDLE, timeout=60_000)
            yield page, expected, tmp
            assert errors == [], f"errors in the page: {errors}"
        finally:
            browser.close()


def key_text(expected, study_id: int) -> str:
    """The first words of the study's findings (or impression)."""
    from cxrkit import reports

    text = expected.dataset.study(study_id).report_text()
    sections = reports.parse_sections(text)
    return " ".join((sections.get("findings") or sections.get("impression") or text).split()[:8])


def state(page, scope: str = BROWSER + " .cxb-a") -> dict:
    """What a pane shows (its data attributes) and, for the browser, the list, report and title."""
    return page.evaluate(
        """sel => {
            const p = document.querySelector(sel + ' .cxp-pane');
            const b = document.querySelector('.cxb-root');
            const cur = b.querySelector('.cxb-row.cxb-current');
            const text = s => {
                const e = b.querySelector(s); return e ? e.innerText.replace(/\\s+/g, ' ') : ''; };
            return {...p.dataset, values: p.querySelector('.cxp-values').textContent,
                    selected: cur ? cur.textContent : '', rows: b.querySelectorAll('.cxb-row').length,
                    report: text('.cxb-report'), prior_report: text('.cxb-prior-report'),
                    interval: text('.cxb-interval'), title: text('.cxb-title'), mode: b.dataset.mode || '',
                    legend: !b.querySelector('.cx-legend').hidden};
        }""",
        scope,
    )


def notebook_state(page) -> dict:
    """Which cell is active, the cells' order and the notebook's mode (what leaked keys would change)."""
    return page.evaluate(
        """() => { const nb = window.jupyterapp.shell.currentWidget.content;
            return {active: nb.activeCellIndex, mode: nb.mode,
                    cells: nb.widgets.map(c => c.model.sharedModel.getSource())}; }"""
    )


def wait_state(page, condition: str, arg=None, scope: str = BROWSER + " .cxb-a", timeout: int = 20_000):
    page.wait_for_function(
        "([sel, arg]) => { const p = document.querySelector(sel + ' .cxp-pane');"
        " const b = document.querySelector('.cxb-root');"
        f" return ({condition}); }}",
        arg=[scope, arg],
        timeout=timeout,
    )


def canvas_box(page, scope: str) -> dict:
    """The canvas's box once the page has settled: scrolled into view, not moving, and under the pointer.

    A relayout (after a viewport change, or a cell output growing) can move the canvas after it is
    measured; a wheel or a drag sent to the old place would then scroll the notebook instead.
    """
    el = page.locator(scope + " .cxp-canvas").first
    el.evaluate("e => e.scrollIntoView({block: 'center'})")  # clear of the toolbars and the status bar
    page.wait_for_function(
        """sel => { const c = document.querySelector(sel + ' .cxp-canvas');
            const r = c.getBoundingClientRect(), key = [r.x, r.y, r.width, r.height].join();
            const still = c._cxBox === key; c._cxBox = key;
            return still && document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === c; }""",
        arg=scope,
        polling=100,
        timeout=20_000,
    )
    return el.bounding_box()


def test_browser_shows_the_study_and_next_changes_it(lab):
    page, expected, tmp = lab
    first, second = expected.matches[0], expected.matches[1]
    page.locator(BROWSER).scroll_into_view_if_needed()
    before = state(page)
    assert key_text(expected, first) in before["report"] and f"s{first}" in before["selected"]
    assert before["rows"] == len(expected.matches) and before["preset"] == "own"
    assert "C " in before["values"] and "zoom 1.00" in before["values"]  # the window values are shown
    visible = page.evaluate(
        """() => [...document.querySelectorAll('.cxb-a .cxp-bar button')].map(b => {
            const r = b.getBoundingClientRect(); return r.width > 0 && r.height > 0; })"""
    )
    assert len(visible) >= 9 and all(visible)  # presets, invert, reset and tools at zoom 1 (once hidden)
    page.screenshot(path=str(tmp / "browser-first.png"))
    t0 = page.evaluate("() => performance.now()")
    page.click(BROWSER + " button.cxrkit-next")
    wait_state(
        page,
        "Number(p.dataset.shown) > arg[0]"
        " && b.querySelector('.cxb-report').innerText.replace(/\\s+/g, ' ').includes(arg[1])",
        [int(before["shown"]), key_text(expected, second)],
    )
    first_paint = page.evaluate("() => performance.now()") - t0
    wait_state(page, "p.dataset.values !== undefined")  # the 16-bit values follow the picture
    after = state(page)
    assert f"s{second}" in after["selected"] and after["report"] != before["report"]
    (tmp / "timings.json").write_text(json.dumps({"next_to_painted_ms": first_paint}))
    page.screenshot(path=str(tmp / "browser.png"))


def test_drag_sets_the_window_and_shows_its_values(lab):
    page, _, tmp = lab
    box = canvas_box(page, BROWSER + " .cxb-a")
    before = state(page)
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for k in range(1, 11):  # right and up: wider, lower centre... step by step as a hand would
        page.mouse.move(x + 8 * k, y - 5 * k)
    page.mouse.up()
    wait_state(page, "p.dataset.own === '0'")
    after = state(page)
    assert float(after["width"]) > float(before["width"]) and float(after["center"]) < float(before["center"])
    assert after["preset"] == "" and after["own"] == "0"
    shown = f"C {float(after['center']):.0f} W {float(after['width']):.0f}"
    assert shown in after["values"]  # the values the window has are the values shown
    paint = float(after["paintMs"])
    timings = json.loads((tmp / "timings.json").read_text()) if (tmp / "timings.json").exists() else {}
    (tmp / "timings.json").write_text(json.dumps({**timings, "drag_step_paint_ms": paint}))
    page.screenshot(path=str(tmp / "browser-drag.png"))


def test_wheel_zooms_about_the_pointer(lab):
    page, _, _ = lab
    box = canvas_box(page, BROWSER + " .cxb-a")
    px, py = box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.4
    v0 = json.loads(state(page)["view"])
    page.mouse.move(px, py)
    page.mouse.wheel(0, -300)
    wait_state(page, "Number(p.dataset.zoom) > 1.2")
    after = state(page)
    v1 = json.loads(after["view"])
    cx, cy = px - box["x"], py - box["y"]  # the image point under the pointer stays under it
    before_pt = ((cx - v0["tx"]) / v0["s"], (cy - v0["ty"]) / v0["s"])
    after_pt = ((cx - v1["tx"]) / v1["s"], (cy - v1["ty"]) / v1["s"])
    assert abs(before_pt[0] - after_pt[0]) < 1 and abs(before_pt[1] - after_pt[1]) < 1
    assert f"zoom {float(after['zoom']):.2f}" in after["values"]
    page.mouse.dblclick(px, py)  # reset
    wait_state(page, "Math.abs(Number(p.dataset.zoom) - 1) < 1e-6 && p.dataset.preset === 'own'")


def test_keys_act_on_the_widget_and_never_reach_jupyterlab(lab):
    page, expected, tmp = lab
    m = expected.matches
    page.locator(BROWSER + " .cxb-title").click()  # focus the widget
    nb0 = notebook_state(page)

    def shows(study_id):
        wait_state(
            page, "(b.querySelector('.cxb-row.cxb-current') || {}).textContent.includes(arg)", f"s{study_id}"
        )

    i = next(k for k, sid in enumerate(m) if f"s{sid}" in state(page)["selected"])
    assert i + 2 < len(m)
    page.keyboard.press("j")
    shows(m[i + 1])
    page.keyboard.press("ArrowDown")
    shows(m[i + 2])
    page.keyboard.press("k")
    shows(m[i + 1])
    page.keyboard.press("ArrowUp")
    shows(m[i])
    page.keyboard.type("jj")  # faster than the kernel answers: each key counts once
    shows(m[i + 2])
    page.wait_for_function(KERNEL_IDLE, timeout=20_000)
    assert f"s{m[i + 2]}" in state(page)["selected"]
    page.keyboard.type("kkkkkkkkkk")  # a burst (a held key): added up while the kernel works, then clamped
    shows(m[0])
    page.keyboard.type("jj")
    shows(m[2])
    page.wait_for_function(KERNEL_IDLE, timeout=20_000)
    assert f"s{m[2]}" in state(page)["selected"]
    page.keyboard.press("i")
    wait_state(page, "p.dataset.invert === '1'")
    page.keyboard.press("2")
    wait_state(page, "p.dataset.preset === 'lung'")
    page.keyboard.press("r")
    wait_state(page, "p.dataset.preset === 'own' && p.dataset.own === '1'")
    page.keyboard.press("i")
    wait_state(page, "p.dataset.invert === '0'")
    page.keyboard.press("?")
    assert state(page)["legend"]
    page.screenshot(path=str(tmp / "browser-legend.png"))
    page.keyboard.press("Escape")
    assert not state(page)["legend"]
    nb1 = notebook_state(page)
    assert nb1 == nb0, "a key reached JupyterLab: the notebook's active cell, order or mode changed"


def test_compare_mode_shows_both_studies_their_reports_and_the_interval(lab):
    page, expected, tmp = lab
    ds = expected.dataset
    subject = ds.patients().sort("n_studies", descending=True).collect()["subject_id"][0]
    order = ds.patient_studies(subject)["study_id"].to_list()
    expected.select(order[1])
    expected.compare()
    interval = expected.shown("study")["prior"]["interval"]
    page.click(f"{BROWSER} .cxb-row[data-sid='{order[1]}']")  # a click in the list (and focus)
    wait_state(
        page, "(b.querySelector('.cxb-row.cxb-current') || {}).textContent.includes(arg)", f"s{order[1]}"
    )
    page.keyboard.press("c")
    wait_state(
        page, "b.dataset.mode === 'compare' && b.querySelector('.cxb-interval').textContent.length > 0"
    )
    page.wait_for_function(
        "() => { const p = document.querySelector('.cxb-b .cxp-pane');"
        " return p && !p.classList.contains('cxp-empty'); }",
        timeout=20_000,
    )
    st = state(page)
    assert interval in st["interval"] and interval.endswith("earlier")
    assert key_text(expected, order[1]) in st["report"] and key_text(expected, order[0]) in st["prior_report"]
    widths = page.evaluate(
        "() => ['.cxb-a', '.cxb-b']"
        ".map(s => document.querySelector(s + ' .cxp-canvas').getBoundingClientRect().width)"
    )
    assert min(widths) > 200  # side by side, both usable
    page.keyboard.press("2")  # window follows: both panes on the lung preset
    wait_state(page, "p.dataset.preset === 'lung'", scope=BROWSER + " .cxb-b")
    box = canvas_box(page, BROWSER + " .cxb-a")
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.wheel(0, -300)  # zoom follows too
    wait_state(page, "Number(p.dataset.zoom) > 1.2", scope=BROWSER + " .cxb-a")
    zoom_a = float(state(page, BROWSER + " .cxb-a")["zoom"])
    wait_state(page, "Math.abs(Number(p.dataset.zoom) - arg) < 1e-6", zoom_a, scope=BROWSER + " .cxb-b")
    page.screenshot(path=str(tmp / "browser-compare.png"))
    page.keyboard.press("c")
    wait_state(page, "b.dataset.mode === 'single'")
    page.keyboard.press("h")  # frontal and lateral of the study side by side
    wait_state(page, "b.dataset.mode === 'hang'")
    captions = page.evaluate(
        "() => ['.cxb-a', '.cxb-b'].map(s => document.querySelector(s + ' .cxp-caption').textContent)"
    )
    frontal, side = (c.split(" · ")[0] for c in captions)
    assert frontal in FRONTAL_VIEWS and side in LATERAL_VIEWS, captions
    page.screenshot(path=str(tmp / "browser-hang.png"))
    page.keyboard.press("h")
    wait_state(page, "b.dataset.mode === 'single'")


def test_length_tool_measures_a_known_distance_in_mm(lab):
    page, _, tmp = lab
    box = canvas_box(page, VIEWER)
    page.locator(VIEWER + " [data-tool=measure]").click()
    view = json.loads(state(page, VIEWER)["view"])

    def at(ix, iy):  # page coordinates of image pixel (ix, iy)
        return box["x"] + view["tx"] + ix * view["s"], box["y"] + view["ty"] + iy * view["s"]

    (ax, ay), (bx, by) = at(50, 40), at(350, 240)  # 300 columns and 200 rows apart
    page.mouse.move(ax, ay)
    page.mouse.down()
    page.mouse.move((ax + bx) / 2, (ay + by) / 2)
    page.mouse.move(bx, by)
    page.mouse.up()
    wait_state(page, "p.dataset.length !== ''", scope=VIEWER)
    length = json.loads(state(page, VIEWER)["length"])
    want = math.hypot(200 * SPACING[0], 300 * SPACING[1])
    tolerance = 2 / view["s"] * max(SPACING)  # the pointer lands on whole CSS pixels
    assert abs(length["mm"] - want) < tolerance, (length, want)
    assert f"{length['mm']:.1f} mm (from PixelSpacing)" in state(page, VIEWER)["values"]
    page.screenshot(path=str(tmp / "viewer-measure.png"))
    page.keyboard.press("Escape")
    wait_state(page, "p.dataset.length === ''", scope=VIEWER)


def test_pixel_probe_reads_the_stored_value_under_the_pointer(lab):
    page, _, _ = lab
    box = canvas_box(page, VIEWER)
    view = json.loads(state(page, VIEWER)["view"])
    ix, iy = 123, 77  # the ramp holds (row + column) * 4
    page.mouse.move(
        box["x"] + view["tx"] + (ix + 0.5) * view["s"], box["y"] + view["ty"] + (iy + 0.5) * view["s"]
    )
    wait_state(page, "p.dataset.probe && JSON.parse(p.dataset.probe).x === arg", ix, scope=VIEWER)
    probe = json.loads(state(page, VIEWER)["probe"])
    assert (probe["x"], probe["y"], probe["value"]) == (ix, iy, (ix + iy) * 4)
    text = page.locator(VIEWER + " .cxp-probe").text_content()
    assert f"value {(ix + iy) * 4}" in text and f"shown {probe['shown']}" in text


def test_text_filter_follows_typing_without_enter(lab):
    page, expected, _ = lab
    expected.set_filters(text="effusion")
    n = len(expected.matches)
    expected.clear_filters()
    assert 0 < n < len(expected.matches)
    page.locator(BROWSER + " .cxb-text").scroll_into_view_if_needed()
    page.locator(BROWSER + " .cxb-text").type("effusion", delay=30)  # no Enter
    wait_state(page, "b.querySelectorAll('.cxb-row').length === arg", n)
    wait_state(page, "b.querySelector('.cxb-report mark') !== null")  # the hit is marked in the report
    page.click(BROWSER + " .cxb-clear")
    wait_state(page, "b.querySelectorAll('.cxb-row').length === arg", len(expected.matches))
    assert page.locator(BROWSER + " .cxb-text").input_value() == ""


def test_layout_holds_from_1100_to_1920_pixels(lab):
    page, _, tmp = lab
    measure = """() => { const b = document.querySelector('.cxb-root');
        const box = s => b.querySelector(s).getBoundingClientRect();
        return {overflow: b.scrollWidth - b.clientWidth, pane: box('.cxb-a .cxp-canvas').width,
                list: box('.cxb-list').width, report: box('.cxb-report').width,
                report_left: box('.cxb-report').left, pane_right: box('.cxb-a .cxp-canvas').right}; }"""
    try:
        for width in (1100, 1920):
            page.set_viewport_size({"width": width, "height": 1000})
            page.wait_for_timeout(300)  # the panes follow their size (ResizeObserver)
            page.locator(BROWSER).scroll_into_view_if_needed()
            got = page.evaluate(measure)
            page.screenshot(path=str(tmp / f"browser-{width}.png"))
            assert got["overflow"] <= 1, (width, got)  # nothing cut at the right edge
            assert got["pane"] >= 380 and got["list"] >= 170 and got["report"] >= 250, (width, got)
            if width == 1920:  # wide: the report beside the image
                assert got["report_left"] >= got["pane_right"], got
    finally:
        page.set_viewport_size({"width": 1400, "height": 1000})


def test_zooming_in_fetches_the_full_resolution_region(lab):
    page, _, tmp = lab
    box = canvas_box(page, TILED)
    assert "tile" not in state(page, TILED)  # at fit the preview (100 x 75 of 400 x 300) is enough
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for _ in range(4):
        page.mouse.wheel(0, -400)
    wait_state(page, "p.dataset.tile !== undefined", scope=TILED)
    top, bottom, left, right = json.loads(state(page, TILED)["tile"])
    assert 0 <= top < bottom <= 300 and 0 <= left < right <= 400
    assert (bottom - top) * (right - left) < 300 * 400  # the part in view, not the whole image
    page.mouse.move(box["x"] + box["width"] / 2 + 3, box["y"] + box["height"] / 2 + 2)  # the probe reads it
    wait_state(page, "p.dataset.probe && JSON.parse(p.dataset.probe).block[0] === 1", scope=TILED)
    probe = json.loads(state(page, TILED)["probe"])
    assert probe["value"] == (probe["full"][0] + probe["full"][1]) * 4  # the stored value, not a 4x4 mean
    page.screenshot(path=str(tmp / "viewer-tile.png"))
    page.mouse.dblclick(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    wait_state(page, "p.dataset.tile === undefined", scope=TILED)


def test_jupyterlab_saving_widget_state_keeps_nothing_identifying(lab):
    """With "Save Widget State Automatically" on, JupyterLab writes every widget model's state into the file:
    the browser's (after all the tests above) must hold no id, report text or image bytes."""
    page, expected, tmp = lab
    toggle = "@jupyter-widgets/jupyterlab-manager:saveWidgetState"
    page.evaluate(f"() => window.jupyterapp.commands.execute('{toggle}')")
    page.wait_for_function(f"() => window.jupyterapp.commands.isToggled('{toggle}')", timeout=10_000)
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
    path = tmp / "root" / "browser.ipynb"
    page.wait_for_function("() => !window.jupyterapp.shell.currentWidget.context.model.dirty", timeout=20_000)
    saved = json.loads(path.read_text())
    state = saved["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    assert any(m["model_name"] == "AnyModel" for m in state.values())  # the state was saved
    text = json.dumps(state)
    records = expected.dataset.records().collect()
    ids = {str(v) for col in ("subject_id", "study_id", "dicom_id") for v in records[col].unique()}
    assert sorted(i for i in ids if i in text) == []
    for sid in expected.matches:
        report = " ".join(expected.dataset.study(sid).report_text().split())
        for sentence in (s.strip() for s in report.split(".")):
            assert len(sentence) < 25 or sentence not in text
    assert "iVBORw0KGgo" not in text and not any(m.get("buffers") for m in state.values())
