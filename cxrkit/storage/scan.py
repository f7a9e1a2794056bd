"""Run a function over many paths: any executor, chunked, with progress and an error row per bad input.

One helper for every scan in the kit (image headers, pixel statistics, report ingest). The function runs on
chunks of inputs so process pools and Dask clusters pay their overhead once per chunk, not once per file; an
exception on one input becomes that input's error text, never the end of the scan.

With the default executor the work goes to one process pool kept for the session (:func:`shared_pool`:
started on first need, with ``forkserver`` or ``spawn``, never ``fork``; shut down at exit; replaced when
broken), and only when :func:`choose_executor` estimates that it pays: the per-item cost (given, or measured
here on the first few items), the pool's start cost (none once it is warm) and the CPUs.

Examples
--------
>>> def length(p):
...     return {"n": len(p)}
>>> rows = map_paths(length, ["a", "bb"], executor="serial", progress=False)
>>> [r["n"] for r in rows]
[1, 2]
"""

from __future__ import annotations

import atexit
import concurrent.futures as cf
import multiprocessing
import os
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Literal

Row = dict[str, Any]

#: Seconds to start the shared pool and import the kit (polars, pydicom) in its workers: 1.1-1.2 s measured
#: on 2 cores at load 1 (2 header files on a cold pool; 0.3-1 s in issue #21). Paid once per session.
POOL_START_S = 1.0
#: Seconds the pool adds per item: pickling the item and its row both ways and the parent's bookkeeping
#: (3,000 header rows of 25 fields: 0.43-0.55 s on a warm pool of 2 vs 0.58 s here, about 65 us a row).
POOL_ITEM_S = 70e-6
#: Items timed in this process before choosing (at most), and the time after which timing stops.
PROBE_ITEMS = 16
PROBE_S = 0.05

_lock = threading.Lock()
_pool: cf.ProcessPoolExecutor | None = None
_pool_pid: int | None = None  # the process that made it (a forked child must not reuse it)
_pool_warm = False  # a task has completed on it: its workers run and have the kit imported


def _run_chunk(func: Callable[[Any], Row], items: Sequence[Any]) -> list[Row]:
    rows = []
    for item in items:
        try:
            row = dict(func(item))
            row.setdefault("error", None)
        except Exception as exc:  # noqa: BLE001 - one bad input must not end the scan
            row = {"error": f"{type(exc).__name__}: {exc}"}
        rows.append(row)
    return rows


def default_workers() -> int:
    """Worker processes for the default pool: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def choose_executor(
    n_items: int,
    item_s: float,
    *,
    workers: int,
    pool_warm: bool,
    start_s: float = POOL_START_S,
    overhead_s: float = POOL_ITEM_S,
) -> Literal["serial", "pool"]:
    """Whether ``n_items`` of ``item_s`` seconds each finish sooner here or on a pool of ``workers``.

    Serial takes ``n_items * item_s``; the pool ``start_s`` (0 when warm) ``+ n_items * (item_s / workers +
    overhead_s)``. The pool is chosen only when strictly sooner.

    Examples
    --------
    >>> choose_executor(3000, 70e-6, workers=2, pool_warm=False)  # 0.21 s here vs 0.5 s just to start
    'serial'
    >>> choose_executor(100, 0.2, workers=2, pool_warm=False)  # 20 s of pixels: worth starting one
    'pool'
    """
    if workers <= 1 or n_items <= 1:
        return "serial"
    serial = n_items * item_s
    pool = (0.0 if pool_warm else start_s) + n_items * (item_s / workers + overhead_s)
    return "pool" if pool < serial else "serial"


def _context() -> multiprocessing.context.BaseContext:
    # forkserver or spawn, not fork: forking a process that has polars' thread pool running can deadlock
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def shared_pool() -> cf.ProcessPoolExecutor:
    """The session's process pool (made on first call, :func:`default_workers` processes, ``forkserver`` or
    ``spawn``), the one the default executor of :func:`map_paths` uses. A broken pool (a worker killed) or one
    inherited from a parent process is replaced. It is shut down when the interpreter exits.

    Examples
    --------
    >>> shared_pool() is shared_pool()
    True
    """
    global _pool, _pool_pid, _pool_warm
    with _lock:
        stale = _pool is not None and (_pool_pid != os.getpid() or getattr(_pool, "_broken", False))
        if stale:
            if _pool_pid == os.getpid():
                _pool.shutdown(wait=False, cancel_futures=True)  # type: ignore[union-attr]
            _pool = None
        if _pool is None:
            _pool = cf.ProcessPoolExecutor(max_workers=default_workers(), mp_context=_context())
            _pool_pid, _pool_warm = os.getpid(), False
        return _pool


def pool_is_warm() -> bool:
    """Whether :func:`shared_pool` exists in this process, is not broken and has already run work."""
    pool = _pool
    return bool(
        _pool_warm and pool is not None and _pool_pid == os.getpid() and not getattr(pool, "_broken", 0)
    )


def shutdown_pool() -> None:
    """Stop the shared pool's workers (the next scan that needs one starts a new pool)."""
    global _pool, _pool_warm
    with _lock:
        pool, _pool, _pool_warm = _pool, None, False
    if pool is not None and _pool_pid == os.getpid():
        pool.shutdown(wait=True, cancel_futures=True)


atexit.register(shutdown_pool)


