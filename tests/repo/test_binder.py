"""The Binder environment (binder/): what can be checked without Docker.

* ``binder/environment.yml`` parses, pins Python and every package, and names exactly the packages of
  pyproject.toml (core + lab + dask extras) at versions pyproject allows, plus the Jupyter packages of
  Binder's base image that must move with the pinned JupyterLab (:data:`BASE_REPINS`); the root
  ``environment.yml`` names the same kit packages (its own check against pyproject is in test_packaging.py,
  whose helpers this module reuses). postBuild installs those same extras.
* ``binder/postBuild`` is executable, stops on the first error, and works in a fresh virtual environment
  that holds what Binder's image would: the base image's Jupyter (from repo2docker's own lock file), then
  the pinned packages (``pip check`` clean), then postBuild, which changes none of the pins, installs the
  kit, turns JupyterLab's news off and leaves the demo dataset in the cache, where every notebook, run in
  that environment as a Binder user would, finds it.
* The README's Binder badge opens the repository that pyproject.toml's URLs name.
* ``repo2docker --no-build --debug`` (no container engine needed) picks the conda buildpack with
  ``binder/environment.yml`` and runs ``binder/postBuild``.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

import nbformat
import pytest
import yaml
from nbclient import NotebookClient
from packaging.specifiers import SpecifierSet
from packaging.version import Version
from test_packaging import ROOT, environment_requirements, pyproject_requirements

BINDER = ROOT / "binder"
ENV_FILE = BINDER / "environment.yml"
POSTBUILD = BINDER / "postBuild"
NOTEBOOK_URLPATH = "lab/tree/notebooks/00_quickstart.ipynb"
#: Packages of Binder's base image pinned here too: its notebook release requires a JupyterLab minor version,
#: and ours is newer.
BASE_REPINS = {"notebook"}
#: The Jupyter packages repo2docker's conda buildpack puts in every image (its environment.py-3.X.yml),
#: under their conda names in the lock file, and the pip names they install as.
BASE_JUPYTER = {
    "ipywidgets": "ipywidgets",
    "jupyter-offlinenotebook": "jupyter-offlinenotebook",
    "jupyter-resource-usage": "jupyter-resource-usage",
    "jupyter_server": "jupyter-server",
    "jupyterhub-base": "jupyterhub",
    "jupyterlab": "jupyterlab",
    "notebook": "notebook",
    "ipykernel": "ipykernel",
}


def binder_pins() -> dict[str, str]:
    """Package name -> pinned version of binder/environment.yml (python and pip excluded)."""
    reqs = environment_requirements(ENV_FILE)
    reqs.pop("pip")
    reqs.pop("python")
    pins = {}
    for name, spec in reqs.items():
        assert spec.startswith("=="), f"binder/environment.yml: {name} is not pinned with == ({spec!r})"
        pins[name] = spec[2:]
    return pins


def pip_requirements() -> list[str]:
    """The pip section of binder/environment.yml, as given to pip by repo2docker."""
    env = yaml.safe_load(ENV_FILE.read_text())
    return next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))


def test_both_environment_files_parse():
    for path in (ROOT / "environment.yml", ENV_FILE):
        env = yaml.safe_load(path.read_text())
        assert isinstance(env, dict) and env.get("dependencies"), path
        assert "conda-forge" in env.get("channels", []), path


def test_binder_pins_python_within_requires_python():
    python = environment_requirements(ENV_FILE)["python"]
    assert re.fullmatch(r"=\d+\.\d+(\.\d+)?", python), f"python must be pinned as =X.Y[.Z], got {python!r}"
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert Version(python[1:]) in SpecifierSet(requires)


def test_binder_pins_exactly_the_pyproject_packages_at_allowed_versions():
    pins = binder_pins()
    for name in BASE_REPINS:
        assert name in pins, f"binder/environment.yml must pin {name} (Binder's base image has one)"
        pins.pop(name)
    wanted = pyproject_requirements()
    assert sorted(pins) == sorted(wanted), "binder/environment.yml and pyproject.toml name different packages"
    for name, version in pins.items():
        assert Version(version) in SpecifierSet(wanted[name]), f"{name}=={version} is outside {wanted[name]}"


def test_root_and_binder_environments_name_the_same_packages():
    root = environment_requirements(ROOT / "environment.yml")
    binder = environment_requirements(ENV_FILE)
    assert sorted(root) == sorted(set(binder) - BASE_REPINS)


def test_postbuild_installs_the_extras_the_pins_mirror():
    from test_packaging import MIRRORED_EXTRAS

    installed = re.search(r"pip install .*-e \"?\.\[([a-z,]+)\]", POSTBUILD.read_text())
    assert installed, "postBuild should install the kit with its extras: -e '.[lab,...]'"
    assert sorted(installed.group(1).split(",")) == sorted(MIRRORED_EXTRAS)
    assert "lab" in MIRRORED_EXTRAS, "Binder runs the notebooks: the lab extra must be among them"


def test_binder_and_make_lab_turn_the_news_off_with_one_file():
    settings = json.loads((BINDER / "overrides.json").read_text())
    assert settings["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    assert "binder/overrides.json" in POSTBUILD.read_text()
    assert "binder/overrides.json" in (ROOT / "Makefile").read_text()


def test_badge_opens_the_repository_named_in_pyproject_urls():
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]
    assert {"Homepage", "Repository", "Issues", "Documentation"} <= set(urls)
    repo = re.fullmatch(r"https://github\.com/([\w.-]+/[\w.-]+)", urls["Repository"])
    assert repo, f"Repository should be a GitHub URL, got {urls['Repository']!r}"
    badge = re.search(r"mybinder\.org/v2/gh/([\w.-]+/[\w.-]+)/", (ROOT / "README.md").read_text())
    assert badge and badge.group(1) == repo.group(1), "the Binder badge and pyproject's URLs disagree"
    for key in ("Homepage", "Issues", "Documentation"):
        assert urls[key].startswith(urls["Repository"]), f"{key} points at another repository"


def test_binder_environment_leaves_the_kit_to_postbuild():
    # repo2docker installs environment.yml before the repository is copied in: `-e .` would fail there.
    assert not any(item.startswith(("-e", ".")) for item in pip_requirements())
    assert re.search(r"pip install .*-e \"?\.", POSTBUILD.read_text())


def test_postbuild_is_an_executable_script_that_stops_on_errors():
    assert POSTBUILD.stat().st_mode & 0o111, "binder/postBuild must be executable (git keeps the bit)"
    text = POSTBUILD.read_text()
    assert text.startswith(("#!/bin/bash", "#!/usr/bin/env bash"))
    assert re.search(r"^set -e", text, re.MULTILINE)


def _real_pip_cache() -> str:
    """The user's pip wheel cache (HOME is a temporary folder in tests; reuse the cache, not the home)."""
    if os.environ.get("PIP_CACHE_DIR"):
        return os.environ["PIP_CACHE_DIR"]
    return str(Path(pwd.getpwuid(os.getuid()).pw_dir) / ".cache" / "pip")


