"""The benchmark suite never rots: its quick mode runs end to end and writes every row (no timings
asserted)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_quick_benchmarks_run_and_write_every_row(tmp_path):
    out = tmp_path / "out"
    readme_before = (REPO / "README.md").read_text()
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.run",
            "--quick",
            "--data",
            str(tmp_path / "data"),
            "--out",
            str(out),
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads((out / "results.json").read_text())
    markdown = (out / "results.md").read_text()

    sys.path.insert(0, str(REPO))
    try:
        from benchmarks.run import load_groups
    finally:
        sys.path.remove(str(REPO))
    by_id = {line["id"]: line for line in report["lines"]}
    for _, group in load_groups():
        implemented = group.available() is None
        for line in group.lines:
            assert line.id in by_id, f"row {line.id} missing from results.json"
            assert f"| {line.id} |" in markdown, f"row {line.id} missing from results.md"
            if implemented and report["data"].get("tables"):
                entry = by_id[line.id]
                assert entry["status"] in ("measured", "not available"), entry
                if entry["status"] == "measured" and line.same_answer:
                    assert entry["answers_match"], f"row {line.id}: kit and baseline answers differ: {entry}"
    # the table's early rows exist on every branch
    assert by_id["1a"]["status"] == "measured" and by_id["2"]["status"] == "measured"
    assert report["machine"]["cores"] >= 1

    # the quick run leaves the README alone (only a full run of every row into benchmarks/ rewrites its table)
    assert (REPO / "README.md").read_text() == readme_before
    run_readme = _import_run()
    readme = tmp_path / "README.md"
    readme.write_text(
        "# x\n\nbefore\n<!-- bench-table:start -->\nold table\n<!-- bench-table:end -->\nafter\n"
    )
    assert run_readme.update_readme(readme, report)
    text = readme.read_text()
    assert "old table" not in text and text.startswith("# x\n\nbefore\n") and text.endswith("\nafter\n")
    assert "\n".join(run_readme.readme_table(report)) in text and "| 1a |" in text
    readme.write_text("no markers here\n")
    assert not run_readme.update_readme(readme, report) and readme.read_text() == "no markers here\n"


def _import_run():
    sys.path.insert(0, str(REPO))
    try:
        from benchmarks import run
    finally:
        sys.path.remove(str(REPO))
    return run


def _report(date, groups, mode="full"):
    return {
        "mode": mode,
        "machine": {"date": date, "commit": "abc", "load_before": "1", "load_after": "2"},
        "lines": [
            {"id": line_id, "group": group, "ratio": date} for group, ids in groups.items() for line_id in ids
        ],
        "groups": [{"group": group} for group in groups],
    }


def test_a_run_of_some_groups_keeps_the_other_rows_of_the_earlier_run(tmp_path):
    run = _import_run()
    earlier = tmp_path / "results.json"
    earlier.write_text(json.dumps(_report("old", {"patients": ["1a", "1b"], "sections": ["7", "9"]})))
    merged = run.keep_other_rows(_report("new", {"sections": ["7", "9", "9f"]}), earlier)
    assert [(x["id"], x["ratio"]) for x in merged["lines"]] == [
        ("1a", "old"), ("1b", "old"), ("7", "new"), ("9", "new"), ("9f", "new"),
    ]  # fmt: skip
    assert sorted(g["group"] for g in merged["groups"]) == ["patients", "sections"]
    assert "sections" in merged["note"] and "old" in merged["note"] and "new" in merged["note"]
    # another mode's results, or none, are not mixed in
    assert (
        run.keep_other_rows(_report("new", {"sections": ["7"]}), tmp_path / "none.json")["lines"][0]["id"]
        == "7"
    )
    quick = _report("new", {"sections": ["7"]}, mode="quick")
    assert len(run.keep_other_rows(quick, earlier)["lines"]) == 1


def test_notebook_memory_sampler_adds_up_a_process_and_its_children_at_once():
    """The notebook memory figures (and the notebooks' 1 GiB check) are the kernel and its workers together:
    two grandchildren holding 60 MiB each at the same time must count twice, on top of their parent."""
    from benchmarks.notebook_memory import TreeSampler

    hold = "import time; b = b'x' * (60 << 20); time.sleep(1.5)"
    parent = (
        "import subprocess, sys, time\n"
        f"kids = [subprocess.Popen([sys.executable, '-c', {hold!r}]) for _ in range(2)]\n"
        "[k.wait() for k in kids]\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", parent])
    with TreeSampler(proc.pid, interval=0.05) as sampler:
        proc.wait()
    assert sampler.most_processes == 3
    assert sampler.together_bytes >= 120 << 20
    assert sampler.bound_bytes >= sampler.together_bytes
