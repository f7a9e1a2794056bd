"""The benchmark harness: groups of timed sides, run alternately in fresh worker processes.

Vocabulary
----------
side
    One way of doing a piece of work (``kit-first``, ``pandas``...). ``prepare(ctx)`` runs untimed in the
    worker (imports, warm-up, loading inputs) and returns the thunk that is timed; ``answer(result)`` turns
    the thunk's result into a canonical, JSON-able answer (untimed) so kit and baseline answers can be
    compared.
line
    One row of the results table: a kit side against a baseline side, with a target ratio.
group
    Sides that share data and are timed together: each repetition runs every side once, in an order that
    rotates between repetitions, so kit and baseline alternate and share the same machine conditions.

Method
------
Every measurement (one side, one repetition) runs in a fresh ``python -m benchmarks.worker`` process, so each
side starts from the same state (its libraries imported, nothing of the other side's allocations around) and
peak memory is attributable:

* time: ``time.perf_counter()`` around the thunk only (not the interpreter start, not the imports); work the
  call leaves running in non-daemon threads (background cache writes) is waited for after the clock stops, so
  its memory is counted but its time is not (it is reported as ``background_seconds``);
* peak memory: after ``prepare`` the worker resets its own high-water mark (writing ``5`` to
  ``/proc/self/clear_refs``), runs the thunk, and reports ``VmHWM - VmRSS(before)`` - the extra resident
  memory the work needed - plus, for every child process it started (process pools), the peak of its private
  resident memory (``Private_Clean + Private_Dirty`` of ``/proc/PID/smaps_rollup``, so pages shared with the
  parent after the fork are not counted twice), sampled every 250 ms (reading it costs 1-2 ms a process:
  faster sampling would steal CPU from the pool it measures; a child's peak between samples can be missed).
  Where ``clear_refs`` is unavailable it falls back to ``ru_maxrss`` (an upper bound that includes the
  imports).
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import importlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# --- definitions ---------------------------------------------------------------------------------------


@dataclasses.dataclass
class Side:
    name: str
    prepare: Callable[[dict], Callable[[], Any]]
    answer: Callable[[Any], tuple[Any, str]]  # (canonical JSON-able answer, short human summary)
    fresh_dir: bool = False  # give each repetition a new empty scratch folder (ctx["fresh"])
    # modules the side needs, imported (and timed) first in the fresh worker: the import column of the results
    imports: tuple[str, ...] = ()


@dataclasses.dataclass
class Line:
    id: str
    work: str
    baseline: str
    kit: str  # side name
    base: str  # side name
    target: float | None  # ratio kit/baseline must be <= target; None: reported, no target
    target_text: str
    memory_target: bool = False  # the kit's peak memory must also be below the baseline's
    why_not_met: str = ""  # analysis shown when the target is not met (why, and what it would take)
    same_answer: bool = True  # False: a reference baseline whose answers are known to differ (reported)
    # what the baseline is: "beginner" (what a user would write), "peer" (the strongest alternative) or
    # "floor" (the physical bound: reading or inflating the bytes); peers and floors get a table of their own
    kind: str = "beginner"
    bound: str = (
        ""  # what bounds the row now (I/O, decode, Python per-file cost, the GIL) and what would move it
    )


@dataclasses.dataclass
class Group:
    name: str
    title: str
    sides: list[Side]
    lines: list[Line]
    needs: tuple[str, ...]  # data the group needs: "tables", "reports", "dicoms", "browser"
    available: Callable[[], str | None]  # None when the kit feature is present, else why not
    reps: int = 5
    quick_reps: int = 1
    note: str = ""
    # untimed, once before the repetitions: puts every side on the same footing (e.g. files in the page cache,
    # which otherwise only the side that runs first reads cold)
    warm_up: Callable[[dict], None] | None = None

    def side(self, name: str) -> Side:
        for s in self.sides:
            if s.name == name:
                return s
        raise KeyError(name)


def module_available(module: str, *names: str) -> str | None:
    """``None`` when ``module`` imports and has every attribute in ``names``,
    else the reason it is not there."""
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        return f"{module} is not on this branch yet ({exc})"
    missing = [n for n in names if not hasattr(mod, n)]
    if missing:
        return f"{module} has no {', '.join(missing)} yet"
    return None


def digest(answer: Any) -> str:
    """A short stable fingerprint of a canonical answer."""
    text = json.dumps(answer, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# --- memory --------------------------------------------------------------------------------------------


def _status(pid: int | str = "self") -> dict[str, int]:
    out: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(("VmHWM:", "VmRSS:")):
                    key, value = line.split(":", 1)
                    out[key] = int(value.split()[0]) * 1024
    except OSError:
        pass
    return out


def _private(pid: int) -> int:
    """Resident memory of a process not shared with others (Private_Clean + Private_Dirty), in bytes.

    A forked pool worker shares its parent's pages until it writes them; counting its whole RSS would count
    the parent's libraries and data twice."""
    total = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith(("Private_Clean:", "Private_Dirty:")):
                    total += int(line.split()[1]) * 1024
    except OSError:
        return 0
    return total


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{task}/children") as fh:
                    kids.extend(int(x) for x in fh.read().split())
            except OSError:
                pass
    except OSError:
        pass
    return kids


