"""Rows 11-12: ``StudyBrowser.select()`` of a 2-image full-size study, against pydicom + matplotlib;
rows 20-21: the image pane in Chromium (a window/level drag step; ``select()`` to the first paint in
JupyterLab), against their targets (16 ms, 150 ms) and the floor a page can reach (see the comment above
``DRAG_STEPS``; they need ``/usr/bin/chromium`` and Playwright, and say so when either is missing).

Row 11: cold cache: a new cache folder each repetition, the browser built showing another study, then the
timed ``select(study)`` (decodes the first image and makes the pane's 16-bit and 8-bit buffers, both
thumbnails, report, labels, timeline).
Row 12: the same selection again in the same browser.
Baseline (both rows): for each of the study's two images, ``pydicom.dcmread(path).pixel_array``, matplotlib
``imshow`` and ``savefig`` to PNG (what a user does to look at a study without the kit).
"""

from __future__ import annotations

import io
import time

from .harness import Group, Line, Side, module_available


def _available() -> str | None:
    return module_available("cxrkit.widgets", "StudyBrowser")


def _browser(ctx, cache: str):
    import cxrkit
    from cxrkit.widgets import StudyBrowser

    ds = cxrkit.open_dataset(ctx["dicom_dataset"], cache_dir=cache)
    return StudyBrowser(ds, study_id=ctx["other_study"])  # showing another study: the target stays cold


def _shown(browser) -> list[str]:
    ids = sorted(t["dicom_id"] for t in browser.shown("study")["thumbs"])
    if browser.current_dicom_id not in ids:
        raise RuntimeError(f"viewer shows {browser.current_dicom_id}, not one of {ids}")
    return ids


def _kit_cold(ctx):
    browser = _browser(ctx, ctx["fresh"])
    target = ctx["browser_study"]

    def run():
        browser.select(target)
        return _shown(browser)

    return run


def _kit_again(ctx):
    browser = _browser(ctx, ctx["fresh"])
    target = ctx["browser_study"]
    browser.select(target)

    def run():
        browser.select(target)
        return _shown(browser)

    return run


def matplotlib_study(paths: list[str]) -> list[str]:
    import matplotlib.pyplot as plt
    import pydicom

    shown = []
    for path in paths:
        arr = pydicom.dcmread(path).pixel_array
        fig, ax = plt.subplots()
        ax.imshow(arr, cmap="gray")
        ax.axis("off")
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        plt.close(fig)
        shown.append(path.rsplit("/", 1)[-1].split(".")[0])
    return sorted(shown)


def _base(ctx):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot
    import numpy as np
    import pydicom  # noqa: F401

    fig, ax = matplotlib.pyplot.subplots()  # warm up: fonts and the PNG writer load on first use
    ax.imshow(np.zeros((8, 8)), cmap="gray")
    fig.savefig(io.BytesIO(), format="png")
    matplotlib.pyplot.close(fig)
    paths = ctx["browser_files"]
    return lambda: matplotlib_study(paths)


def _answer(ids: list[str]) -> tuple[list[str], str]:
    return ids, f"{len(ids)} images shown"


GROUPS = {
    "browser": Group(
        name="browser",
        title="StudyBrowser.select() of a 2-image full-size study",
        needs=("browser",),
        available=_available,
        reps=5,
        quick_reps=1,
        sides=[
            Side("kit-cold", _kit_cold, _answer, fresh_dir=True),
            Side("kit-again", _kit_again, _answer, fresh_dir=True),
            Side("matplotlib", _base, _answer),
        ],
        lines=[
            Line(
                "11",
                "`StudyBrowser.select()` of a 2-image full-size study, cold cache",
                "pydicom `pixel_array` -> matplotlib `imshow` -> PNG, both images",
                "kit-cold",
                "matplotlib",
                0.2,
                "<= 0.2",
                why_not_met="Decoding the full-size DICOM for the viewer dominates the cold selection.",
            ),
            Line(
                "12",
                "the same selection again",
                "the same baseline again",
                "kit-again",
                "matplotlib",
                0.02,
                "<= 0.02",
                why_not_met=(
                    "Selecting the same study again reuses the decoded image, the pane's buffers and the "
                    "thumbnails (no decode, no PNG encode since the canvas pane); what is left is the "
                    "study's lookup in the tables and building the report, labels and timeline messages. "
                    "Not yet measured at full scale after that change."
                ),
            ),
        ],
    ),
}


