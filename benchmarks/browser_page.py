"""Chromium (through Playwright) for the viewer rows: a bare page with the image pane, or a JupyterLab.

Used by :mod:`benchmarks.rows_widgets` (rows 20-21). Everything here runs in the benchmark worker during a
side's untimed ``prepare``; what it starts (Chromium, JupyterLab and its kernel) is shut down when the
worker exits (``atexit``), and the harness ends the worker's process group after that.

* :func:`problem`: why the rows cannot run here (no Chromium, no Playwright), or None.
* :func:`pane_page`: a page holding one image pane (``static/pane.js``) of a given size, with an image.
* :func:`lab_page`: a throwaway JupyterLab (127.0.0.1, random token, private folders) running a notebook,
  opened in Chromium; returns the page once every cell has run.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

CHROMIUM = Path(os.environ.get("CXRKIT_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STATIC = Path(__file__).resolve().parent.parent / "cxrkit" / "widgets" / "static"
KERNEL_IDLE = (
    "() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
    " const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;"
    " return k && k.status === 'idle'; }"
)

_stack = contextlib.ExitStack()
atexit.register(_stack.close)


def problem() -> str | None:
    """None when Chromium and Playwright are here, else what is missing (the rows say it)."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (Debian: apt-get install -y chromium; .ci/run installs it)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    return None


def browser(viewport: tuple[int, int] = (1400, 1000)):
    """A new Chromium page (headless, the test suite's flags), closed at exit."""
    from playwright.sync_api import sync_playwright

    pw = _stack.enter_context(sync_playwright())
    chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
    _stack.callback(chromium.close)
    page = chromium.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.cx_errors = errors  # type: ignore[attr-defined]
    return page


def pane_page(meta: dict, buffers: list[bytes], *, width: int = 900, height: int = 640):
    """A page with one image pane (``width`` x ``height`` CSS px) showing the image ``(meta, buffers)``.

    The pane is ``window.pane`` (:func:`createPane` of ``pane.js``); the page also has ``window.b64``, the
    buffers as base64 strings, for baselines that need the same bytes.
    """
    page = browser()
    css = (STATIC / "pane.css").read_text(encoding="utf-8")
    page.set_content(
        f"<!doctype html><html><head><style>{css}</style></head><body style='margin:0'>"
        f"<div id='host' class='cx-root' style='width:{width}px;--cxp-height:{height}px'></div></body></html>"
    )
    page.add_script_tag(content=(STATIC / "pane.js").read_text(encoding="utf-8"))
    page.evaluate(
        """([meta, b64]) => {
            const bytes = (s) => { const bin = atob(s); const a = new Uint8Array(bin.length);
                for (let i = 0; i < bin.length; i++) a[i] = bin.charCodeAt(i); return a; };
            window.b64 = b64;
            window.pane = createPane(document.getElementById('host'));
            window.pane.setImage(meta, b64.map((s) => new DataView(bytes(s).buffer)));
        }""",
        [meta, [base64.b64encode(b).decode() for b in buffers]],
    )
    return page


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def jupyterlab(tmp: Path, env_extra: dict[str, str], *, own_group: bool = True, timeout: float = 90):
    """Run a throwaway JupyterLab serving ``tmp/root`` (127.0.0.1, a random token, its own HOME, config,
    data, runtime and settings folders under ``tmp``, no news or update checks); yield ``(base url, token)``;
    shut it and its kernels down after. Also used by ``tests/widgets/test_browser_e2e.py``.

    ``own_group``: start it in a process group of its own, ended as a whole at the end (a stuck kernel too);
    ``False`` keeps it in the caller's group, for a caller (the benchmark harness) that ends that group.
    """
    port, token = _free_port(), secrets.token_hex(16)
    dirs = {n: tmp / n for n in ("home", "config", "data", "runtime", "ipython", "settings", "workspaces")}
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    quiet = dirs["settings"] / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    quiet.parent.mkdir(parents=True, exist_ok=True)
    quiet.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))  # no pop-up, no network
    env = {
        **os.environ,
        "HOME": str(dirs["home"]),
        "JUPYTER_CONFIG_DIR": str(dirs["config"]),
        "JUPYTER_DATA_DIR": str(dirs["data"]),
        "JUPYTER_RUNTIME_DIR": str(dirs["runtime"]),
        "IPYTHONDIR": str(dirs["ipython"]),
        "JUPYTERLAB_SETTINGS_DIR": str(dirs["settings"]),
        "JUPYTERLAB_WORKSPACES_DIR": str(dirs["workspaces"]),
        "JUPYTER_PLATFORM_DIRS": "1",
        **env_extra,
    }
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={tmp / 'root'}",
        "--LabApp.expose_app_in_browser=True",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    log = open(tmp / "jupyterlab.log", "wb")  # noqa: SIM115 - closed in finally
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=own_group)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited ({proc.returncode}); see {tmp / 'jupyterlab.log'}")
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"JupyterLab did not start in {timeout:g} s; see {tmp / 'jupyterlab.log'}")
            time.sleep(0.3)
        yield base, token
    finally:
        with contextlib.suppress(OSError):  # a clean shutdown also stops the kernels
            req = urllib.request.Request(
                f"{base}/api/shutdown", method="POST", headers={"Authorization": f"token {token}"}
            )
            urllib.request.urlopen(req, timeout=5).close()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            _end(proc, own_group, signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                _end(proc, own_group, signal.SIGKILL)
                proc.wait()
        if own_group:
            with contextlib.suppress(ProcessLookupError):  # anything left in its group (a stuck kernel)
                os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def _end(proc: subprocess.Popen, group: bool, sig: int) -> None:
    if group:
        os.killpg(proc.pid, sig)  # the server's own process group (start_new_session)
    else:
        proc.send_signal(sig)


def lab_page(
    cells: list[str], *, wait_for: str, env: dict[str, str] | None = None, scratch: str | None = None
):
    """Run ``cells`` as a notebook in a fresh JupyterLab in Chromium; the page once ``wait_for`` (a JS
    expression) holds and the kernel is idle."""
    import nbformat

    tmp = Path(tempfile.mkdtemp(prefix="lab-", dir=scratch))
    (tmp / "root").mkdir()
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp / "root" / "bench.ipynb")
    here = str(Path(__file__).resolve().parent.parent)
    # CXRKIT_BENCH_KERNEL_PATH: another copy of the kit for the notebook's kernel (a before/after comparison)
    first = os.environ.get("CXRKIT_BENCH_KERNEL_PATH")
    path = os.pathsep.join(filter(None, [first, here, os.environ.get("PYTHONPATH")]))
    # the worker's process group: the harness ends the group after the measurement in any case
    base, token = _stack.enter_context(jupyterlab(tmp, {"PYTHONPATH": path, **(env or {})}, own_group=False))
    page = browser()
    page.goto(f"{base}/lab/tree/bench.ipynb?token={token}", wait_until="domcontentloaded")
    page.wait_for_function(KERNEL_IDLE, timeout=90_000)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(
        f"() => {{ try {{ return !!({wait_for}); }} catch (e) {{ return false; }} }}", timeout=90_000
    )
    page.wait_for_function(KERNEL_IDLE, timeout=90_000)
    return page


def execute(page, code: str) -> None:
    """Run ``code`` in the notebook's kernel (untimed set-up) and wait until the kernel is idle again."""
    page.evaluate(
        """async (code) => { const k = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
            await k.requestExecute({code}).done; }""",
        code,
    )
    page.wait_for_function(KERNEL_IDLE, timeout=60_000)
