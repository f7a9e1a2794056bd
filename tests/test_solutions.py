"""Learners' copies: stripping drops exactly the cells tagged 'solution' and keeps every other cell as it is,
through the function and through `cxrkit workshop strip-solutions`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cxrkit.cli import main
from cxrkit.errors import CxrkitError
from cxrkit.solutions import is_solution, strip_solutions

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def test_stripping_the_notebooks_removes_exactly_the_solution_cells(tmp_path):
    written = strip_solutions(NOTEBOOKS, tmp_path / "lab")
    assert [p.name for p in written] == sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
    for out in written:
        before = json.loads((NOTEBOOKS / out.name).read_text(encoding="utf-8"))
        after = json.loads(out.read_text(encoding="utf-8"))
        kept = [c for c in before["cells"] if "solution" not in c["metadata"].get("tags", [])]
        assert len(kept) < len(before["cells"]), f"{out.name} has solution cells to strip"
        assert after["cells"] == kept  # the others unchanged, in order, ids and all
        assert {k: v for k, v in after.items() if k != "cells"} == {
            k: v for k, v in before.items() if k != "cells"
        }
        assert not any(is_solution(c) for c in after["cells"])


def test_a_notebook_without_solutions_is_copied_byte_for_byte(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    nb = {"cells": [{"cell_type": "markdown", "id": "a", "metadata": {}, "source": ["# Ünïcode"]}]}
    (src / "n.ipynb").write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (out,) = strip_solutions(src, tmp_path / "dest")
    assert out.read_bytes() == (src / "n.ipynb").read_bytes()


def test_the_command_writes_the_learners_copies(tmp_path, capsys):
    assert main(["workshop", "strip-solutions", str(NOTEBOOKS), str(tmp_path / "lab")]) == 0
    count = len(list(NOTEBOOKS.glob("*.ipynb")))
    assert f"{count} notebook(s) written without solutions" in capsys.readouterr().err
    assert len(list((tmp_path / "lab").glob("*.ipynb"))) == count
    for out in (tmp_path / "lab").glob("*.ipynb"):
        assert not any(is_solution(c) for c in _cells(out))


def test_bad_folders_are_named(tmp_path, capsys):
    with pytest.raises(CxrkitError, match="no notebooks"):
        strip_solutions(tmp_path, tmp_path / "out")
    (tmp_path / "bad.ipynb").write_text("{not json", encoding="utf-8")
    with pytest.raises(CxrkitError, match=r"bad\.ipynb: not a notebook"):
        strip_solutions(tmp_path, tmp_path / "out")
    with pytest.raises(CxrkitError, match="the destination is the source"):
        strip_solutions(NOTEBOOKS, NOTEBOOKS)
    assert main(["workshop", "strip-solutions", str(tmp_path / "nothing"), str(tmp_path / "o")]) == 1
    assert "cxrkit workshop:" in capsys.readouterr().err