# --- rows 20-21: the image pane in Chromium ------------------------------------------------------------
#
# The page's clock is the measurement. The harness times a Python call, and a call that drives Chromium
# (Playwright) pays a round trip to the browser on each side of the page's work: a few ms on a quiet machine,
# 0.1-1 s on a loaded one (measured here: a select() painted in 170-340 ms by the page's clock took
# 0.7-1.1 s by Python's). So these sides do their work in the page during the untimed ``prepare`` and time
# it there (performance.now(): from the first pointer move / the select request to the painted canvas), and
# the timed call replays that duration (``_replay``, a sleep of exactly the page's time). Work-around for a
# harness without self-timed sides; their peak memory is that of the processes alive during the replay
# (Chromium, JupyterLab and its kernel), sampled as for any side. The summaries give the page's figures.
# An absolute target (16 ms a drag step, 150 ms to the first paint) is a ratio against a "budget" side that
# waits that long (time.sleep; no work): ratio <= 1 is the target met. The drag row also has the floor: the
# least a page can do to show a new picture of the same size (putImageData of a ready ImageData and the
# same scaled drawImage onto the canvas), timed the same way in the same kind of page.

DRAG_STEPS = 60
DRAG_BUDGET_S = 0.016
PAINT_BUDGET_S = 0.150


def _viewer_available() -> str | None:
    from . import browser_page

    return _available() or browser_page.problem()


def _preview(ctx) -> tuple[dict, list[bytes]]:
    """What the image pane gets for the study's first file: the full-size DICOM's preview (an
    ``ImageViewer``'s message, as the StudyBrowser's pane gets it)."""
    from cxrkit.widgets import ImageViewer

    viewer = ImageViewer(ctx["browser_files"][0])
    return viewer.shown("image"), viewer.shown_buffers("image")


# In the page: synthetic pointer moves on the pane's canvas (the mouse is down, from Playwright); the
# pane's requestAnimationFrame callbacks are run right after each move, and a one-pixel read of the
# canvas makes Chrome draw what it deferred, so each step's time is the whole repaint on the main thread.
_DRAG_JS = """async ([n, mode]) => {
    const c = document.querySelector('.cxp-canvas');
    const root = document.querySelector('.cxp-pane');
    const g = c.getContext('2d');
    const r = c.getBoundingClientRect();
    const x0 = r.left + r.width / 2, y0 = r.top + r.height / 2;
    const move = (k) => c.dispatchEvent(new PointerEvent('pointermove', {clientX: x0 + 3 * k,
        clientY: y0 - 2 * k, pointerId: 1, bubbles: true, buttons: 1, isPrimary: true,
        pointerType: 'mouse'}));
    let floor = null;
    if (mode === 'floor') {  // the same bytes, ready; only putImageData and the scaled drawImage per step
        const st = window.pane.state, m = st.img.meta;
        const off = document.createElement('canvas');
        off.width = m.cols; off.height = m.rows;
        const octx = off.getContext('2d');
        const data = octx.createImageData(m.cols, m.rows);
        data.data.set(st.img.data.data);
        floor = () => { octx.putImageData(data, 0, 0);
            g.setTransform(1, 0, 0, 1, 0, 0); g.fillStyle = '#000'; g.fillRect(0, 0, c.width, c.height);
            const dpr = window.devicePixelRatio || 1;
            g.setTransform(dpr * st.s, 0, 0, dpr * st.s, dpr * st.tx, dpr * st.ty);
            g.drawImage(off, 0, 0); };
    }
    const queue = [], raf = window.requestAnimationFrame;
    window.requestAnimationFrame = (cb) => { queue.push(cb); return queue.length; };
    const times = [];
    let painted = 0, last = root.dataset.paints;
    for (let k = 1; k <= n; k++) {
        const t0 = performance.now();
        if (floor) { floor(); painted++; }
        else {
            move(k);
            while (queue.length) queue.shift()(performance.now());
            if (root.dataset.paints !== last) { painted++; last = root.dataset.paints; }
        }
        g.getImageData(0, 0, 1, 1);
        times.push(performance.now() - t0);
    }
    window.requestAnimationFrame = raf;
    return {times, painted, c: Number(root.dataset.center), w: Number(root.dataset.width)};
}"""

