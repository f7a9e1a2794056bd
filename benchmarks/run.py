"""Run the benchmark suite: ``python -m benchmarks.run [--quick] [--data DIR] [--out DIR] [--only IDS]``.

Full mode (``make bench``) generates the full-scale scratch data once (see :mod:`benchmarks.data`), times
every row (kit and baseline alternately, in fresh worker processes, see :mod:`benchmarks.harness`) and writes
``benchmarks/results.md`` and ``benchmarks/results.json``. Quick mode (``--quick``, used by
``tests/test_benchmarks.py``) does the same on small data with one repetition and writes to ``--out``.
Rows whose kit feature is not on this branch yet are reported as "not available".
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import data
from .harness import run_group, unavailable_lines

MODULES = (
    "benchmarks.rows_tables",
    "benchmarks.rows_images",
    "benchmarks.rows_reports",
    "benchmarks.rows_widgets",
    "benchmarks.rows_cohorts",
    "benchmarks.rows_mimic",
)
HERE = Path(__file__).resolve().parent

#: Scale of the scratch data. Full: the real MIMIC-CXR shape; quick: enough to exercise every code path.
SCALES = {
    "full": {
        "subjects": data.FULL_SUBJECTS,
        "dicom_subjects": 110,
        "image_scale": 1.0,
        "n_dicoms": 300,
        "n_gz": 100,
        "n_pixels": 100,
        "many_subjects": 1100,  # ~6,700 small-image DICOMs; the first 3,000 (sorted paths) are timed
        "many_image_scale": 0.05,
        "n_many": 3000,
    },
    "quick": {
        "subjects": 200,
        "dicom_subjects": 4,
        "image_scale": 0.1,
        "n_dicoms": 6,
        "n_gz": 6,
        "n_pixels": 4,
        "many_subjects": 4,
        "many_image_scale": 0.05,
        "n_many": 8,
    },
}


def _loadavg() -> str:
    """The 1/5/15-minute load averages: other work on the machine shows up here (and in the timings)."""
    try:
        return " / ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def _log(msg: str) -> None:
    print(msg, flush=True)


def machine() -> dict:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = int(line.split()[1]) * 1024
    except OSError:
        pass
    versions = {"python": platform.python_version()}
    for mod in ("polars", "pandas", "pydicom", "numpy", "matplotlib", "cxrkit"):
        try:
            versions[mod] = importlib.import_module(mod).__version__
        except Exception:  # noqa: BLE001
            versions[mod] = "not installed"
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        commit = ""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count()
    return {
        "cpu": cpu,
        "cores": cores,
        "ram_gib": round(ram / 2**30, 1) if ram else None,
        "os": f"{platform.system()} {platform.release()}",
        "versions": versions,
        "commit": commit,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def load_groups() -> list[tuple[str, object]]:
    groups = []
    for name in MODULES:
        try:
            mod = importlib.import_module(name)
        except ImportError:
            continue
        groups.extend((name, g) for g in mod.GROUPS.values())
    return groups


def _line_key(line_id: str) -> tuple[int, str]:
    m = re.match(r"(\d+)(.*)", line_id)
    return (int(m.group(1)), m.group(2)) if m else (999, line_id)


def prepare_data(needs: set[str], scale: dict, base: Path, quick: bool) -> dict:
    """Build (or reuse) the scratch data sets the selected groups need; returns the worker context."""
    ctx: dict = {"quick": quick}
    if needs & {"tables", "reports"}:
        root = data.tables_root(base, scale["subjects"], log=_log)
        ctx["tables"] = str(root)
        zips = sorted(root.glob("mimic-cxr-reports*.zip"))
        ctx["reports_zip"] = str(zips[-1]) if zips else None
        ctx["has_reports"] = (root / "files").is_dir()
    if needs & {"dicoms", "browser"}:
        folder = data.dicom_root(base, scale["dicom_subjects"], scale["image_scale"], log=_log)
        if folder is not None:
            dcm = data.dicom_files(folder)
            n, n_gz = scale["n_dicoms"], scale["n_gz"]
            if len(dcm) <= n:
                _log(
                    f"note: only {len(dcm)} DICOMs generated; timing {len(dcm) - 1} (one is the warm-up file)"
                )
                n = len(dcm) - 1
            warmup = dcm[-1]  # outside every timed set
            gz = data.gz_copies(folder, dcm[:n_gz] + [warmup], log=_log)
            ctx.update(
                dicom_dataset=str(folder / "dataset"),
                dicoms=dcm[:n],
                dicoms_gz=gz[:n_gz],
                dicoms_warmup=[warmup],
                dicoms_gz_warmup=[gz[-1]],
                n_pixels=scale["n_pixels"],
                n_gz=n_gz,
            )
            ctx.update(browser_target(folder / "dataset"))
    if "dicoms_many" in needs:
        folder = data.dicom_root(base, scale["many_subjects"], scale["many_image_scale"], log=_log)
        if folder is not None:
            dcm = data.dicom_files(folder)
            n = min(scale["n_many"], len(dcm) - 1)
            ctx.update(dicoms_many=dcm[:n], dicoms_many_warmup=[dcm[-1]])  # the warm-up file is not timed
    return ctx


def browser_target(root: Path) -> dict:
    """A study with exactly two images, both on disk (rows 11-12), and another study to show first."""
    import polars as pl

    records = pl.read_csv(root / "cxr-record-list.csv.gz").sort("subject_id", "study_id", "dicom_id")
    records = records.filter(
        pl.col("path").map_elements(lambda p: (root / p).is_file(), return_dtype=pl.Boolean)
    )
    two = records.group_by("study_id", maintain_order=True).len().filter(pl.col("len") == 2)["study_id"]
    if two.len() == 0:
        return {}
    target = int(two[0])
    other = int(records.filter(pl.col("study_id") != target)["study_id"][0])
    files = [str(root / p) for p in records.filter(pl.col("study_id") == target)["path"]]
    return {"browser_study": target, "other_study": other, "browser_files": files}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small data, one repetition (the test's mode)")
    ap.add_argument(
        "--data",
        type=Path,
        default=None,
        help="scratch data folder (default $CXRKIT_BENCH_DATA or ~/.cache/cxrkit-bench)",
    )
    ap.add_argument(
        "--out",
        type=Path,
        default=None,
        help="where results.md/json go (default: benchmarks/ in full mode, DATA/quick-results in quick)",
    )
    ap.add_argument("--only", default="", help="comma-separated row ids or group names to run (default all)")
    ap.add_argument("--reps", type=int, default=None, help="repetitions per group (default per group)")
    ap.add_argument(
        "--timeout",
        type=float,
        default=120,
        help="seconds allowed for one measurement (a side that times out is not repeated)",
    )
    ap.add_argument(
        "--render-only",
        action="store_true",
        help="rewrite OUT/results.md from OUT/results.json (explanations refreshed), without measuring",
    )
    args = ap.parse_args(argv)
    if args.render_only:
        out = (args.out or HERE).expanduser().resolve()
        report = json.loads((out / "results.json").read_text())
        defined = {line.id: line for _, g in load_groups() for line in g.lines}
        for line in report["lines"]:
            if line["id"] in defined:
                line["why_not_met"] = defined[line["id"]].why_not_met
                line["bound"] = defined[line["id"]].bound
        (out / "results.json").write_text(json.dumps(report, indent=2, default=str))
        (out / "results.md").write_text(render_markdown(report))
        return 0

    started = time.perf_counter()
    load_before = _loadavg()
    mode = "quick" if args.quick else "full"
    scale = SCALES[mode]
    base = (args.data or data.default_data_dir()).expanduser().resolve()
    base.mkdir(parents=True, exist_ok=True)
    out = (args.out or (base / "quick-results" if args.quick else HERE)).expanduser().resolve()
    out.mkdir(parents=True, exist_ok=True)
    only = {x.strip() for x in args.only.split(",") if x.strip()}

    selected = []
    for module, group in load_groups():
        if (
            only
            and group.name not in only
            and not any(line.id in only or line.id.rstrip("ab") in only for line in group.lines)
        ):
            continue
        selected.append((module, group, group.available()))
    needs = {n for _, g, why in selected if why is None for n in g.needs}
    t_data = time.perf_counter()
    ctx = prepare_data(needs, scale, base / mode, args.quick)
    data_seconds = time.perf_counter() - t_data

    # a folder of this run's own: two runs at once (two engineers on one machine) must not wipe each other's
    (base / mode).mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="work-", dir=base / mode))
    ctx.update(work=str(work), warm_cache=str(work / "warm-cache"))

    groups_out, lines = [], []
    try:
        for module, group, why in selected:
            if why is None:
                missing = [n for n in group.needs if not data_ready(n, ctx)]
                if missing:
                    why = f"no scratch data for {', '.join(missing)} (needs cxrkit.demo.make_demo)"
            if why is not None:
                _log(f"{group.name}: not available: {why}")
                lines.extend(unavailable_lines(group, why))
                continue
            reps = args.reps or (group.quick_reps if args.quick else group.reps)
            _log(f"{group.name}: {group.title} ({reps} repetitions)")
            result = run_group(module, group, ctx, reps=reps, timeout=args.timeout, log=_log)
            groups_out.append(result)
            lines.extend(result["lines"])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    lines.sort(key=lambda line: _line_key(line["id"]))

    report = {
        "mode": mode,
        "machine": dict(machine(), load_before=load_before, load_after=_loadavg()),
        "data": {k: v for k, v in ctx.items() if not isinstance(v, list)},
        "scale": scale,
        "data_seconds": data_seconds,
        "total_seconds": time.perf_counter() - started,
        "lines": lines,
        "groups": groups_out,
    }
    if only:
        report = keep_other_rows(report, out / "results.json")
    (out / "results.json").write_text(json.dumps(report, indent=2, default=str))
    (out / "results.md").write_text(render_markdown(report))
    _log(f"wrote {out / 'results.md'} and {out / 'results.json'} in {report['total_seconds']:.0f} s")
    if (
        mode == "full"
        and not only
        and out == HERE.resolve()
        and update_readme(HERE.parent / "README.md", report)
    ):
        _log("updated the table in README.md (a full run of every row into benchmarks/)")
    return 0


def keep_other_rows(report: dict, earlier_path: Path) -> dict:
    """A run of some groups (``--only``) into a folder that holds an earlier run of the same mode keeps that
    run's other groups, and the report says which rows were measured when (a partial run used to replace a
    full run's results with its own few rows)."""
    try:
        earlier = json.loads(earlier_path.read_text())
    except (OSError, ValueError):
        return report
    if earlier.get("mode") != report["mode"]:
        return report
    measured = {g["group"] for g in report["groups"]} | {line["group"] for line in report["lines"]}
    kept = [line for line in earlier.get("lines", []) if line.get("group") not in measured]
    if not kept:
        return report
    m, e = report["machine"], earlier["machine"]
    note = (
        f"**Groups {', '.join(sorted(measured))}** were measured in this run ({m['date']}, commit "
        f"{m['commit'] or '?'}, load {m.get('load_before', '?')} at the start and "
        f"{m.get('load_after', '?')} at the end). The other rows are kept from the run of {e['date']} "
        f"(commit {e['commit'] or '?'}, load "
        f"{e.get('load_before', '?')} / {e.get('load_after', '?')})."
    )
    earlier_note = earlier.get("note") or ""
    lines = sorted(report["lines"] + kept, key=lambda line: _line_key(line["id"]))
    groups = report["groups"] + [g for g in earlier.get("groups", []) if g["group"] not in measured]
    return dict(report, lines=lines, groups=groups, note=" ".join(x for x in (note, earlier_note) if x))


