"""The study browser in a real browser: JupyterLab + headless Debian Chromium driven by Playwright.

A throwaway JupyterLab (127.0.0.1, a random token, temporary root, HOME, config, data, runtime and settings
folders) serves a small notebook that opens a demo dataset generated here (``CXRKIT_ROOT``) and shows a
``StudyBrowser``. The page runs all cells through ``window.jupyterapp.commands``; the test checks the image,
the report and the list, clicks "next" and checks that the image and report change. The screenshot is saved
as ``browser.png`` in the test's temporary folder. JupyterLab and its kernel are shut down at the end.

Without ``/usr/bin/chromium`` the test skips, except with ``CI`` set, where it fails.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
NOTEBOOK_CELLS = [
    "import cxrkit\nfrom cxrkit.widgets import StudyBrowser\n\nds = cxrkit.open_dataset()  # $CXRKIT_ROOT",
    "browser = StudyBrowser(ds)\nbrowser",
]


def _require_browser() -> None:
    problem = None
    if not CHROMIUM.exists():
        problem = f"{CHROMIUM} is missing (Debian: apt-get install -y chromium; .ci/run installs it)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "playwright is not installed (pip install -e '.[test]')"
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"browser test cannot run in CI: {problem}")
        pytest.skip(problem)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_notebook(path: Path) -> None:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in NOTEBOOK_CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


@contextlib.contextmanager
def jupyterlab(tmp: Path, env_extra: dict[str, str]):
    """Run a throwaway JupyterLab; yield ``(base_url, token)``; shut it (and its kernels) down after."""
    port, token = _free_port(), secrets.token_hex(16)
    dirs = {
        name: tmp / name
        for name in ("home", "config", "data", "runtime", "ipython", "settings", "workspaces")
    }
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    quiet = dirs["settings"] / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    quiet.parent.mkdir(parents=True)
    quiet.write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )  # no news pop-up, no network
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
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
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
                raise RuntimeError(f"JupyterLab did not start in 60 s; see {tmp / 'jupyterlab.log'}")
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
            os.killpg(proc.pid, signal.SIGTERM)  # the server's own process group (start_new_session)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        with contextlib.suppress(ProcessLookupError):  # anything left in its group (a stuck kernel)
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def _report_state(page) -> dict:
    return page.evaluate(
        """() => {
            const img = document.querySelector('img.cxrkit-preview');
            const report = document.querySelector('.cxrkit-report');
            const list = document.querySelector('.cxrkit-study-list select');
            const thumbs = [...document.querySelectorAll('img.cxrkit-thumbnail')]
                .filter(t => t.naturalWidth > 0);
            return {thumbnails: thumbs.length, src: img ? img.src : null,
                    width: img ? img.naturalWidth : 0, height: img ? img.naturalHeight : 0,
                    report: report ? report.innerText.replace(/\\s+/g, ' ') : '',
                    options: list ? list.options.length : 0,
                    selected: list && list.selectedIndex >= 0 ? list.options[list.selectedIndex].text : ''};
        }"""
    )


def test_study_browser_in_jupyterlab(tmp_path):
    _require_browser()
    from playwright.sync_api import sync_playwright

    import cxrkit
    from cxrkit.demo import make_demo
    from cxrkit.widgets import StudyBrowser

    root = make_demo(tmp_path / "demo", subjects=4)
    cache = tmp_path / "cache"
    expected = StudyBrowser(cxrkit.open_dataset(root, cache_dir=cache))  # what the page should show
    first, second = expected.matches[0], expected.matches[1]
    ds = expected.dataset

    def key_text(study_id: int) -> str:  # the first words of the study's findings (or impression)
        text = ds.study(study_id).report_text()
        from cxrkit import reports

        sections = reports.parse_sections(text)
        return " ".join((sections.get("findings") or sections.get("impression") or text).split()[:8])

    (tmp_path / "root").mkdir()
    _write_notebook(tmp_path / "root" / "browser.ipynb")
    env = {"CXRKIT_ROOT": str(root), "CXRKIT_CACHE": str(cache)}
    with jupyterlab(tmp_path, env) as (base, token), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1300})
            page.goto(f"{base}/lab/tree/browser.ipynb?token={token}", wait_until="domcontentloaded")
            page.wait_for_function(
                "() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
                " const k = w && w.sessionContext && w.sessionContext.session"
                " && w.sessionContext.session.kernel;"
                " return k && k.status === 'idle'; }",
                timeout=60_000,
            )
            page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
            page.wait_for_function(
                "() => { const i = document.querySelector('img.cxrkit-preview');"
                " return i && i.naturalWidth > 0; }",
                timeout=60_000,
            )
            page.wait_for_function(
                "t => { const r = document.querySelector('.cxrkit-report');"
                " return r && r.innerText.replace(/\\s+/g, ' ').includes(t); }",
                arg=key_text(first),
                timeout=20_000,
            )
            before = _report_state(page)
            assert before["width"] > 0 and before["height"] > 0 and before["thumbnails"] >= 1
            assert key_text(first) in before["report"]
            assert before["options"] == len(expected.matches) and f"s{first}" in before["selected"]
            page.screenshot(path=str(tmp_path / "browser-first.png"), full_page=True)

            page.click("button.cxrkit-next")
            page.wait_for_function(
                "([src, t]) => { const i = document.querySelector('img.cxrkit-preview');"
                " const r = document.querySelector('.cxrkit-report');"
                " return i && i.src !== src && i.naturalWidth > 0"
                " && r && r.innerText.replace(/\\s+/g, ' ').includes(t); }",
                arg=[before["src"], key_text(second)],
                timeout=20_000,
            )
            after = _report_state(page)
            assert after["src"] != before["src"] and after["width"] > 0
            assert key_text(second) in after["report"] and after["report"] != before["report"]
            assert f"s{second}" in after["selected"]
            page.screenshot(path=str(tmp_path / "browser.png"), full_page=True)

            # keyboard: in the key box JupyterLab leaves j/k to the widget (elsewhere they move between cells)
            def shows(study_id: int) -> None:
                page.wait_for_function(
                    "([s, t]) => { const l = document.querySelector('.cxrkit-study-list select');"
                    " const r = document.querySelector('.cxrkit-report');"
                    " return l && l.selectedIndex >= 0 && l.options[l.selectedIndex].text.includes(s)"
                    " && r && r.innerText.replace(/\\s+/g, ' ').includes(t); }",
                    arg=[f"s{study_id}", key_text(study_id)],
                    timeout=20_000,
                )

            page.click(".cxrkit-keys input")
            page.keyboard.press("k")
            shows(first)
            page.keyboard.press("j")
            shows(second)
            page.keyboard.type("jj")  # typed faster than the kernel answers: each key counts once (a key
            shows(expected.matches[3])  # counted twice would jump past matches[3] without showing it)
            page.wait_for_function(
                "() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'",
                timeout=20_000,
            )
            assert f"s{expected.matches[3]}" in _report_state(page)["selected"]
            (tmp_path / "page-state.json").write_text(
                json.dumps({"before": before, "after": after}, indent=1)
            )
        finally:
            browser.close()