# Untimed, for the summary: the same moves with the real frame clock, from the event to the end of the
# frame callback that painted it (this includes waiting for the frame, up to ~16.7 ms at 60 Hz).
_FRAME_JS = """async (n) => {
    const c = document.querySelector('.cxp-canvas');
    const g = c.getContext('2d');
    const r = c.getBoundingClientRect();
    const x0 = r.left + r.width / 2, y0 = r.top + r.height / 2;
    const out = [];
    for (let k = 1; k <= n; k++) {
        await new Promise((res) => requestAnimationFrame(res));  // start just after a frame, as input does
        const t0 = performance.now();
        c.dispatchEvent(new PointerEvent('pointermove', {clientX: x0 - 3 * k, clientY: y0 + 2 * k,
            pointerId: 1, bubbles: true, buttons: 1, isPrimary: true, pointerType: 'mouse'}));
        await new Promise((res) => requestAnimationFrame(res));  // runs after the pane's paint callback
        g.getImageData(0, 0, 1, 1);
        out.push(performance.now() - t0);
    }
    return out;
}"""


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q / 100 * (len(s) - 1))))]


def _replay(seconds: float, result: dict):
    """The timed call of a page-timed side: it lasts the page's measured time (see the comment above)."""

    def run():
        end = time.perf_counter() + seconds
        while (left := end - time.perf_counter()) > 0:
            time.sleep(left)
        return result

    return run


def _drag_side(mode: str):
    def prepare(ctx):
        from . import browser_page

        meta, buffers = _preview(ctx)
        page = browser_page.pane_page(meta, buffers)
        box = page.locator(".cxp-canvas").bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.down()  # a drag in progress: the pane's window tool follows the moves
        page.evaluate(_DRAG_JS, [10, mode])  # warm-up: the page's code compiled, buffers touched
        got = page.evaluate(_DRAG_JS, [DRAG_STEPS, mode])
        got["frames"] = page.evaluate(_FRAME_JS, 20) if mode == "kit" else []
        page.mouse.up()
        if page.cx_errors:
            raise RuntimeError(f"errors in the page: {page.cx_errors}")
        got["size"] = [meta["rows"], meta["cols"]]
        return _replay(sum(got["times"]) / 1000, got)

    return prepare


def _drag_budget(ctx):
    meta, _ = _preview(ctx)
    got = {"times": [], "painted": DRAG_STEPS, "size": [meta["rows"], meta["cols"]], "frames": []}
    return _replay(DRAG_STEPS * DRAG_BUDGET_S, got)


def _drag_answer(got: dict) -> tuple[dict, str]:
    canonical = {"steps painted": got["painted"], "picture": got["size"]}
    if not got["times"]:
        return canonical, f"{got['painted']} steps of {DRAG_BUDGET_S * 1000:.0f} ms (the budget)"
    t = got["times"]
    text = (
        f"{got['painted']} steps on a {got['size'][1]} x {got['size'][0]} picture: "
        f"median {_pct(t, 50):.1f} ms, p95 {_pct(t, 95):.1f} ms, max {max(t):.1f} ms a step in the page"
    )
    if got["frames"]:  # the same moves with the real frame clock (untimed, for the summary)
        f = got["frames"]
        text += f"; with the frame clock, move to painted median {_pct(f, 50):.1f} ms"
        text += f", p95 {_pct(f, 95):.1f} ms"
    return canonical, text