def data_ready(need: str, ctx: dict) -> bool:
    if need == "tables":
        return bool(ctx.get("tables"))
    if need == "reports":
        return bool(ctx.get("has_reports") and ctx.get("reports_zip"))
    if need == "dicoms":
        return bool(ctx.get("dicoms"))
    if need == "dicoms_many":
        return bool(ctx.get("dicoms_many"))
    if need == "browser":
        return bool(ctx.get("browser_study"))
    return False


def _fmt_s(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.3f}" if x < 10 else f"{x:.1f}"


def _spread(line: dict, digits: int = 3) -> str:
    """`` (lo-hi)``: the range of the per-repetition ratios (kit and baseline of the same repetition)."""
    pairs = [k / b for k, b in zip(line.get("kit_times", []), line.get("base_times", []), strict=False) if b]
    return f" ({min(pairs):.{digits}f}-{max(pairs):.{digits}f})" if len(pairs) > 1 else ""


def _fmt_mib(x: float | None) -> str:
    return "-" if x is None else f"{x:,.0f}"


def _kind(line: dict) -> str:
    return line.get("kind", "beginner")


def _base_id(line: dict) -> str:
    """The row a peer or floor line belongs to: ``7f`` -> ``7``, ``1as`` -> ``1a``."""
    return line["id"] if _kind(line) == "beginner" else line["id"][:-1]


