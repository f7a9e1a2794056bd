"""Rows 11-12: ``StudyBrowser.select()`` of a 2-image full-size study, against pydicom + matplotlib.

Row 11: cold cache: a new cache folder each repetition, the browser built showing another study, then the
timed ``select(study)`` (decodes the first image and makes the pane's 16-bit and 8-bit buffers, both
thumbnails, report, labels, timeline).
Row 12: the same selection again in the same browser.
Baseline (both rows): for each of the study's two images, ``pydicom.dcmread(path).pixel_array``, matplotlib
``imshow`` and ``savefig`` to PNG (what a user does to look at a study without the kit).
"""

from __future__ import annotations

import io

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