class ChildPeaks(threading.Thread):
    """Samples the private resident memory of every descendant process while the timed work runs; keeps each
    one's peak."""

    def __init__(self, interval: float = 0.25) -> None:  # reading smaps_rollup costs ~1-2 ms a process
        super().__init__(daemon=True)
        self.interval = interval
        self.peaks: dict[int, int] = {}
        self._stop_event = threading.Event()

    def _sample(self) -> None:
        todo = _children(os.getpid())
        while todo:
            pid = todo.pop()
            private = _private(pid)
            if private:
                self.peaks[pid] = max(self.peaks.get(pid, 0), private)
            todo.extend(_children(pid))

    def run(self) -> None:
        while not self._stop_event.is_set():
            self._sample()
            self._stop_event.wait(self.interval)

    def stop(self) -> int:
        self._sample()
        self._stop_event.set()
        self.join()
        return sum(self.peaks.values())


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


# --- worker side ---------------------------------------------------------------------------------------


def run_one(module: str, group: str, side: str, ctx: dict) -> dict:
    """Run one measurement in this process (the worker): prepare, reset the memory peak, time, answer."""
    grp = importlib.import_module(module).GROUPS[group]
    s = grp.side(side)
    t_import = time.perf_counter()
    for name in s.imports:  # a fresh process: what a new session pays before its first call
        importlib.import_module(name)
    import_seconds = time.perf_counter() - t_import
    thunk = s.prepare(ctx)
    gc.collect()
    exact = _reset_peak()
    before = _status().get("VmRSS", 0)
    sampler = ChildPeaks()
    sampler.start()
    t0 = time.perf_counter()
    result = thunk()
    seconds = time.perf_counter() - t0
    # work the call left running in the background (e.g. cache writes) counts towards its memory, not its time
    # (not a process pool's manager thread: the kit keeps its pool warm for the session, so that thread only
    # ends at exit and joining it would hang the measurement)
    for thread in threading.enumerate():
        if thread is threading.main_thread() or thread.daemon:
            continue
        if type(thread).__name__ == "_ExecutorManagerThread":
            continue
        thread.join(timeout=300)
    background = time.perf_counter() - t0 - seconds
    children = sampler.stop()
    if exact:
        own = max(0, _status().get("VmHWM", 0) - before)
        method = "VmHWM-delta"
    else:  # pragma: no cover - not Linux
        import resource

        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        method = "ru_maxrss"
    canonical, summary = s.answer(result)
    return {
        "seconds": seconds,
        "import_seconds": import_seconds,
        "background_seconds": background,
        "peak_bytes": own + children,
        "peak_own_bytes": own,
        "peak_children_bytes": children,
        "memory_method": method,
        "answer": digest(canonical),
        "summary": summary,
    }


# --- parent side ---------------------------------------------------------------------------------------


def _measure(module: str, group: Group, side: Side, ctx: dict, timeout: float) -> dict:
    spec = {"module": module, "group": group.name, "side": side.name, "ctx": ctx}
    out_file = Path(ctx["work"]) / f"result-{group.name}-{side.name}-{ctx['rep']}.json"
    out_file.unlink(missing_ok=True)
    spec_file = out_file.with_name(out_file.name.replace("result-", "spec-"))
    spec_file.write_text(json.dumps(spec))  # a file, not argv: the context can hold hundreds of paths
    env = dict(os.environ, PYTHONHASHSEED="0", MPLBACKEND="Agg")
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    # the worker leads its own process group, so a hung measurement is ended with every pool process
    # it started
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.worker", str(spec_file), str(out_file)],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _end_group(proc)
        return {
            "error": f"timed out after {timeout:g} s (the measurement hung or is far too slow)",
            "timed_out": True,
        }
    _end_group(proc)  # pool workers left behind by a crashed worker
    if proc.returncode != 0 or not out_file.exists():
        tail = (stderr or stdout).strip().splitlines()[-15:]
        return {"error": f"worker exited {proc.returncode}: " + "\n".join(tail)}
    return json.loads(out_file.read_text())


