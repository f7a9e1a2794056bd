"""The code stays ruff-clean (the notebooks' code is checked in test_notebooks.py)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_ruff_is_clean():
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    assert ruff, "ruff is in the test extra; run make test"
    targets = [p for p in ("cxrkit", "tests", "benchmarks", "conftest.py") if (ROOT / p).exists()]
    out = subprocess.run(
        [ruff, "check", "--output-format", "concise", *targets],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_ruff_format_is_clean():
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    assert ruff, "ruff is in the test extra; run make test"
    targets = [p for p in ("cxrkit", "tests", "benchmarks", "conftest.py") if (ROOT / p).exists()]
    out = subprocess.run(
        [ruff, "format", "--check", *targets],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
