"""Notebook 01 in a real JupyterLab, driven in headless Chromium: Run All, no errors, the viewer's cards render.

JupyterLab runs on 127.0.0.1 at a free port with a token, on a temporary copy of the notebook (so
the committed file never gains outputs). Debian's chromium is driven by Playwright for Python
(`executable_path`; Playwright's own browser download is not used). The screenshot lands in
`build/browser/`. JupyterLab and its kernels are shut down at the end.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from helpers.ports import free_port
from helpers.settings import PROJECT_ROOT

pytestmark = pytest.mark.browser

ROOT = PROJECT_ROOT
OUTPUT = ROOT / "build" / "browser"
CHROMIUM = Path("/usr/bin/chromium")
NOTEBOOK = "01_raw_json_tool_loop.ipynb"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
LAB_SETTINGS = {  # every cell in the DOM (no windowing), and no news or update checks
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


def _wait(condition, timeout: float, what: str, interval: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"{what} within {timeout:g} s")


@pytest.fixture
def jupyterlab(tmp_path):
    """A JupyterLab server on a copy of notebook 01: (base URL, token). Stopped with its kernels afterwards."""
    if not CHROMIUM.is_file():
        pytest.skip(
            "Debian's chromium is not installed (/usr/bin/chromium): run scripts/system-deps.sh as root "
            "or `apt-get install chromium`"
        )
    pytest.importorskip(
        "playwright.sync_api",
        reason="Playwright for Python is not installed: pip install -r requirements.txt",
    )
    psutil = pytest.importorskip("psutil")
    root = tmp_path / "notebooks"
    root.mkdir()
    shutil.copy(ROOT / "notebooks" / NOTEBOOK, root / NOTEBOOK)
    settings = tmp_path / "lab-settings"
    for name, values in LAB_SETTINGS.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(json.dumps(values))
    port, token = free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
    }
    log = (tmp_path / "jupyterlab.log").open("wb")
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "jupyter"),
            "lab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root}",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",
            *(["--allow-root"] if os.geteuid() == 0 else []),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=root,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    processes = []
    try:

        def ready() -> bool:
            if server.poll() is not None:
                raise RuntimeError(
                    f"JupyterLab exited ({server.returncode}): {(tmp_path / 'jupyterlab.log').read_text()[-2000:]}"
                )
            try:
                return httpx.get(f"{base}/api/status", params={"token": token}, timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        _wait(ready, 30, "JupyterLab did not answer /api/status")
        yield base, token, lambda: processes.extend(psutil.Process(server.pid).children(recursive=True))
    finally:
        try:  # the server shuts its kernels down first
            httpx.post(f"{base}/api/shutdown", headers={"Authorization": f"token {token}"}, timeout=5)
            server.wait(timeout=15)
        except (httpx.HTTPError, subprocess.TimeoutExpired):
            server.kill()
            server.wait(timeout=5)
        log.close()
        for process in processes:  # kernels run in sessions of their own: end any that outlived the server
            try:
                process.wait(timeout=5)
            except psutil.TimeoutExpired:
                process.kill()
            except psutil.NoSuchProcess:
                pass


def test_notebook_01_runs_in_jupyterlab_and_shows_the_viewer(jupyterlab):
    from playwright.sync_api import sync_playwright

    base, token, remember_children = jupyterlab
    OUTPUT.mkdir(parents=True, exist_ok=True)
    screenshot = OUTPUT / "01_raw_json_tool_loop.png"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1000})
            page.set_default_timeout(30_000)
            page.goto(f"{base}/lab/tree/{NOTEBOOK}?token={token}")
            page.locator(".jp-Notebook .jp-CodeCell").first.wait_for()

            def kernel_idle() -> bool:  # the server's own view of the notebook's kernel
                sessions = httpx.get(f"{base}/api/sessions", params={"token": token}, timeout=5).json()
                return any(s["kernel"]["execution_state"] == "idle" for s in sessions)

            _wait(kernel_idle, 30, "the notebook's kernel did not start")
            remember_children()

            page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
            page.get_by_role("menuitem", name=re.compile(r"^Run All Cells")).click()

            def finished() -> bool:
                prompts = page.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()
                return bool(prompts) and all(re.fullmatch(r"\[\d+\]:", p.strip()) for p in prompts)

            try:
                _wait(finished, 60, "the notebook did not finish running", interval=0.5)
            except TimeoutError:
                page.screenshot(path=str(OUTPUT / "01_raw_json_tool_loop-timeout.png"))
                raise
            cards = page.locator(".jupyter-widgets .workbook-call")
            cards.first.wait_for()
            viewer = page.locator(".workbook-viewer-widget").first
            viewer.locator(".jupyter-widget-Collapse-header").nth(1).click()  # open exchange #2's JSON
            opened = viewer.locator(".jupyter-widget-Collapse-open .workbook-wire")
            opened.first.wait_for()
            viewer.evaluate("node => node.scrollIntoView({block: 'start'})")
            page.screenshot(path=str(screenshot))
            assert '"tool_call_id"' in opened.first.inner_text()  # request 2 carries turn 1's tool result

            errors = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]')
            error_texts = errors.all_inner_texts()
            outputs = " ".join(page.locator(".jp-OutputArea-output").all_inner_texts())
            assert not error_texts, error_texts
            assert "Traceback" not in outputs and "Error displaying widget" not in outputs
            assert cards.count() == 3  # logs, memory, CPU: the seed's three tool calls, as widget cards
            assert page.locator(".jupyter-widgets .workbook-answer").count() == 1
            assert viewer.locator(".jupyter-widget-Collapse-header").count() == 4  # one per HTTP exchange
        finally:
            browser.close()
    assert screenshot.stat().st_size > 10_000
