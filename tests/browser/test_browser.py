"""Every notebook in a real JupyterLab, driven in headless Chromium: Run All, then no error anywhere.

One JupyterLab server (127.0.0.1, a free port, a token) serves temporary copies of notebooks 00-05
(the committed files never gain outputs) and two broken notebooks made here; one Debian chromium,
driven by Playwright for Python (`executable_path`; Playwright's own browser download is not used),
opens each in turn. For each notebook, Run All, then:

- while it runs, a traceback on stderr fails at once (JupyterLab renders error outputs as
  `application/vnd.jupyter.stderr`; there is no `application/vnd.jupyter.error` in its DOM);
- when no cell is queued or running any more (an error stops Run All early, so a broken cell ends
  the wait, not a timeout), the notebook is saved and read back through the server
  (`/api/contents`): no output may have `output_type` "error" (the failure names the cell and the
  error, SyntaxErrors included, which print no "Traceback"), and every code cell must have run;
- no output shows a render error ("Javascript Error", "Error displaying widget", "No renderer").

Notebook 01 also shows its transcript viewer (widget cards and the wire JSON). The broken notebooks
show the check catching an error cell. Screenshots land in `build/browser/`. JupyterLab and its
kernels are shut down at the end; each notebook's kernel is shut down when its test ends.
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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import nbformat
import pytest

from helpers.ports import free_port
from helpers.settings import PROJECT_ROOT

pytestmark = pytest.mark.browser

ROOT = PROJECT_ROOT
OUTPUT = ROOT / "build" / "browser"
CHROMIUM = Path("/usr/bin/chromium")
NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
RUN_TIMEOUT = 240  # seconds for one notebook's Run All (04, the slowest, takes about 40 s)
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
LAB_SETTINGS = {  # every cell in the DOM (no windowing), no autosave, and no news or update checks
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}
BROKEN = {  # name -> (cells, the cell that fails, the error the check must name)
    "broken_syntax.ipynb": (["ran = 1", "def broken(:\n    pass", "ran = 2"], 1, "SyntaxError"),
    "broken_runtime.ipynb": (["ran = 1", "ran = 1 / 0", "ran = 2"], 1, "ZeroDivisionError"),
}
STDERR = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
RENDER_ERRORS = ("Javascript Error", "Error displaying widget", "No renderer could be found")
# In the page: the first cell with a traceback in a stderr output (error outputs render so), or null
_FIRST_STDERR_TRACEBACK = f"""() => {{
  const cells = [...document.querySelectorAll('.jp-Notebook .jp-Cell')];
  for (const [index, cell] of cells.entries()) {{
    for (const output of cell.querySelectorAll('{STDERR}')) {{
      if (output.innerText.includes('Traceback')) {{
        const prompt = cell.querySelector('.jp-InputPrompt');
        const editor = cell.querySelector('.jp-InputArea-editor');
        return {{index, prompt: prompt ? prompt.innerText : '', source: editor ? editor.innerText : '',
                 text: output.innerText}};
      }}
    }}
  }}
  return null;
}}"""
_ANY_CELL_RUNNING = """() => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
  .some(prompt => prompt.innerText.includes('*'))"""


def _wait(condition: Callable[[], Any], timeout: float, what: str, interval: float = 0.25) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"{what} within {timeout:g} s")


class Lab:
    """The running JupyterLab server: its base URL, token, and the processes to end at teardown."""

    def __init__(self, base: str, token: str, pid: int) -> None:
        self.base, self.token, self.pid = base, token, pid
        self.children: set[Any] = set()

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        reply = httpx.request(
            method,
            f"{self.base}{path}",
            headers={"Authorization": f"token {self.token}"},
            timeout=10,
            **kwargs,
        )
        reply.raise_for_status()
        return reply

    def sessions(self, name: str) -> list[dict[str, Any]]:
        return [s for s in self.api("GET", "/api/sessions").json() if s["path"] == name]

    def saved(self, name: str) -> dict[str, Any]:
        """The notebook as the server has it on disk (its contents model)."""
        return self.api("GET", f"/api/contents/{name}", params={"content": 1}).json()

    def remember_kernels(self) -> None:
        import psutil

        self.children.update(psutil.Process(self.pid).children(recursive=True))

    def shut_down_kernels(self, name: str) -> None:
        for session in self.sessions(name):
            self.api("DELETE", f"/api/sessions/{session['id']}")


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """One JupyterLab server on copies of every notebook and the broken ones, stopped with its kernels afterwards."""
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
    tmp_path = tmp_path_factory.mktemp("jupyterlab")
    root = tmp_path / "notebooks"
    root.mkdir()
    for name in NOTEBOOKS:
        shutil.copy(ROOT / "notebooks" / name, root / name)
    for name, (sources, _, _) in BROKEN.items():
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
        nbformat.write(nb, root / name)
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
    log_path = tmp_path / "jupyterlab.log"
    log = log_path.open("wb")
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
    lab = Lab(f"http://127.0.0.1:{port}", token, server.pid)
    try:

        def ready() -> bool:
            if server.poll() is not None:
                raise RuntimeError(f"JupyterLab exited ({server.returncode}): {log_path.read_text()[-2000:]}")
            try:
                return (
                    httpx.get(f"{lab.base}/api/status", params={"token": token}, timeout=2).status_code == 200
                )
            except httpx.HTTPError:
                return False

        _wait(ready, 30, "JupyterLab did not answer /api/status")
        yield lab
    finally:
        try:  # the server shuts its kernels down first
            httpx.post(f"{lab.base}/api/shutdown", headers={"Authorization": f"token {token}"}, timeout=5)
            server.wait(timeout=15)
        except (httpx.HTTPError, subprocess.TimeoutExpired):
            server.kill()
            server.wait(timeout=5)
        log.close()
        for process in lab.children:  # kernels run in sessions of their own: end any that outlived the server
            try:
                process.wait(timeout=5)
            except psutil.TimeoutExpired:
                process.kill()
            except psutil.NoSuchProcess:
                pass


@pytest.fixture(scope="module")
def browser(lab: Lab) -> Iterator[Any]:
    """One headless Debian chromium for every notebook."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


