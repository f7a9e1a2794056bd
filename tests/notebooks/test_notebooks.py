"""The curated notebooks (notebooks/*.ipynb).

* Each runs top to bottom, without edits, on differently shaped demo copies that the test generates:
  the default two-project copy (DICOM, JPG, reports, labels), the MIMIC-CXR-JPG project alone without
  label files (so no reports and no CheXpert/NegBio), a copy with tables and reports but no image files,
  the MIMIC-CXR project alone, and a damaged copy. That is the "runs on any copy" promise: cells needing a
  missing file must say so and carry on. The kernel gets ``CXRKIT_ROOT`` and ``CXRKIT_CACHE`` pointing at
  temporary folders; executed notebooks are never written back.
* Every matplotlib figure drawn while running has a title and labelled axes (a hook injected before the
  first cell checks each figure before it is shown; the injected cells are not part of the notebook).
* Each runs in about a minute on the demo (the budget below is generous for slow CI machines).
* The committed files carry no outputs, execution counts or saved widget state (real-data outputs contain
  report text and images), and ruff lints their code.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest

from benchmarks import notebook_memory
from cxrkit.solutions import is_solution

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
EXPECTED = (
    "00_quickstart",
    "01_data_organization",
    "02_image_statistics",
    "03_report_text_analysis",
    "04_cohorts",
    "05_hospital_linkage",
)
#: Wall-clock budget per notebook on the demo, kernel start included. The target is about a minute.
BUDGET_SECONDS = 150
MAX_CODE_LINES = 25

#: Demo shapes: keyword arguments for cxrkit.demo.make_demo (the default: both projects side by side), and
#: what is done to the copy afterwards (see _alter).
SHAPES = {
    "dicom": ({}, None),
    "jpg-nolabels": ({"flavor": "jpg", "labels": False}, None),  # the JPG project alone, without labels
    "tables-and-reports": ({"images": False}, None),  # cheap: no image files on disk at all
    "dicom-project-alone": ({}, "drop-jpg"),
    "damaged": ({}, "damage"),
}


def _alter(root: Path, how: str | None) -> None:
    """Turn a two-project demo into a DICOM project alone, or damage it row by row as real copies are."""
    import gzip
    import shutil

    import polars as pl

    if how == "drop-jpg":
        shutil.rmtree(root / "mimic-cxr-jpg")
    if how == "damage":
        cxr, jpg = root / "mimic-cxr" / "2.1.0", root / "mimic-cxr-jpg" / "2.1.0"
        records = pl.read_csv(cxr / "cxr-record-list.csv.gz")
        first = pl.int_range(pl.len()) == 0
        bad = records.with_columns(
            pl.when(first).then(pl.lit("not-a-dicom-id")).otherwise("dicom_id").alias("dicom_id")
        )
        (cxr / "cxr-record-list.csv.gz").write_bytes(gzip.compress(bad.write_csv().encode()))
        sorted((cxr / "files").rglob("*.dcm"))[3].unlink()  # a listed DICOM missing
        sorted((cxr / "files").rglob("*.txt"))[2].unlink()  # a study without its report
        sorted((jpg / "files").rglob("*.jpg"))[5].unlink()  # a JPG missing
        labels = pl.read_csv(jpg / "mimic-cxr-2.0.0-chexpert.csv.gz", infer_schema_length=0)
        stray = labels.head(1).with_columns(pl.lit("59999999").alias("study_id"))  # a study nobody lists
        (jpg / "mimic-cxr-2.0.0-chexpert.csv.gz").write_bytes(
            gzip.compress(pl.concat([labels, stray]).write_csv().encode())
        )


# Injected before the notebook's first cell: after every cell, before the inline backend shows the open
# figures, check each has a title (on the figure or on every visible axes) and labelled axes.
FIGURE_CHECK = r"""
def _cxrkit_check_figures():
    import sys
    if "matplotlib.pyplot" not in sys.modules:
        return
    import matplotlib.pyplot as plt
    for num in plt.get_fignums():
        fig = plt.figure(num)
        if id(fig) in _cxrkit_seen:
            continue
        _cxrkit_seen.add(id(fig))
        axes = [ax for ax in fig.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]
        suptitle = fig._suptitle.get_text() if fig._suptitle is not None else ""
        where = f"figure {suptitle or num!r}"
        if not suptitle and not all(ax.get_title() or ax.get_title(loc="left") for ax in axes):
            _cxrkit_problems.append(f"{where}: no title (set fig.suptitle or a title on every axes)")
        for ax in axes:
            if not ax.axison:
                continue
            if not ax.get_xlabel():
                _cxrkit_problems.append(f"{where}, axes {ax.get_title()!r}: no x label")
            if not ax.get_ylabel():
                _cxrkit_problems.append(f"{where}, axes {ax.get_title()!r}: no y label")