def _end_group(proc: subprocess.Popen) -> None:
    """Kill the process group this harness started for one worker (nothing else), and reap the worker."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.communicate(timeout=10)
    except (subprocess.TimeoutExpired, ValueError):
        pass


def run_group(
    module: str, group: Group, ctx: dict, *, reps: int, timeout: float, log: Callable[[str], None]
) -> dict:
    """Time every side of ``group`` ``reps`` times, alternating (rotating order),
    each run in a fresh worker."""
    samples: dict[str, list[dict]] = {s.name: [] for s in group.sides}
    if group.warm_up is not None:
        group.warm_up(ctx)
    for rep in range(reps):
        k = rep % len(group.sides)
        order = group.sides[k:] + group.sides[:k]
        for side in order:
            if any(r.get("timed_out") for r in samples[side.name]):
                samples[side.name].append({"error": "skipped: an earlier repetition timed out"})
                log(f"  {group.name}/{side.name} rep {rep}: skipped (an earlier repetition timed out)")
                continue
            run_ctx = dict(ctx, rep=rep)
            fresh = None
            if side.fresh_dir:
                fresh = Path(ctx["work"]) / f"fresh-{group.name}-{side.name}-{rep}"
                shutil.rmtree(fresh, ignore_errors=True)
                fresh.mkdir(parents=True)
                run_ctx["fresh"] = str(fresh)
            result = _measure(module, group, side, run_ctx, timeout)
            if fresh is not None:
                shutil.rmtree(fresh, ignore_errors=True)
            samples[side.name].append(result)
            if "error" in result:
                log(f"  {group.name}/{side.name} rep {rep}: ERROR {result['error'].splitlines()[-1]}")
            else:
                log(
                    f"  {group.name}/{side.name} rep {rep}: {result['seconds']:.3f} s, "
                    f"peak {result['peak_bytes'] / 2**20:.0f} MiB, {result['summary']}"
                )
    sides = {}
    for name, runs in samples.items():
        ok = [r for r in runs if "error" not in r]
        errors = [r["error"] for r in runs if "error" in r]
        sides[name] = {
            "times": [r["seconds"] for r in ok],
            "import_s": statistics.median([r.get("import_seconds", 0.0) for r in ok]) if ok else None,
            "background_s": statistics.median([r.get("background_seconds", 0.0) for r in ok]) if ok else None,
            "median_s": statistics.median([r["seconds"] for r in ok]) if ok else None,
            "peak_mib": statistics.median([r["peak_bytes"] for r in ok]) / 2**20 if ok else None,
            "peak_children_mib": max(r["peak_children_bytes"] for r in ok) / 2**20 if ok else None,
            "answers": sorted({r["answer"] for r in ok}),
            "summary": ok[0]["summary"] if ok else None,
            "errors": errors,
        }
    lines = []
    for line in group.lines:
        kit, base = sides[line.kit], sides[line.base]
        entry = {**dataclasses.asdict(line), "group": group.name, "status": "measured"}
        if kit["median_s"] is None or base["median_s"] is None:
            entry.update(status="error", error=(kit["errors"] + base["errors"])[:1])
            lines.append(entry)
            continue
        ratio = kit["median_s"] / base["median_s"] if base["median_s"] else float("inf")
        match = len(kit["answers"]) == 1 and kit["answers"] == base["answers"]
        met = ratio <= line.target if line.target is not None else True
        mem_ok = None
        if line.memory_target:
            mem_ok = kit["peak_mib"] < base["peak_mib"]
            met = met and mem_ok
        entry.update(
            kit_s=kit["median_s"],
            base_s=base["median_s"],
            ratio=ratio,
            kit_peak_mib=kit["peak_mib"],
            base_peak_mib=base["peak_mib"],
            answers_match=match,
            memory_ok=mem_ok,
            met=bool(met and (match or not line.same_answer)),
            kit_times=kit["times"],
            base_times=base["times"],
            kit_import_s=kit["import_s"],
            base_import_s=base["import_s"],
            kit_background_s=kit["background_s"],
            summary=kit["summary"],
            base_summary=base["summary"],
        )
        lines.append(entry)
    return {
        "group": group.name,
        "title": group.title,
        "note": group.note,
        "reps": reps,
        "sides": sides,
        "lines": lines,
    }


def unavailable_lines(group: Group, reason: str) -> list[dict]:
    return [
        {**dataclasses.asdict(line), "group": group.name, "status": "not available", "reason": reason}
        for line in group.lines
    ]
