"""Dependencies are declared once (pyproject.toml); environment.yml must mirror them, and the README's two
commands must be what the Makefile and CI run."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
MIRRORED_EXTRAS = ("lab", "dask")
_REQ = re.compile(r"^\s*([A-Za-z0-9_.-]+)\s*(\[[^\]]*\])?\s*(.*)$")


def _split(req: str) -> tuple[str, str, str]:
    name, extras, spec = _REQ.match(req).groups()
    return name.lower().replace("_", "-"), (extras or "").strip("[]"), spec.replace(" ", "")


def pyproject_requirements() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in MIRRORED_EXTRAS:
        reqs += project["optional-dependencies"][extra]
    out: dict[str, str] = {}
    for req in reqs:
        name, extras, spec = _split(req)
        out[name] = spec
        for extra in filter(None, extras.split(",")):  # dask[distributed] is two conda packages
            out[extra.strip()] = spec
    return out


def environment_requirements(path: Path) -> dict[str, str]:
    env = yaml.safe_load(path.read_text())
    out: dict[str, str] = {}
    for dep in env["dependencies"]:
        items = dep["pip"] if isinstance(dep, dict) else [dep]
        for item in items:
            if item.startswith(("-e", ".")):
                continue
            name, _, spec = _split(item)
            out[name] = spec
    return out


def test_environment_yml_mirrors_pyproject():
    env = environment_requirements(ROOT / "environment.yml")
    python = env.pop("python")
    env.pop("pip")
    assert env == pyproject_requirements()
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert python == requires


def test_environment_installs_the_kit_itself():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip


def test_readme_commands_are_makefile_targets_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    makefile = (ROOT / "Makefile").read_text()
    for target in ("lab", "test"):
        assert f"make {target}" in readme
        assert re.search(rf"^{target}:", makefile, re.MULTILINE)
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci
    assert (ROOT / ".ci" / "run").stat().st_mode & 0o111
