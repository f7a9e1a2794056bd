"""Run a function over many paths: any executor, chunked, with progress and an error row per bad input.

One helper for every scan in the kit (image headers, pixel statistics, report ingest). The function runs on
chunks of inputs so process pools and Dask clusters pay their overhead once per chunk, not once per file; an
exception on one input becomes that input's error text, never the end of the scan.

Examples
--------
>>> def length(p):
...     return {"n": len(p)}
>>> rows = map_paths(length, ["a", "bb"], executor="serial", progress=False)
>>> [r["n"] for r in rows]
[1, 2]
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
from collections.abc import Callable, Iterable, Sequence
from typing import Any

Row = dict[str, Any]


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


def _as_executor(executor: Any) -> tuple[cf.Executor | None, bool]:
    """Return ``(executor, owned)``: a Dask client becomes its executor; ``None`` makes a local pool."""
    if executor is None:
        if default_workers() == 1:
            return None, False
        # forkserver, not fork: forking a process that has polars' thread pool running can deadlock the child
        ctx = multiprocessing.get_context("forkserver")
        return cf.ProcessPoolExecutor(max_workers=default_workers(), mp_context=ctx), True
    if executor == "serial":
        return None, False
    if hasattr(executor, "get_executor") and not isinstance(executor, cf.Executor):  # dask.distributed.Client
        return executor.get_executor(), False
    if isinstance(executor, cf.Executor):
        return executor, False
    raise TypeError(
        f"executor must be None, 'serial', a concurrent.futures.Executor or a dask.distributed.Client, "
        f"not {type(executor).__name__}"
    )


def map_paths(
    func: Callable[[Any], Row],
    items: Iterable[Any],
    *,
    executor: Any = None,
    progress: bool = True,
    chunksize: int | None = None,
    desc: str = "scanning",
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
        ``None`` for a local process pool sized to the machine, ``"serial"`` to run in this process, any
        :class:`concurrent.futures.Executor`, or a ``dask.distributed.Client``.
    progress
        Show a ``tqdm.auto`` bar (renders in notebooks and terminals).
    chunksize
        Items per task; by default about 4 chunks per worker, at most 256 items each.
    desc
        Label of the progress bar.
    """
    items = list(items)
    if not items:
        return []
    pool, owned = _as_executor(executor)
    workers = getattr(pool, "_max_workers", None) or default_workers()
    if chunksize is None:
        chunksize = max(1, min(256, -(-len(items) // (workers * 4))))
    chunks = [items[i : i + chunksize] for i in range(0, len(items), chunksize)]
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(items), desc=desc, unit="file")
    results: list[list[Row] | None] = [None] * len(chunks)
    try:
        if pool is None or len(chunks) == 1 and owned:
            for i, chunk in enumerate(chunks):
                results[i] = _run_chunk(func, chunk)
                if bar is not None:
                    bar.update(len(chunk))
        else:
            futures = {pool.submit(_run_chunk, func, chunk): i for i, chunk in enumerate(chunks)}
            for fut in cf.as_completed(futures):
                i = futures[fut]
                results[i] = fut.result()
                if bar is not None:
                    bar.update(len(chunks[i]))
    finally:
        if bar is not None:
            bar.close()
        if owned and pool is not None:
            pool.shutdown(cancel_futures=True)
    return [row for chunk_rows in results for row in chunk_rows]  # type: ignore[union-attr]