_cxrkit_seen, _cxrkit_problems = set(), []
get_ipython().events.register("post_execute", _cxrkit_check_figures)
"""
FIGURE_REPORT = "import json\nprint('CXRKIT-FIGURES ' + json.dumps(_cxrkit_problems))"
#: Binder's smallest tier: each notebook's kernel and every process it starts (pool and Dask workers), at the
#: same moment, must fit. Held to the upper bound of benchmarks.notebook_memory's sampler (the kernel's peak
#: plus each child's), which no short peak between two samples escapes. Measured on the default demo: see
#: benchmarks/notebook_memory.md (also the 2,000-patient demo with image files).
MEMORY_BUDGET = 1024 * 1024 * 1024


def _load(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _code_cells(nb):
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def _learner_cells(nb):
    """The cells a learner's copy keeps: all but the teacher's solutions (see cxrkit.solutions)."""
    return [cell for cell in nb.cells if not is_solution(cell)]


# --- static checks --------------------------------------------------------------------------------------


def test_the_curated_notebooks_are_there():
    assert [p.stem for p in NOTEBOOKS] == list(EXPECTED)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs_counts_or_widget_state(path):
    ids = [cell.get("id") for cell in json.loads(path.read_text())["cells"]]
    assert len(set(ids)) == len(ids), (
        f"{path.name}: repeated cell ids {sorted({i for i in ids if ids.count(i) > 1})}"
    )
    nb = _load(path)
    nbformat.validate(nb)
    assert "widgets" not in nb.metadata, f"{path.name}: saved widget state in the notebook metadata"
    for i, cell in enumerate(nb.cells):
        assert "widgets" not in cell.metadata, f"{path.name} cell {i}: saved widget state"
        assert "execution" not in cell.metadata, f"{path.name} cell {i}: execution timing metadata"
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name} cell {i} has outputs: strip them before committing"
            assert cell.execution_count is None, f"{path.name} cell {i} has an execution count"
        assert not cell.get("attachments"), f"{path.name} cell {i} has attachments"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_shape_narrative_first_short_cells_and_try_this(path):
    nb = _load(path)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# "), "open with a title"
    learner = _learner_cells(nb)
    headings = [c.source for c in learner if c.cell_type == "markdown"]
    assert re.search(r"^#+ Try this", headings[-1], re.MULTILINE), f"{path.name}: end with 'Try this'"
    markdown = [c for c in learner if c.cell_type == "markdown"]
    code = [c for c in learner if c.cell_type == "code"]
    assert 2 * len(markdown) >= len(code), f"{path.name}: narrative first (explain every step or two)"
    prose, program = sum(len(c.source) for c in markdown), sum(len(c.source) for c in code)
    assert 2 * prose >= program, (
        f"{path.name}: narrative first ({prose} characters of prose, {program} of code)"
    )
    for cell in _code_cells(nb):
        lines = cell.source.count("\n") + 1
        assert lines <= MAX_CODE_LINES, f"{path.name}: {lines}-line code cell; keep cells short"
        assert not re.search(r"^\s*(import|from) pandas", cell.source, re.MULTILINE), "use polars, not pandas"
        assert "/Users/" not in cell.source and "/home/" not in cell.source, "no machine-specific paths"
        assert not re.search(r"^\s*import ipywidgets|^\s*from ipywidgets", cell.source, re.MULTILINE), (
            "ipywidgets only through cxrkit.widgets"
        )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_try_this_has_a_collapsed_solution_after_it(path):
    nb = _load(path)
    heading = re.compile(r"^#+ Try this", re.MULTILINE)
    try_this = max(
        i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and heading.search(c.source)
    )
    solutions = [c for c in nb.cells if is_solution(c)]
    assert solutions and nb.cells[try_this + 1 :] == solutions, f"{path.name}: solutions come after Try this"
    assert solutions[0].cell_type == "markdown" and "Solutions (for the teacher)" in solutions[0].source
    assert all(c.metadata.get("jupyter", {}).get("source_hidden") for c in solutions[1:]), "collapsed"
    exercises = re.findall(r"^(\d+)\. ", nb.cells[try_this].source, re.MULTILINE)
    assert exercises, f"{path.name}: numbered exercises in Try this"
    for k in exercises:
        assert any(f"Try this {k}" in c.source for c in solutions[1:]), f"{path.name}: no solution to {k}"


def test_ruff_lints_the_notebooks():
    run = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", str(NOTEBOOK_DIR)],
        check=False,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stdout + run.stderr


# --- execution on two demo shapes ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_roots(tmp_path_factory):
    from cxrkit.demo import make_demo

    base = tmp_path_factory.mktemp("notebook-demos")
    roots = {}
    for name, (kwargs, how) in SHAPES.items():
        roots[name] = Path(make_demo(base / name, **kwargs))
        _alter(roots[name], how)
    return roots


def execute(
    path: Path, root: Path, cache: Path, timeout: int = 300
) -> tuple[nbformat.NotebookNode, float, Any]:
    """Run a notebook on ``root`` (in memory: nothing is written back) under a sampler of its kernel's
    process tree; return it with its wall time and the sampler."""
    nb = _load(path)
    nb.cells.insert(0, nbformat.v4.new_code_cell(FIGURE_CHECK))
    nb.cells.append(nbformat.v4.new_code_cell(FIGURE_REPORT))
    return notebook_memory.execute(nb, path.parent, root, cache, timeout=timeout)


def _stream_text(nb, name: str) -> str:
    return "".join(
        out.get("text", "")
        for cell in _code_cells(nb)
        for out in cell.outputs
        if out.output_type == "stream" and out.name == name
    )


@pytest.fixture(scope="module")
def busy_dashboard_port():
    """Dask's default dashboard port taken, as on any shared machine (a workshop's JupyterHub): a notebook
    must not print a warning about it."""
    import socket

    sock = socket.socket()
    try:
        sock.bind(("127.0.0.1", 8787))
        sock.listen()
    except OSError:  # already taken by something else: just as busy
        pass
    yield
    sock.close()


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path, shape, demo_roots, tmp_path, busy_dashboard_port):
    before = path.read_bytes()
    nb, seconds, sampler = execute(path, demo_roots[shape], tmp_path / "cache")
    assert path.read_bytes() == before, "executing must never write the notebook back"

    stdout = _stream_text(nb, "stdout").splitlines()
    report = next(line for line in stdout if line.startswith("CXRKIT-FIGURES "))
    problems = json.loads(report.removeprefix("CXRKIT-FIGURES "))
    assert problems == [], f"{path.name} on {shape}: figures must be titled and labelled: {problems}"
    together, bound = sampler.together_bytes, sampler.bound_bytes
    assert sampler.samples > 0 and 0 < together <= bound
    assert bound < MEMORY_BUDGET, f"{path.name} on {shape}: up to {bound / 2**20:.0f} MiB (Binder: 1 GiB)"
    errors = [out for cell in _code_cells(nb) for out in cell.outputs if out.output_type == "error"]
    assert errors == []
    assert "Traceback" not in _stream_text(nb, "stderr")
    assert "already in use" not in _stream_text(nb, "stderr"), "a Dask cell asked for a fixed port"
    assert seconds < BUDGET_SECONDS, f"{path.name} on {shape} took {seconds:.0f} s (target: about a minute)"
    print(
        f"{path.stem} on {shape}: {seconds:.1f} s, {together / 2**20:.0f} MiB together"
        f" (bound {bound / 2**20:.0f})"
    )


# --- what a saved notebook keeps -----------------------------------------------------------------------

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
IMAGE_SIGNATURES = ("iVBORw0KGgo", "/9j/", "\\x89PNG")  # base64 PNG, base64 JPEG, PNG bytes


def _identifying(root: Path) -> tuple[set[str], set[str]]:
    """Every subject, study and image id of the copy, and every report sentence of 25 characters or more."""
    import cxrkit

    ds = cxrkit.open_dataset(root, cache_dir=root.parent / "ids-cache")
    records = ds.records().collect()
    ids = {str(v) for col in ("subject_id", "study_id", "dicom_id") for v in records[col].unique()}
    sentences = set()
    for study_id in records["study_id"].unique():
        with contextlib.suppress(cxrkit.CxrkitError):
            text = " ".join(ds.study(study_id).report_text().split())
            sentences |= {s.strip() for s in re.split(r"[.:]", text) if len(s.strip()) >= 25}
    return ids, sentences


def test_quickstart_saved_by_nbconvert_holds_nothing_identifying(tmp_path):
    """``jupyter nbconvert --execute`` stores the widget state (nbclient's ``store_widget_state``); the
    browser must leave no report sentence, id or image bytes in it, nor in the outputs that show widgets."""
    from cxrkit.demo import make_demo

    root = Path(make_demo(tmp_path / "demo"))
    env = {**os.environ, "CXRKIT_ROOT": str(root), "CXRKIT_CACHE": str(tmp_path / "cache")}
    run = subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
         str(NOTEBOOK_DIR / "00_quickstart.ipynb"), "--output-dir", str(tmp_path / "out")],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    saved = _load(tmp_path / "out" / "00_quickstart.ipynb")
    state = saved.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    shown = [out for cell in _code_cells(saved) for out in cell.outputs if WIDGET_VIEW in out.get("data", {})]
    models = {state[out["data"][WIDGET_VIEW]["model_id"]]["model_name"] for out in shown}
    assert "AnyModel" in models, "the quickstart shows the study browser (an anywidget)"
    saved_text = json.dumps(state) + json.dumps([out["data"] for out in shown])
    ids, sentences = _identifying(root)
    assert ids and sentences
    leaked_ids = sorted(i for i in ids if i in saved_text)
    leaked_sentences = sorted(s for s in sentences if s in saved_text)
    assert leaked_ids == [], f"ids saved in the notebook's widget state: {leaked_ids[:5]}"
    assert leaked_sentences == [], f"report text saved in the notebook: {leaked_sentences[:3]}"
    assert not any(sig in saved_text for sig in IMAGE_SIGNATURES), "image bytes saved in the notebook"
    assert not any(model.get("buffers") for model in state.values()), "binary buffers saved"