def _fmt_ratio(line: dict) -> str:
    if line["status"] != "measured":
        return line["status"]
    mark = "" if line["target"] is None else (" ok" if line["met"] else " **miss**")
    return f"{line['ratio']:.2f}{_spread(line, 2)}{mark}"


def strong_table(report: dict) -> list[str]:
    """Per row, the kit against what a beginner writes, the strongest peers and the floor (ratios kit / other,
    per-repetition range in brackets; "ok"/"miss" where the line has a target)."""
    rows: dict[str, dict[str, list[dict]]] = {}
    for line in report["lines"]:
        rows.setdefault(_base_id(line), {}).setdefault(_kind(line), []).append(line)
    out = [
        "| # | work | cxrkit s | kit / beginner | kit / peer | kit / floor | import s (kit; others) |",
        "|---|---|---|---|---|---|---|",
    ]
    for rid, kinds in rows.items():
        if "peer" not in kinds and "floor" not in kinds:
            continue
        every = [x for k in ("beginner", "peer", "floor") for x in kinds.get(k, [])]
        first = every[0]

        def cell(kind: str, kinds: dict = kinds) -> str:
            return (
                "<br>".join(
                    f"{_fmt_ratio(x)} ({x['id']}: {x['baseline'].split(':')[0]})" for x in kinds.get(kind, [])
                )
                or "-"
            )

        kit_s = next((x["kit_s"] for x in every if x["status"] == "measured"), None)
        imports = [x.get("kit_import_s") for x in every if x.get("kit_import_s") is not None][:1]
        others = [f"{x['id']} {x['base_import_s']:.2f}" for x in every if x.get("base_import_s") is not None]
        imp = (f"{imports[0]:.2f}; " if imports else "-; ") + (", ".join(others) or "-")
        out.append(
            f"| {rid} | {first['work']} | {_fmt_s(kit_s)} | {cell('beginner')} | {cell('peer')} "
            f"| {cell('floor')} | {imp} |"
        )
    return out


