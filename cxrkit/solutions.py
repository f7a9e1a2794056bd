"""Worked solutions in the notebooks: cells tagged ``solution`` (collapsed in JupyterLab) that a teacher can
reveal, and :func:`strip_solutions` to write a learner's copy without them.

Stripping only drops cells; every other cell, and the notebook's metadata, is kept as it is.

Examples
--------
>>> nb = {"cells": [{"metadata": {"tags": ["solution"]}}, {"metadata": {}}], "metadata": {}}
>>> len(without_solutions(nb)["cells"])
1
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cxrkit.errors import CxrkitError

TAG = "solution"


def is_solution(cell: dict[str, Any]) -> bool:
    """Whether a notebook cell is tagged ``solution``.

    Examples
    --------
    >>> is_solution({"metadata": {"tags": ["solution"]}}), is_solution({"metadata": {}})
    (True, False)
    """
    return TAG in cell.get("metadata", {}).get("tags", [])


def without_solutions(nb: dict[str, Any]) -> dict[str, Any]:
    """The notebook (as loaded JSON) without its solution cells; the rest unchanged.

    Examples
    --------
    >>> without_solutions({"cells": [], "nbformat": 4})
    {'cells': [], 'nbformat': 4}
    """
    return {**nb, "cells": [c for c in nb["cells"] if not is_solution(c)]}


def strip_solutions(src: str | Path, dest: str | Path) -> list[Path]:
    """Write every ``*.ipynb`` of ``src`` into ``dest`` without its solution cells; return the files written.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "a.ipynb").write_text('{"cells": [{"metadata": {"tags": ["solution"]}}]}')
    >>> [p.name for p in strip_solutions(d, d / "out")]
    ['a.ipynb']
    """
    src, dest = Path(src), Path(dest)
    notebooks = sorted(src.glob("*.ipynb"))
    if not notebooks:
        raise CxrkitError(f"{src}: no notebooks (*.ipynb) in this folder")
    if src.resolve() == dest.resolve():
        raise CxrkitError(f"{dest}: the destination is the source folder; choose another folder")
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for path in notebooks:
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
            stripped = without_solutions(nb)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise CxrkitError(f"{path}: not a notebook ({exc})") from exc
        out = dest / path.name
        out.write_text(json.dumps(stripped, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(out)
    return written