def _copy_repo(dest: Path) -> Path:
    ignore = shutil.ignore_patterns(
        ".venv", ".git", "__pycache__", "*.egg-info", ".pytest_cache", ".ruff_cache", "build", "dist", "data"
    )
    shutil.copytree(ROOT, dest, ignore=ignore)
    return dest


def test_postbuild_works_in_a_fresh_virtual_environment(tmp_path, monkeypatch):
    """What repo2docker does, minus Docker: install the pinned packages, then run postBuild from the repo."""
    repo = _copy_repo(tmp_path / "repo")
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    bin_dir = env_dir / "bin"
    home = tmp_path / "home"
    home.mkdir()
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "VIRTUAL_ENV": str(env_dir),
        "HOME": str(home),
        "CXRKIT_CACHE": str(home / "cache"),
        "PIP_CACHE_DIR": _real_pip_cache(),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    env.pop("PYTHONPATH", None)
    env.pop("CXRKIT_ROOT", None)

    def pip(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(bin_dir / "python"), "-m", "pip", *args],
            env=env,
            check=False,
            capture_output=True,
            text=True,
            timeout=1200,
        )

    base = pip("install", "--quiet", *base_image_jupyter())
    assert base.returncode == 0, f"Binder's base Jupyter does not install:\n{base.stderr[-4000:]}"
    reqs = tmp_path / "requirements.txt"
    reqs.write_text("\n".join(pip_requirements()) + "\n")
    install = pip("install", "--quiet", "-r", str(reqs))
    assert install.returncode == 0, f"the pinned packages do not install together:\n{install.stderr[-4000:]}"
    checked = pip("check")
    assert checked.returncode == 0, f"the pins conflict with Binder's base image:\n{checked.stdout}"

    run = subprocess.run(
        [str(repo / "binder" / "postBuild")],
        cwd=repo,
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, f"postBuild failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    listed = json.loads(pip("list", "--format=json").stdout)
    versions = {p["name"].lower().replace("_", "-"): p["version"] for p in listed}
    changed = {n: (v, versions.get(n)) for n, v in binder_pins().items() if versions.get(n) != v}
    assert changed == {}, f"postBuild's install moved pinned packages (pin, now): {changed}"
    settings = env_dir / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    assert json.loads(settings.read_text()) == json.loads((BINDER / "overrides.json").read_text())

    # The kit is importable from the venv (not from this checkout) and the demo is where open_dataset looks.
    check = subprocess.run(
        [
            str(bin_dir / "python"),
            "-c",
            (
                "import cxrkit, sys; ds = cxrkit.open_dataset(); print(cxrkit.__file__); print(ds.root); "
                "print(ds.summary()['images'])"
            ),
        ],
        cwd=tmp_path,
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert check.returncode == 0, check.stderr
    kit_file, demo_root, n_images = check.stdout.split()
    assert Path(kit_file).is_relative_to(repo), "postBuild should install the kit from the repository"
    assert Path(demo_root).is_relative_to(home / "cache"), "the demo must be generated into the cache folder"
    assert (Path(demo_root) / "files").is_dir() and int(n_images) > 0
    assert demo_root in run.stdout, "postBuild should print where the demo is"

    # What a Binder user does first: run the quickstart, with the pinned packages, on the demo postBuild made
    # (no CXRKIT_ROOT, nothing regenerated: the demo folder is not touched).
    kernels = tmp_path / "jupyter" / "kernels" / "binder-venv"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [str(bin_dir / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "binder venv",
                "language": "python",
            }
        )
    )
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    before = sorted(p.stat().st_mtime_ns for p in Path(demo_root).rglob("*"))
    # Every notebook runs on six demo shapes in the test environment (tests/notebooks); here, every module
    # any notebook imports must import in Binder's environment, and the quickstart and 02 (the Dask cell: the
    # dask extra) run end to end, which keeps this test to a few minutes.
    paths = sorted((repo / "notebooks").glob("*.ipynb"))
    modules = sorted({m for path in paths for m in notebook_imports(nbformat.read(path, as_version=4))})
    imported = subprocess.run(
        [
            str(bin_dir / "python"),
            "-c",
            "import importlib, sys; [importlib.import_module(m) for m in sys.argv[1:]]",
        ]
        + modules,
        cwd=tmp_path,
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert imported.returncode == 0 and "cxrkit" in modules, imported.stderr
    for path in [p for p in paths if p.stem in ("00_quickstart", "02_image_statistics")]:
        nb = nbformat.read(path, as_version=4)
        NotebookClient(
            nb, timeout=600, kernel_name="binder-venv", resources={"metadata": {"path": str(path.parent)}}
        ).execute(env=env)
        outputs = [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]
        assert [out for out in outputs if out.output_type == "error"] == [], path.name
        said = "".join(out.get("text", "") for out in outputs if out.output_type == "stream")
        assert "Not quite" not in said, f"{path.name}: a worked solution fails its own self-check"
    assert sorted(p.stat().st_mtime_ns for p in Path(demo_root).rglob("*")) == before


def notebook_imports(nb) -> set[str]:
    """The top-level modules a notebook's code cells import (cells with IPython magics are skipped)."""
    found = set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module.split(".")[0])
    return found


def base_image_jupyter() -> list[str]:
    """``name==version`` of the Jupyter packages in Binder's base image for the pinned Python, read from
    the lock file of the installed repo2docker (what mybinder.org builds with, give or take a release)."""
    spec = importlib.util.find_spec("repo2docker")
    assert spec is not None and spec.origin, "jupyter-repo2docker (a test dependency) is not installed"
    python = environment_requirements(ENV_FILE)["python"].lstrip("=")
    minor = ".".join(python.split(".")[:2])
    lock = Path(spec.origin).parent / "buildpacks" / "conda" / f"environment.py-{minor}-linux-64.lock"
    text = lock.read_text()
    found = {}
    for conda_name, pip_name in BASE_JUPYTER.items():
        match = re.search(rf"/{re.escape(conda_name)}-(\d[^-]*)-", text)
        assert match, f"{lock.name}: no {conda_name}"
        found[pip_name] = match.group(1)
    return [f"{name}=={version}" for name, version in found.items()]


def _repo2docker_declared() -> bool:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    test_extra = project["optional-dependencies"]["test"]
    return any(req.lower().startswith("jupyter-repo2docker") for req in test_extra)


def test_repo2docker_uses_the_binder_folder():
    if importlib.util.find_spec("repo2docker") is None:
        if _repo2docker_declared():
            pytest.fail("jupyter-repo2docker is a test dependency but is not installed: run `make setup`")
        pytest.skip("jupyter-repo2docker is not installed (not yet a test dependency in pyproject.toml)")
    run = subprocess.run(
        [sys.executable, "-m", "repo2docker", "--no-build", "--debug", str(ROOT)],
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-4000:]
    assert "Building conda environment" in out, "repo2docker did not pick the conda buildpack"
    assert re.search(r"env update .*--file \"?binder/environment\.yml", out), "binder/environment.yml unused"
    assert re.search(r"^RUN \./binder/postBuild$", out, re.MULTILINE), "postBuild is not run"
    assert not re.search(r"--file \"?environment\.yml", out), "the root environment.yml must be ignored"


def test_readme_carries_the_binder_badge():
    readme = (ROOT / "README.md").read_text()
    assert "mybinder.org/v2/" in readme
    assert NOTEBOOK_URLPATH.replace("/", "%2F") in readme
    assert (ROOT / "notebooks" / "00_quickstart.ipynb").is_file()