def _describe(index: int, cell: dict[str, Any]) -> str:
    first = next((line for line in cell["source"].splitlines() if line.strip()), "")
    return f"cell {index} [{cell.get('execution_count')}] `{first[:60]}`"


def errors_in(nb: dict[str, Any]) -> list[str]:
    """Each error output of a saved notebook, naming its cell and the error."""
    return [
        f"{_describe(index, cell)} raised {output.get('ename')}: {output.get('evalue')}"
        for index, cell in enumerate(nb["cells"])
        if cell["cell_type"] == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]


def not_run(nb: dict[str, Any]) -> list[str]:
    """The code cells with no execution count (Run All stopped before them, or skipped them)."""
    return [
        _describe(index, cell)
        for index, cell in enumerate(nb["cells"])
        if cell["cell_type"] == "code" and cell["source"].strip() and cell.get("execution_count") is None
    ]


class Opened:
    """A notebook open in a browser page, its kernel started."""

    def __init__(self, lab: Lab, page: Any, name: str) -> None:
        self.lab, self.page, self.name = lab, page, name

    def kernel_state(self) -> str | None:
        sessions = self.lab.sessions(self.name)
        return sessions[0]["kernel"]["execution_state"] if sessions else None

    def stderr_traceback(self) -> str | None:
        """'cell N [n] `source` wrote a traceback on stderr: ...' for the first such cell in the page, else None."""
        found = self.page.evaluate(_FIRST_STDERR_TRACEBACK)
        if found is None:
            return None
        deadline = time.monotonic() + 5  # the traceback may render before the prompt turns from [*] to [n]
        while "*" in found["prompt"] and time.monotonic() < deadline:
            time.sleep(0.1)
            found = self.page.evaluate(_FIRST_STDERR_TRACEBACK) or found
        first = next((line for line in found["source"].splitlines() if line.strip()), "")
        return (
            f"cell {found['index']} {found['prompt'].strip().rstrip(':')} `{first[:60]}` wrote a traceback on "
            f"stderr, ending: {' | '.join(found['text'].strip().splitlines()[-3:])}"
        )

    def busy(self) -> bool:
        """True while a cell is queued or running (`[*]:`), or the kernel is busy."""
        return self.page.evaluate(_ANY_CELL_RUNNING) or self.kernel_state() != "idle"

    def run_all(self, timeout: float = RUN_TIMEOUT) -> None:
        """Run All; return when nothing is queued or running; a traceback on stderr fails at once."""
        page = self.page
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        page.get_by_role("menuitem", name=re.compile(r"^Run All Cells")).click()
        _wait(
            lambda: any(
                re.fullmatch(r"\[[\d*]+\]:", p.strip())
                for p in page.locator(".jp-InputPrompt").all_inner_texts()
            ),
            30,
            f"{self.name}: Run All did not start",
        )
        calm_since: float | None = None

        def finished() -> bool:
            nonlocal calm_since
            if (traceback := self.stderr_traceback()) is not None:
                raise AssertionError(f"{self.name}: {traceback}")
            if self.busy():
                calm_since = None
                return False
            calm_since = calm_since or time.monotonic()
            return time.monotonic() - calm_since > 1.0  # idle for a second: not between two cells

        _wait(finished, timeout, f"{self.name}: Run All did not finish", interval=0.5)

    def save_and_read(self) -> dict[str, Any]:
        """Save the notebook from the browser, then read it back through the server's contents API.

        Only after the save's PUT has been answered: a GET during an atomic save can find a half
        written file, which the server then moves aside (`.invalid`) and replaces with the old copy.
        """
        self.page.locator(".jp-Notebook").first.click(position={"x": 5, "y": 5})
        with self.page.expect_response(
            lambda r: r.request.method == "PUT" and f"/api/contents/{self.name}" in r.url, timeout=30_000
        ) as saving:
            self.page.keyboard.press("Control+s")
        assert saving.value.ok, f"{self.name}: saving failed with HTTP {saving.value.status}"
        return self.lab.saved(self.name)["content"]

    def render_errors(self) -> list[str]:
        texts = self.page.locator(".jp-OutputArea-output").all_inner_texts()
        return [text[:300] for text in texts if any(marker in text for marker in RENDER_ERRORS)]

    def check(self) -> dict[str, Any]:
        """Run All, then fail with the cell and the error if anything went wrong; the saved notebook."""
        self.run_all()
        nb = self.save_and_read()
        errors = errors_in(nb)
        assert not errors, f"{self.name}: " + "; ".join(errors)
        assert not (skipped := not_run(nb)), f"{self.name}: cells that did not run: {skipped}"
        assert not (broken := self.render_errors()), f"{self.name}: outputs that did not render: {broken}"
        return nb