def _as_executor(executor: Any) -> cf.Executor | None:
    """A Dask client becomes its executor, ``"pool"`` the shared pool, ``"serial"`` ``None``."""
    if isinstance(executor, str) and executor == "serial":
        return None
    if isinstance(executor, str) and executor == "pool":
        return shared_pool() if default_workers() > 1 else None
    if hasattr(executor, "get_executor") and not isinstance(executor, cf.Executor):  # dask.distributed.Client
        return executor.get_executor()
    if isinstance(executor, cf.Executor):
        return _fork_safe(executor)
    raise TypeError(
        "executor must be None, 'serial', 'pool', a concurrent.futures.Executor or a "
        f"dask.distributed.Client, not {type(executor).__name__}"
    )


def _fork_safe(executor: cf.Executor) -> cf.Executor:
    """A user's ``fork`` process pool, once polars is loaded, is replaced by :func:`shared_pool` (a warning):
    forking a process whose polars thread pool is running can deadlock the children."""
    if not isinstance(executor, cf.ProcessPoolExecutor) or "polars" not in sys.modules:
        return executor
    context = getattr(executor, "_mp_context", None)
    if context is None or context.get_start_method() != "fork":
        return executor
    warnings.warn(
        "a ProcessPoolExecutor with the 'fork' start method can deadlock once polars is imported (its "
        "thread pool is copied mid-work into the children): the work runs on the kit's shared forkserver "
        "pool instead; pass mp_context=multiprocessing.get_context('forkserver') (or 'spawn') to use "
        "your own",
        RuntimeWarning,
        stacklevel=4,
    )
    return shared_pool()


def _probe(func: Callable[[Any], Row], items: Sequence[Any]) -> tuple[list[Row], float]:
    """Run the first items here until :data:`PROBE_ITEMS` or :data:`PROBE_S`; rows and median seconds/item."""
    rows, times = [], []
    start = time.perf_counter()
    for item in items[:PROBE_ITEMS]:
        t0 = time.perf_counter()
        rows.extend(_run_chunk(func, [item]))
        t1 = time.perf_counter()
        times.append(t1 - t0)
        if t1 - start >= PROBE_S:
            break
    times.sort()
    return rows, times[len(times) // 2]


def map_paths(
    func: Callable[[Any], Row],
    items: Iterable[Any],
    *,
    executor: Any = None,
    progress: bool = True,
    chunksize: int | None = None,
    desc: str = "scanning",
    item_seconds: float | None = None,
) -> list[Row]:
    """Apply ``func`` to every item and return one row dict per item, in input order.

    Parameters
    ----------
    func
        A picklable (module-level) function of one item returning a dict. Exceptions it raises become an
        ``error`` entry (``"TypeName: message"``) in that item's row; successful rows get ``error=None``.
    items
        Paths or any picklable values.
    executor
        ``None``: in this process or on the session's :func:`shared_pool`, whichever
        :func:`choose_executor` estimates sooner; ``"serial"`` to run in this process; ``"pool"`` for the
        shared pool; any :class:`concurrent.futures.Executor` (a ``fork`` process pool is replaced by the
        shared pool, with a warning, once polars is imported: it can deadlock); or a
        ``dask.distributed.Client``.
    progress
        Show a ``tqdm.auto`` bar (renders in notebooks and terminals).
    chunksize
        Items per task; by default about 4 chunks per worker, at most 256 items each.
    desc
        Label of the progress bar.
    item_seconds
        Estimated seconds per item for the choice of the default executor; ``None`` to time the first few
        items here (their rows are kept).
    """
    items = list(items)
    if not items:
        return []
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(items), desc=desc, unit="file")
    try:
        done: list[Row] = []
        if executor is None:
            if item_seconds is None:
                done, item_seconds = _probe(func, items)
                if bar is not None:
                    bar.update(len(done))
            rest = len(items) - len(done)
            choice = choose_executor(rest, item_seconds, workers=default_workers(), pool_warm=pool_is_warm())
            executor = choice
        return done + _map(
            func,
            items[len(done) :],
            _as_executor(executor),
            chunksize,
            bar,
            isinstance(executor, str) and executor == "pool",
        )
    finally:
        if bar is not None:
            bar.close()


def _map(
    func: Callable[[Any], Row],
    items: list[Any],
    pool: cf.Executor | None,
    chunksize: int | None,
    bar: Any,
    shared: bool,
) -> list[Row]:
    global _pool_warm
    if not items:
        return []
    workers = getattr(pool, "_max_workers", None) or default_workers()
    if chunksize is None:
        chunksize = max(1, min(256, -(-len(items) // (workers * 4))))
    chunks = [items[i : i + chunksize] for i in range(0, len(items), chunksize)]
    results: list[list[Row] | None] = [None] * len(chunks)
    if pool is None:
        for i, chunk in enumerate(chunks):
            results[i] = _run_chunk(func, chunk)
            if bar is not None:
                bar.update(len(chunk))
        return [row for chunk_rows in results for row in chunk_rows]  # type: ignore[union-attr]
    try:
        futures = {pool.submit(_run_chunk, func, chunk): i for i, chunk in enumerate(chunks)}
    except BrokenProcessPool:
        if not shared:
            raise
        pool = shared_pool()  # broken since the last scan: replaced, once
        futures = {pool.submit(_run_chunk, func, chunk): i for i, chunk in enumerate(chunks)}
    try:
        for fut in cf.as_completed(futures):
            i = futures[fut]
            results[i] = fut.result()
            if shared:
                _pool_warm = True
            if bar is not None:
                bar.update(len(chunks[i]))
    finally:
        for fut in futures:
            fut.cancel()  # an error in one chunk: the queued ones need not run
    return [row for chunk_rows in results for row in chunk_rows]  # type: ignore[union-attr]
