"""Peak memory of each curated notebook: its kernel and every process it starts, sampled together (issue 22).

Binder's smallest tier gives a user 1-2 GB for everything their session runs, so what counts is the kernel
plus its pool and Dask workers at the same moment, not each process on its own. A thread samples the
kernel's whole process tree every ``interval`` seconds while the notebook runs and keeps two figures:

* ``together``: the largest sum of the tree's proportional set sizes (PSS: a shared library's pages are
  split between the processes that map them, so the sum does not count them twice) seen in one sample;
* ``bound``: the kernel's ``VmHWM`` plus every child's largest ``VmHWM`` seen, an upper bound of
  ``together`` that a short peak between two samples cannot escape (resident sizes count shared pages in
  each process, so it overstates).

Run it on the default demo and on a 2,000-patient demo with image files (made once in the benchmark data
folder, about 25 s and 2.9 GB)::

    python -m benchmarks.notebook_memory                 # both, writes benchmarks/notebook_memory.md
    python -m benchmarks.notebook_memory --subjects 24   # the default demo only, printed

``tests/notebooks/test_notebooks.py`` uses :class:`TreeSampler` to hold every notebook under 1 GiB on the
default demo.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

import psutil

HERE = Path(__file__).resolve().parent
NOTEBOOKS = sorted((HERE.parent / "notebooks").glob("*.ipynb"))
MIB = 1024 * 1024


def _status_kib(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith(key + ":"))


def _pss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/smaps_rollup") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("Pss:"))


@dataclass
class TreeSampler:
    """Sample a process and all its descendants in a thread until stopped (a context manager).

    Examples
    --------
    >>> import subprocess, sys
    >>> child = subprocess.Popen([sys.executable, "-c", "import time; b = b'x' * (50 << 20); time.sleep(1)"])
    >>> with TreeSampler(child.pid, interval=0.05) as sampler:
    ...     _ = child.wait()
    >>> sampler.bound_bytes >= 50 << 20, sampler.together_bytes >= 50 << 20
    (True, True)
    """

    pid: int
    interval: float = 0.1
    together_bytes: int = 0
    bound_bytes: int = 0
    most_processes: int = 0
    samples: int = 0
    _child_hwm: dict[int, int] = field(default_factory=dict)
    _root_hwm: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def sample(self) -> None:
        """Take one sample now (also called by the thread)."""
        try:
            root = psutil.Process(self.pid)
            children = root.children(recursive=True)
        except psutil.Error:  # the process has gone
            return
        pss = 0
        alive = 0
        for proc in [root, *children]:
            try:
                kib = _pss_kib(proc.pid)
                hwm = _status_kib(proc.pid, "VmHWM")
            except (OSError, StopIteration):  # exited between the listing and the read
                continue
            alive += 1
            pss += kib
            if proc.pid == self.pid:
                self._root_hwm = max(self._root_hwm, hwm)
            else:
                self._child_hwm[proc.pid] = max(self._child_hwm.get(proc.pid, 0), hwm)
        self.samples += 1
        self.most_processes = max(self.most_processes, alive)
        self.together_bytes = max(self.together_bytes, pss * 1024)
        self.bound_bytes = (self._root_hwm + sum(self._child_hwm.values())) * 1024

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def __enter__(self) -> Self:
        self._thread = threading.Thread(target=self._run, name="tree-sampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


def run_notebook(path: Path, root: Path, cache: Path, *, timeout: int = 600, interval: float = 0.1):
    """Execute ``path`` on ``root`` (nothing written back) under a :class:`TreeSampler`.

    Returns ``(notebook, seconds, sampler)``: the sampler starts with the kernel and stops after the last
    cell. :func:`execute` does the same for a notebook object (one with extra cells, say).
    """
    import nbformat

    nb = nbformat.read(path, as_version=4)
    return execute(nb, path.parent, root, cache, timeout=timeout, interval=interval)


def execute(nb, cwd: Path, root: Path, cache: Path, *, timeout: int = 600, interval: float = 0.1, env=None):
    """Execute the notebook object ``nb`` in ``cwd`` on ``root``, a :class:`TreeSampler` on its kernel."""
    from nbclient import NotebookClient

    env = {**os.environ, **(env or {}), "CXRKIT_ROOT": str(root), "CXRKIT_CACHE": str(cache)}
    env.pop("MPLBACKEND", None)  # the notebook's own (inline) backend, as in JupyterLab
    holder: dict[str, TreeSampler] = {}

    def started(**_: object) -> None:  # nbclient calls this once the kernel runs
        holder["sampler"] = TreeSampler(client.km.provisioner.pid, interval=interval).__enter__()

    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(cwd)}},
        on_notebook_start=started,
    )
    start = time.perf_counter()
    try:
        client.execute(env=env)
    finally:
        if "sampler" in holder:
            holder["sampler"].sample()
            holder["sampler"].__exit__()
    return nb, time.perf_counter() - start, holder.get("sampler")


def demo_root(base: Path, subjects: int) -> Path:
    """A demo of ``subjects`` patients with image files, both projects (what ``cxrkit demo`` makes), made
    once under ``base``; the default demo (24 patients) in a temporary folder is made fresh each run."""
    from cxrkit.demo import DEMO_VERSION, make_demo

    folder = base / f"notebooks-{subjects}-demo{DEMO_VERSION}"
    marker = folder.with_name(folder.name + ".complete")
    if not marker.exists():
        print(f"generating a {subjects}-patient demo into {folder} ...", flush=True)
        make_demo(folder, subjects=subjects, overwrite=True)
        marker.touch()
    return folder


def main(argv: list[str] | None = None) -> None:
    from .data import default_data_dir

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subjects", type=int, nargs="+", default=[24, 2000])
    parser.add_argument("--data", type=Path, default=None, help="benchmark data folder")
    parser.add_argument("--out", type=Path, default=None, help="markdown file (default: print only)")
    parser.add_argument("--only", nargs="+", default=None, help="notebook name prefixes, e.g. 02 03")
    args = parser.parse_args(argv)
    base = (args.data or default_data_dir()) / "full"
    notebooks = [p for p in NOTEBOOKS if args.only is None or p.name.startswith(tuple(args.only))]
    rows = []
    with tempfile.TemporaryDirectory(prefix="cxrkit-nbmem-") as tmp:
        for subjects in args.subjects:
            if subjects == 24:
                from cxrkit.demo import make_demo

                root = Path(make_demo(Path(tmp) / "demo"))
            else:
                root = demo_root(base, subjects)
            for path in notebooks:
                load_before = os.getloadavg()[0]
                _, seconds, s = run_notebook(path, root, Path(tmp) / f"cache-{subjects}-{path.stem}")
                load_after = os.getloadavg()[0]
                row = (
                    f"| {path.stem} | {subjects} | {s.together_bytes / MIB:.0f} | {s.bound_bytes / MIB:.0f} "
                    f"| {s.most_processes} | {seconds:.1f} | {load_before:.1f}-{load_after:.1f} |"
                )
                print(row, flush=True)
                rows.append(row)
    head = [
        "# Notebook memory (`python -m benchmarks.notebook_memory`)",
        "",
        (
            f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} cores. Each notebook"
            " runs top to bottom with an empty cache; its kernel and every process it starts are sampled"
            " together every 0.1 s. *Together*: the largest sum of their PSS in one sample"
            " (what a container's memory limit sees). *Bound*: the kernel's peak resident size plus each"
            " child's, an upper bound that no short peak escapes. Binder's smallest tier: 1 GiB."
        ),
        "",
        "| notebook | patients | together (MiB) | bound (MiB) | processes at most | seconds | load |",
        "|---|---|---|---|---|---|---|",
    ]
    if args.out is not None:
        args.out.write_text("\n".join(head + rows) + "\n")
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