@pytest.fixture
def open_notebook(lab: Lab, browser: Any) -> Iterator[Callable[[str], Opened]]:
    """Open a notebook in a new page (a fresh workspace) and wait for its kernel; closed with its kernel afterwards."""
    opened: list[Opened] = []

    def open_(name: str) -> Opened:
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        page.set_default_timeout(30_000)
        notebook = Opened(lab, page, name)
        opened.append(notebook)
        page.goto(f"{lab.base}/lab/tree/{name}?reset&token={lab.token}")
        page.locator(".jp-Notebook .jp-CodeCell").first.wait_for()
        _wait(lambda: notebook.kernel_state() == "idle", 60, f"{name}: the kernel did not start")
        lab.remember_kernels()
        return notebook

    try:
        yield open_
    finally:
        for notebook in opened:
            lab.remember_kernels()  # the servers a notebook started, too
            try:
                notebook.page.screenshot(path=str(OUTPUT / f"{Path(notebook.name).stem}.png"))
            finally:
                notebook.page.close()
                lab.shut_down_kernels(notebook.name)


@pytest.fixture(scope="module", autouse=True)
def _output_dir() -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)


@pytest.mark.parametrize("name", NOTEBOOKS, ids=lambda n: n[:2])
def test_run_all_in_jupyterlab(open_notebook: Callable[[str], Opened], name: str) -> None:
    notebook = open_notebook(name)
    nb = notebook.check()
    assert nb["cells"] and all(c.get("execution_count") for c in nb["cells"] if c["cell_type"] == "code")
    if name.startswith("01_"):
        check_the_viewer(notebook.page)


def check_the_viewer(page: Any) -> None:
    """Notebook 01's transcript viewer: widget cards, and exchange #2's JSON carrying turn 1's tool result."""
    cards = page.locator(".jupyter-widgets .workbook-call")
    cards.first.wait_for()
    viewer = page.locator(".workbook-viewer-widget").first
    viewer.locator(".jupyter-widget-Collapse-header").nth(1).click()  # open exchange #2's JSON
    opened = viewer.locator(".jupyter-widget-Collapse-open .workbook-wire")
    opened.first.wait_for()
    viewer.evaluate("node => node.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(OUTPUT / "01_raw_json_tool_loop-viewer.png"))
    assert '"tool_call_id"' in opened.first.inner_text()  # request 2 carries turn 1's tool result
    assert cards.count() == 3  # logs, memory, CPU: the seed's three tool calls, as widget cards
    assert page.locator(".jupyter-widgets .workbook-answer").count() == 1
    assert viewer.locator(".jupyter-widget-Collapse-header").count() == 4  # one per HTTP exchange
    assert (OUTPUT / "01_raw_json_tool_loop-viewer.png").stat().st_size > 10_000


@pytest.mark.parametrize("name", list(BROKEN))
def test_an_error_cell_is_caught_quickly(open_notebook: Callable[[str], Opened], name: str) -> None:
    """The check fails on a broken cell, names it and its error, and does not wait for a timeout."""
    _, index, error = BROKEN[name]
    notebook = open_notebook(name)
    started = time.monotonic()
    with pytest.raises(AssertionError) as failure:
        notebook.check()
    elapsed = time.monotonic() - started
    message = str(failure.value)
    assert f"cell {index} [2]" in message and error in message, message
    assert elapsed < RUN_TIMEOUT / 4, f"the error took {elapsed:.0f} s to be noticed"
    # the server's copy has the error output, and Run All stopped at it
    _wait(lambda: not notebook.busy(), 30, "Run All did not stop at the error")
    saved = notebook.save_and_read()
    assert [o["ename"] for o in saved["cells"][index]["outputs"] if o["output_type"] == "error"] == [error]
    assert saved["cells"][index + 1]["execution_count"] is None