# select() -> first paint: a StudyBrowser in a real JupyterLab, showing another study; the page asks the
# kernel for browser.select(target) (an execute request, as a cell run does) and waits until the main pane
# has painted the target's first image (its shown counter moves; a one-pixel read of the canvas makes Chrome
# draw it). Before that, untimed, the browser shows a third study and comes back, so the page's code and
# the kernel's are warm: "cold" is the target's pixels (decoded for the first time), not a fresh JupyterLab.
_PAINT_JS = """async (target) => {
    const p = document.querySelector('.cxb-a .cxp-pane');
    const c = p.querySelector('.cxp-canvas');
    const before = Number(p.dataset.shown || 0);
    const k = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
    const painted = new Promise((resolve) => {
        const obs = new MutationObserver(() => {
            if (Number(p.dataset.shown) > before) {
                obs.disconnect();
                c.getContext('2d').getImageData(0, 0, 1, 1);
                resolve(performance.now());
            }
        });
        obs.observe(p, {attributes: true, attributeFilter: ['data-shown']});
    });
    const t0 = performance.now();
    k.requestExecute({code: `browser.select(${target})`});
    const t1 = await painted;
    return {ms: t1 - t0, t0, paint_ms: Number(p.dataset.paintMs),
            caption: p.querySelector('.cxp-caption').textContent};
}"""

_STUDY_JS = """() => { const b = document.querySelector('.cxb-root');
    const cur = b.querySelector('.cxb-row.cxb-current');
    const v = b.querySelector('.cxb-a .cxp-pane').dataset.values;
    return {thumbs: b.querySelectorAll('.cxb-thumb img').length, current: cur ? cur.dataset.sid : null,
            study_at: Number(b.dataset.gotstudy), values_at: Number(b.dataset.gotvaluesa),
            values: v !== undefined}; }"""


def _paint_side(warm: bool):
    def prepare(ctx):
        from . import browser_page

        cache = ctx["fresh"]
        target, other = ctx["browser_study"], ctx["other_study"]
        cells = [
            (
                "import cxrkit\nfrom cxrkit.widgets import StudyBrowser\n"
                f"ds = cxrkit.open_dataset({ctx['dicom_dataset']!r}, cache_dir={cache!r})"
            ),
            f"browser = StudyBrowser(ds, study_id={other}, height='600px')\nbrowser",
        ]
        shown = "Number(document.querySelector('.cxb-a .cxp-pane').dataset.shown) > 0"
        page = browser_page.lab_page(cells, wait_for=shown, scratch=ctx["work"])
        third = f"[s for s in browser.matches if s not in ({target}, {other})][:1]"
        browser_page.execute(page, f"for s in {third}:\n    browser.select(s)\nbrowser.select({other})")
        if warm:  # the target seen just before: its pixels and thumbnails are kept
            browser_page.execute(page, f"browser.select({target})\nbrowser.select({other})")
        page.locator(".cxb-a .cxp-canvas").scroll_into_view_if_needed()
        page.wait_for_timeout(500)  # let the page settle (layout, the last paints)
        got = page.evaluate(_PAINT_JS, target)
        page.wait_for_function(browser_page.KERNEL_IDLE, timeout=60_000)  # the rest of the study
        page.wait_for_timeout(300)
        got.update(page.evaluate(_STUDY_JS), target=target)
        if page.cx_errors:
            raise RuntimeError(f"errors in the page: {page.cx_errors}")
        return _replay(got["ms"] / 1000, got)

    return prepare


def _paint_budget(ctx):
    got = {
        "target": ctx["browser_study"],
        "thumbs": len(ctx["browser_files"]),
        "current": ctx["browser_study"],
    }
    return _replay(PAINT_BUDGET_S, got)


def _paint_answer(got: dict) -> tuple[dict, str]:
    canonical = {"study": got["target"], "list shows": int(got["current"]), "thumbnails": got["thumbs"]}
    if "ms" not in got:
        return canonical, f"{PAINT_BUDGET_S * 1000:.0f} ms (the budget)"
    text = (
        f"first paint {got['ms']:.0f} ms in the page ({got['caption'].strip()}; the paint itself "
        f"{got['paint_ms']:.1f} ms); 16-bit values (window/level) at {got['values_at'] - got['t0']:.0f} ms; "
        f"report, labels and {got['thumbs']} thumbnails at {got['study_at'] - got['t0']:.0f} ms"
    )
    return canonical, text