def readme_table(report: dict) -> list[str]:
    """The short table of the README: one line per row with a target (against what a user would write), then
    the same rows against the strong side."""
    out = ["| # | work | cxrkit | baseline | ratio | target | met |", "|---|---|---|---|---|---|---|"]
    for line in report["lines"]:
        if _kind(line) != "beginner":
            continue
        if line["status"] == "measured" and line["target"] is not None:
            out.append(
                f"| {line['id']} | {line['work']} | {_fmt_s(line['kit_s'])} s | {_fmt_s(line['base_s'])} s "
                f"| {line['ratio']:.3f} | {line['target_text']} | {'yes' if line['met'] else 'no'} |"
            )
        elif line["status"] != "measured":
            out.append(
                f"| {line['id']} | {line['work']} | - | - | - | {line['target_text']} | {line['status']} |"
            )
    strong = strong_table(report)
    if len(strong) > 2:
        out += ["", "Against the strong side (ratio = cxrkit / other):", "", *strong]
    return out


README_START, README_END = "<!-- bench-table:start -->", "<!-- bench-table:end -->"


def update_readme(readme: Path, report: dict) -> bool:
    """Put :func:`readme_table` between the README's bench-table markers; ``False`` when they are missing."""
    text = readme.read_text()
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        return False
    table = "\n".join(readme_table(report))
    readme.write_text(text[: start + len(README_START)] + "\n" + table + "\n" + text[end:])
    return True


