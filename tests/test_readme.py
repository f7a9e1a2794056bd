"""The README's "Using it" examples run as written (on the demo dataset), so a newcomer copying them gets
what the README promises."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

README = Path(__file__).resolve().parent.parent / "README.md"


def _using_it_blocks() -> list[str]:
    text = README.read_text()
    start = text.index("\n## Using it")
    end = text.index("\n## ", start + 1)
    return re.findall(r"```python\n(.*?)```", text[start:end], flags=re.DOTALL)


def test_the_using_it_examples_run_on_the_demo(demo_dicom, monkeypatch):
    monkeypatch.setenv("CXRKIT_ROOT", str(demo_dicom))
    blocks = _using_it_blocks()
    assert len(blocks) >= 2, "the README's Using it section lost its examples"
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)  # noqa: S102 - our own README
    assert namespace["study"].study_id == 50414267
    assert namespace["sections"].height == namespace["ds"].studies().collect().height
    assert isinstance(namespace["found"], pl.DataFrame) and "Pleural Effusion" in namespace["found"].columns