GROUPS.update(
    {
        "viewer-drag": Group(
            name="viewer-drag",
            title="image pane in Chromium: a window/level drag step to the repainted canvas",
            needs=("browser",),
            available=_viewer_available,
            reps=5,
            quick_reps=1,
            note=(
                f"{DRAG_STEPS} drag steps on the pane (900 x 640 CSS px) of a full-size DICOM's preview, "
                "in headless Chromium (software canvas, --disable-gpu); each step is the pane's whole "
                "repaint (window LUT, the pixels through it, putImageData, the scaled drawImage, the "
                "values text). Timed by the page's clock (the sum of the steps), replayed to the harness "
                "(see rows_widgets.py: a Python clock would add the browser round trips); peak memory "
                "is Chromium's."
            ),
            sides=[
                Side("kit", _drag_side("kit"), _drag_answer),
                Side("floor", _drag_side("floor"), _drag_answer),
                Side("budget", _drag_budget, _drag_answer),
            ],
            lines=[
                Line(
                    "20",
                    f"window/level drag step -> repainted canvas ({DRAG_STEPS} steps), in Chromium",
                    f"the frame budget: {DRAG_BUDGET_S * 1000:.0f} ms a step (a wait, no work)",
                    "kit",
                    "budget",
                    1.0,
                    "<= 1 (under 16 ms a step)",
                    why_not_met=(
                        "Each step rebuilds the 65,536-entry window LUT and maps every preview pixel through "
                        "it in JavaScript; a loaded machine slows both."
                    ),
                ),
                Line(
                    "20b",
                    "the same drag steps",
                    "the floor: putImageData of a ready picture of the same size and the same drawImage",
                    "kit",
                    "floor",
                    None,
                    "reported",
                ),
            ],
        ),
        "viewer-paint": Group(
            name="viewer-paint",
            title="StudyBrowser in JupyterLab + Chromium: select() to the first paint of a full-size study",
            needs=("browser",),
            available=_viewer_available,
            reps=3,
            quick_reps=1,
            note=(
                "A StudyBrowser in a fresh JupyterLab (one per repetition) showing another study; timed: "
                "the page sends browser.select(study) to the kernel and waits for the main pane's paint "
                "of the study's first image (a 2-image full-size study). Timed by the page's clock, "
                "replayed to the harness (see rows_widgets.py); peak memory is Chromium's, JupyterLab's "
                "and the kernel's. The machine's load matters: they share its cores."
            ),
            sides=[
                Side("kit-cold", _paint_side(False), _paint_answer, fresh_dir=True),
                Side("kit-warm", _paint_side(True), _paint_answer, fresh_dir=True),
                Side("budget", _paint_budget, _paint_answer),
            ],
            lines=[
                Line(
                    "21a",
                    "`select()` -> first paint of a 2-image full-size study, cold pixel cache, in JupyterLab",
                    f"the target: {PAINT_BUDGET_S * 1000:.0f} ms (a wait, no work)",
                    "kit-cold",
                    "budget",
                    1.0,
                    "<= 1 (under 150 ms)",
                    why_not_met=(
                        "Cold, the kernel decodes and block-averages the full-size DICOM and makes the "
                        "8-bit picture before the pane's message leaves (~40-60 ms on a quiet machine); the "
                        "message (0.7 MB) then crosses the Jupyter server to the page (~30-40 ms) and the "
                        "page paints (~10-15 ms). On a loaded machine each of these waits for a core."
                    ),
                ),
                Line(
                    "21b",
                    "the same, the study seen just before (warm: decoded pixels kept)",
                    f"the target: {PAINT_BUDGET_S * 1000:.0f} ms (a wait, no work)",
                    "kit-warm",
                    "budget",
                    1.0,
                    "<= 1 (under 150 ms)",
                    why_not_met=(
                        "Warm, the kernel only looks the study up and sends the kept picture; what is left "
                        "is the Jupyter server relaying it and the page painting, which a loaded machine "
                        "slows."
                    ),
                ),
            ],
        ),
    }
)
