"""`make lab` for a workshop: a working copy of the notebooks outside git, kept between sessions; no demo when
CXRKIT_ROOT is set; JupyterLab's news feed off. Runs the real Makefile with JupyterLab asked only for its
version (the venv is the one the suite runs in)."""

from __future__ import annotations

import json
import os
import re
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


def _machine_noise(line: str) -> bool:
    """pip's notes about this machine's own configuration (an index folder that does not exist), not ours."""
    return line.startswith("WARNING: Location ") and "is ignored" in line


def test_the_editable_install_prints_no_warning_of_the_project(tmp_path):
    """The Makefile's install command, on the project alone (--no-deps), in a fresh venv with a current pip:
    silent. The same command without the Makefile's one warning filter shows setuptools' notice, so the test
    sees what a participant would (pip 25+ prints build-backend warnings even with --quiet)."""
    import venv

    repo = tmp_path / "repo"
    repo.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, repo / name)
    shutil.copytree(REPO / "cxrkit", repo / "cxrkit", ignore=shutil.ignore_patterns("__pycache__"))
    fresh = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, upgrade_deps=True).create(fresh)
    shown = subprocess.run(
        ["make", "-s", "-C", str(REPO), f"VENV={fresh}", "--eval", "show-editable: ; @echo \"$(EDITABLE)\"",
         "show-editable"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    command = shown.stdout.strip()
    assert command.startswith("PYTHONWARNINGS=") and " install -e" in command, command
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONWARNINGS")}

    def output(cmd: str) -> list[str]:
        run = subprocess.run(
            f"{cmd} {repo} --no-deps",
            shell=True,
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert run.returncode == 0, run.stderr[-3000:]
        return [line for line in (run.stdout + run.stderr).splitlines() if line and not _machine_noise(line)]

    assert output(command) == []
    unfiltered = output(re.sub(r"^PYTHONWARNINGS=('[^']*'|\S+) ", "", command))
    assert any("Editable installation" in line for line in unfiltered), (
        "pip no longer shows setuptools' editable notice: the Makefile's PYTHONWARNINGS filter can go"
    )


def test_setup_lab_prepares_everything_but_does_not_start_jupyterlab(demo_projects, tmp_path):
    venv = Path(sys.executable).parent.parent
    for stamp in (".installed", ".installed-lab"):
        (venv / stamp).touch()
    lab = tmp_path / "lab"
    run = subprocess.run(
        ["make", "-C", str(REPO), "setup-lab", f"VENV={venv}", f"LAB_DIR={lab}"],
        capture_output=True, text=True, check=False, timeout=300,
        env={**os.environ, "CXRKIT_ROOT": str(demo_projects)},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "jupyter lab" not in run.stdout
    assert sorted(p.name for p in lab.glob("*.ipynb")) == sorted(
        p.name for p in (REPO / "notebooks").glob("*.ipynb")
    )


def test_git_status_is_clean_after_a_full_lab_session(demo_projects, tmp_path):
    """The issue's "done when": a fresh clone, `make setup-lab` (what `make lab` does before JupyterLab
    starts), every notebook of lab/ run in lab/ (its folder is the kernel's, as in JupyterLab) and saved with
    its outputs, JupyterLab's checkpoints beside them: `git status` shows nothing."""
    import nbformat
    from nbclient import NotebookClient

    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
    venv = Path(sys.executable).parent.parent
    for stamp in (".installed", ".installed-lab"):
        (venv / stamp).touch()
    env = {**os.environ, "CXRKIT_ROOT": str(demo_projects), "CXRKIT_CACHE": str(tmp_path / "cache")}
    env["PYTHONPATH"] = str(clone)  # the kernels import the clone's kit: whatever it writes lands there
    env.pop("MPLBACKEND", None)
    made = subprocess.run(
        ["make", "-C", str(clone), "setup-lab", f"VENV={venv}"],
        capture_output=True, text=True, env=env, check=False, timeout=300,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    lab = clone / "lab"
    saved = sorted(lab.glob("*.ipynb"))
    assert [p.name for p in saved] == sorted(p.name for p in (REPO / "notebooks").glob("*.ipynb"))
    for path in saved:
        nb = nbformat.read(path, as_version=4)
        NotebookClient(
            nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(lab)}}
        ).execute(env=env)
        assert any(cell.get("outputs") for cell in nb.cells), f"{path.name}: ran and kept its outputs"
        nbformat.write(nb, path)
        (lab / ".ipynb_checkpoints").mkdir(exist_ok=True)
        shutil.copy(path, lab / ".ipynb_checkpoints" / f"{path.stem}-checkpoint.ipynb")
    status = subprocess.run(
        ["git", "-C", str(clone), "status", "--porcelain", "--untracked-files=all"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert status.stdout == "", f"a lab session left changes in the repository:\n{status.stdout}"
