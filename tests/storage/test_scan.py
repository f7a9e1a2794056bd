from __future__ import annotations

import concurrent.futures as cf
import os
import signal
import time

import pytest

from cxrkit.storage import (
    choose_executor,
    default_workers,
    map_paths,
    pool_is_warm,
    shared_pool,
    shutdown_pool,
)

needs_two = pytest.mark.skipif(default_workers() < 2, reason="a pool needs two CPUs")  # skip: 1-CPU hosts


def _pid_row(item):
    return {"item": item, "pid": os.getpid()}


def _square_or_fail(item):
    if item == 3:
        raise ValueError("three")
    return {"item": item, "sq": item * item}


# --- the decision ------------------------------------------------------------------------------------


def test_choice_serial_on_one_cpu_or_one_item():
    assert choose_executor(10**6, 1.0, workers=1, pool_warm=True) == "serial"
    assert choose_executor(1, 100.0, workers=8, pool_warm=True) == "serial"
    assert choose_executor(0, 1.0, workers=8, pool_warm=True) == "serial"


def test_choice_pays_the_start_only_when_cold():
    # 3,000 headers at 200 us: 0.6 s here; cold 1.0 + 3000 * (100 + 70) us = 1.51 s; warm 0.51 s
    assert choose_executor(3000, 200e-6, workers=2, pool_warm=False) == "serial"
    assert choose_executor(3000, 200e-6, workers=2, pool_warm=True) == "pool"


def test_choice_at_the_boundary():
    # serial n*c against start + n*(c/w + o): with start 1, o 0, w 2 the tie is at n*c = 2
    kw = {"workers": 2, "start_s": 1.0, "overhead_s": 0.0}
    assert choose_executor(20, 0.1, pool_warm=False, **kw) == "serial"  # equal: not worth it
    assert choose_executor(21, 0.1, pool_warm=False, **kw) == "pool"
    assert choose_executor(19, 0.1, pool_warm=False, **kw) == "serial"
    # when the per-item overhead exceeds what a second worker saves, never the pool
    assert choose_executor(10**6, 50e-6, workers=2, pool_warm=True, overhead_s=30e-6) == "serial"
    assert choose_executor(10**6, 70e-6, workers=2, pool_warm=True, overhead_s=30e-6) == "pool"


# --- the shared pool ---------------------------------------------------------------------------------


@needs_two
def test_pool_is_reused_across_calls():
    shutdown_pool()
    items = list(range(4 * default_workers()))
    first = map_paths(_pid_row, items, executor="pool", progress=False, chunksize=1)
    pool = shared_pool()
    workers = {p.pid for p in pool._processes.values()}
    assert pool_is_warm()
    second = map_paths(_pid_row, items, executor="pool", progress=False, chunksize=1)
    assert shared_pool() is pool
    pids = {r["pid"] for r in first + second}
    assert os.getpid() not in pids and pids <= workers  # the work ran in the same worker processes
    assert {p.pid for p in pool._processes.values()} == workers


@needs_two
def test_pool_never_forks():
    pool = shared_pool()
    assert pool._mp_context.get_start_method() in {"forkserver", "spawn"}


@needs_two
def test_results_identical_serial_and_pool():
    items = list(range(50))
    serial = map_paths(_square_or_fail, items, executor="serial", progress=False)
    pooled = map_paths(_square_or_fail, items, executor="pool", progress=False, chunksize=7)
    assert pooled == serial
    assert serial[3] == {"error": "ValueError: three"} and serial[4] == {"item": 4, "sq": 16, "error": None}


@needs_two
def test_broken_pool_is_replaced():
    map_paths(_pid_row, [1, 2], executor="pool", progress=False, chunksize=1)
    old = shared_pool()
    victim = next(iter(old._processes.values())).pid
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while not old._broken and time.monotonic() < deadline:  # the executor notices the dead worker
        time.sleep(0.01)
    assert old._broken and not pool_is_warm()
    rows = map_paths(_pid_row, [1, 2, 3], executor="pool", progress=False, chunksize=1)  # on a new pool
    assert shared_pool() is not old and [r["item"] for r in rows] == [1, 2, 3]
    assert victim not in {r["pid"] for r in rows}


def test_default_runs_here_when_the_pool_does_not_pay():
    shutdown_pool()
    rows = map_paths(_pid_row, list(range(40)), progress=False)  # microseconds each: a pool never pays
    assert {r["pid"] for r in rows} == {os.getpid()} and [r["item"] for r in rows] == list(range(40))
    assert not pool_is_warm()


@needs_two
def test_default_uses_the_pool_when_told_the_work_is_long():
    rows = map_paths(_pid_row, list(range(8)), progress=False, item_seconds=10.0, chunksize=1)
    assert os.getpid() not in {r["pid"] for r in rows} and [r["item"] for r in rows] == list(range(8))


def test_explicit_executors_unchanged():
    with cf.ThreadPoolExecutor(2) as threads:
        rows = map_paths(_square_or_fail, range(6), executor=threads, progress=False)
    assert [r.get("sq") for r in rows] == [0, 1, 4, None, 16, 25]
    assert map_paths(_pid_row, [1], executor="serial", progress=False)[0]["pid"] == os.getpid()
    with pytest.raises(TypeError, match="executor must be"):
        map_paths(_pid_row, [1], executor="threads", progress=False)


@needs_two
def test_fork_pool_replaced_once_polars_is_loaded():
    import multiprocessing

    import polars  # noqa: F401 - the condition the guard is about

    with cf.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        with pytest.warns(RuntimeWarning, match="'fork' start method.*forkserver"):
            rows = map_paths(_pid_row, [1, 2], executor=pool, progress=False)
        assert not pool._processes  # nothing was forked
    shared = {p.pid for p in shared_pool()._processes.values()}
    assert [r["item"] for r in rows] == [1, 2] and {r["pid"] for r in rows} <= shared


def test_non_fork_pool_accepted():
    import multiprocessing

    with cf.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        rows = map_paths(_pid_row, [1, 2], executor=pool, progress=False)
    assert [r["item"] for r in rows] == [1, 2] and all(r["pid"] != os.getpid() for r in rows)
