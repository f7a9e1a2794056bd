"""The README's "Using it" examples run as written (on the demo dataset), so a newcomer copying them gets
what the README promises."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

README = Path(__file__).resolve().parents[2] / "README.md"


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


def test_where_things_are_names_every_folder_and_module_of_the_top_level():
    text = README.read_text()
    start = text.index("\n## Where things are")
    block = re.search(r"```\n(.*?)```", text[start:], flags=re.DOTALL).group(1)
    left = " ".join(re.split(r"\s{3,}", line.strip())[0] for line in block.splitlines() if line[:1] != " ")
    named = set(left.split())
    package = README.parent / "cxrkit"
    assert all((package / name.rstrip("/")).exists() for name in named), named
    aliases = {"imagestats.py", "remote.py", "cache.py", "scan.py"}  # old names, described below the block
    top = {
        p.name + ("/" if p.is_dir() else "")
        for p in package.iterdir()
        if not p.name.startswith("_") and p.name not in aliases and p.name != "__pycache__"
    }
    assert top <= named, f"not in the README's map: {sorted(top - named)}"