def _detail_row(line: dict, *, imports: bool = False) -> str:
    if line["status"] != "measured":
        dashes = "| - | - | - |" + (" - |" if imports else "")
        return (
            f"| {line['id']} | {line['work']} | {line['baseline']} | - | - | - | {line['target_text']} "
            f"| {line['status']} {dashes}"
        )
    met = "yes" if line["met"] else "**no**"
    if line["target"] is None:
        met = "(no target)"
    same = "yes" if line["answers_match"] else ("no (expected)" if not line["same_answer"] else "**no**")
    imp = ""
    if imports:
        k, b = line.get("kit_import_s"), line.get("base_import_s")
        imp = f" {'-' if k is None else f'{k:.2f}'} / {'-' if b is None else f'{b:.2f}'} |"
    return (
        f"| {line['id']} | {line['work']} | {line['baseline']} "
        f"| {_fmt_s(line['kit_s'])} | {_fmt_s(line['base_s'])} "
        f"| {line['ratio']:.3f}{_spread(line)} | {line['target_text']} | {met} "
        f"| {_fmt_mib(line['kit_peak_mib'])} | {_fmt_mib(line['base_peak_mib'])} |{imp} {same} |"
    )


def render_markdown(report: dict) -> str:
    m = report["machine"]
    v = m["versions"]
    out = [
        "# cxrkit benchmarks"
        + (" (quick mode: small data, not representative)" if report["mode"] == "quick" else ""),
        "",
        (
            f"Measured {m['date']} on {m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB RAM, {m['os']}; "
            f"Python {v['python']}, polars {v['polars']}, pandas {v['pandas']}, pydicom {v['pydicom']}, "
            f"numpy {v['numpy']}, matplotlib {v['matplotlib']}; "
            f"cxrkit {v['cxrkit']} at commit {m['commit'] or '?'}. "
            f"Whole run {report['total_seconds'] / 60:.1f} min "
            f"(data generation {report['data_seconds']:.0f} s). "
            f"Load average (1/5/15 min) {m.get('load_before', '?')} at the start, "
            f"{m.get('load_after', '?')} at the end: a load above the {m['cores']} cores means other work "
            f"shared the machine."
        ),
        "",
        *([report["note"], ""] if report.get("note") else []),
        (
            "Times are medians of the repetitions in seconds; ratio = cxrkit / baseline (lower is better), "
            "with the range of the per-repetition ratios in brackets (rows near their target can flip "
            "between runs); peak = extra resident memory during the timed work (MiB), including worker "
            "processes."
        ),
        "",
        (
            "| # | work | baseline | cxrkit s | baseline s | ratio | target | met "
            "| cxrkit peak MiB | baseline peak MiB | same answer |"
        ),
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for line in [x for x in report["lines"] if _kind(x) == "beginner"]:
        out.append(_detail_row(line))
    strong = [x for x in report["lines"] if _kind(x) != "beginner"]
    if strong:
        out += [
            "",
            "## Against the strong side",
            "",
            (
                "The same work against the strongest alternative a practised user has (DuckDB, "
                "hand-written polars, the official parser's loop over `zipfile`) and against the floor "
                "(reading or inflating the bytes, nothing parsed). Ratio = cxrkit / other, per-repetition "
                "range in brackets; import s: importing the side's libraries in a fresh process, timed "
                "apart from the work."
            ),
            "",
            *strong_table(report),
            "",
            (
                "| # | work | other side | cxrkit s | other s | ratio | target | met "
                "| cxrkit peak MiB | other peak MiB | import s (kit / other) | same answer |"
            ),
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for line in strong:
            out.append(_detail_row(line, imports=True))
    notes = []
    bounds = [f"- **{x['id']}**: {x['bound']}" for x in report["lines"] if x.get("bound")]
    if bounds:
        out += ["", "## What bounds each row", "", *bounds]
    notes = []
    for line in report["lines"]:
        if line["status"] == "not available":
            notes.append(f"- **{line['id']}** not available: {line['reason']}.")
        elif line["status"] == "error":
            notes.append(f"- **{line['id']}** failed: {line.get('error')}")
        elif not line["met"]:
            why = []
            if line["target"] is not None and line["ratio"] > line["target"]:
                why.append(f"ratio {line['ratio']:.3f} above the target {line['target']:g}")
            if line.get("memory_ok") is False:
                why.append(
                    f"peak memory {line['kit_peak_mib']:.0f} MiB not below the baseline's "
                    f"{line['base_peak_mib']:.0f} MiB"
                )
            if not line["answers_match"] and line["same_answer"]:
                why.append("the answers differ")
            notes.append(f"- **{line['id']}** not met: {'; '.join(why)}. {line['why_not_met']}".rstrip())
    if notes:
        out += ["", "## Targets not met, rows not run", ""] + notes
    out += ["", "## README snippet", "", *readme_table(report)]
    out += ["", "## Answers", ""]
    for line in report["lines"]:
        if line["status"] == "measured":
            out.append(f"- {line['id']}: cxrkit {line['summary']}; baseline {line['base_summary']}")
    out += ["", "## Groups", ""]
    for g in report["groups"]:
        out.append(f"- `{g['group']}` ({g['reps']} repetitions): {g['title']}. {g['note']}".rstrip())
        for name, s in g["sides"].items():
            times = ", ".join(f"{t:.3f}" for t in s["times"])
            out.append(
                f"  - {name}: {times} s; peak {_fmt_mib(s['peak_mib'])} MiB"
                + (f"; errors: {s['errors'][0].splitlines()[-1]}" if s["errors"] else "")
            )
    out += ["", "## Method", "", METHOD, ""]
    return "\n".join(out)


METHOD = """\
- Data: synthetic, of the real shape, generated once into a scratch folder outside the repository
  (`benchmarks/data.py`): 65,379 patients, 227,835 studies, 377,110 images with the facts sheet's
  images-per-study mix; metadata, chexpert and split at the same scale; reports and DICOMs from `cxrkit.demo`.
- Each repetition runs every side of a group once, in an order that rotates between repetitions, so the kit
  and its baseline alternate under the same conditions (same page cache, same machine load). A group reading
  many files (the report rows) reads them all once, untimed, before its first repetition.
- Every measurement runs in a fresh `python -m benchmarks.worker` process: the side's libraries are imported
  and its inputs prepared before the clock starts; only the work itself is timed (`time.perf_counter`).
- Peak memory: the worker resets its resident-set high-water mark (`/proc/self/clear_refs`), runs the work,
  and reports `VmHWM` minus the resident size before the work, plus the peak private resident memory of every
  child process it started (pool workers: `Private_Clean + Private_Dirty` from `/proc/PID/smaps_rollup`,
  sampled every 250 ms, so pages shared with the parent are not counted twice). Reported: the median over
  repetitions.
- Work a call leaves running in background threads (cache writes) is waited for after the clock stops: its
  memory counts in the peak, its time does not (the user has the answer by then).
- "First call" sides get a new empty cache folder per repetition; "cached" sides use a cache warmed before
  timing.
- Answers: each side's result is reduced to a canonical form (e.g. the sorted rows of the result) and
  fingerprinted; "same answer" means every repetition of both sides produced the same fingerprint."""


if __name__ == "__main__":
    sys.exit(main())
