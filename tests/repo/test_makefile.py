"""`make lab` for a workshop: a working copy of the notebooks outside git, kept between sessions; no demo when
CXRKIT_ROOT is set; JupyterLab's news feed off. Runs the real Makefile with JupyterLab asked only for its
version (the venv is the one the suite runs in)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _make_lab(lab_dir: Path, env: dict, *extra: str) -> subprocess.CompletedProcess:
    venv = Path(sys.executable).parent.parent
    return subprocess.run(
        ["make", "-C", str(REPO), "lab", f"VENV={venv}", f"LAB_DIR={lab_dir}", "LAB_ARGS=--version", *extra],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_make_lab_works_on_a_copy_and_keeps_it(demo_projects, tmp_path):
    if shutil.which("make") is None:
        raise AssertionError("make is needed: the README's commands use it")
    venv = Path(sys.executable).parent.parent
    for stamp in (
        ".installed",
        ".installed-lab",
    ):  # installed by `make test` already: make must not reinstall
        (venv / stamp).touch()
    env = {**os.environ, "CXRKIT_ROOT": str(demo_projects)}
    lab = tmp_path / "lab"
    done = _make_lab(lab, env)
    assert done.returncode == 0, done.stderr
    assert "no demo" in done.stdout
    tracked = sorted(p.name for p in (REPO / "notebooks").glob("*.ipynb"))
    assert sorted(p.name for p in lab.glob("*.ipynb")) == tracked
    # a participant's saved work survives the next session
    first = lab / tracked[0]
    work = json.loads(first.read_text())
    work["cells"][0]["source"] = ["my notes"]
    first.write_text(json.dumps(work))
    assert _make_lab(lab, env).returncode == 0
    assert json.loads(first.read_text())["cells"][0]["source"] == ["my notes"]
    overrides = json.loads((venv / "share/jupyter/lab/settings/overrides.json").read_text())
    assert overrides["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"


def test_make_lab_solutions_0_gives_the_learners_copies(demo_projects, tmp_path):
    venv = Path(sys.executable).parent.parent
    for stamp in (".installed", ".installed-lab"):
        (venv / stamp).touch()
    env = {**os.environ, "CXRKIT_ROOT": str(demo_projects)}
    teacher, learner = tmp_path / "teacher", tmp_path / "learner"
    assert _make_lab(teacher, env).returncode == 0
    done = _make_lab(learner, env, "SOLUTIONS=0")
    assert done.returncode == 0, done.stderr
    tracked = sorted(p.name for p in (REPO / "notebooks").glob("*.ipynb"))
    assert sorted(p.name for p in learner.glob("*.ipynb")) == tracked

    def tags(path: Path) -> list[list[str]]:
        return [c["metadata"].get("tags", []) for c in json.loads(path.read_text())["cells"]]

    for name in tracked:
        assert any("solution" in t for t in tags(teacher / name)), f"the teacher's {name} has solutions"
        assert not any("solution" in t for t in tags(learner / name)), f"the learner's {name} has none"


def test_the_default_lab_folder_is_ignored_by_git():
    ignored = subprocess.run(
        ["git", "-C", str(REPO), "check-ignore", "-q", "lab/00_quickstart.ipynb"], check=False
    )
    assert ignored.returncode == 0, "lab/ must be in .gitignore: saved outputs must never reach git"
