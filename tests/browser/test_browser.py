"""Every notebook in a real JupyterLab, driven in headless Chromium: Run All, then no error anywhere.

One JupyterLab server (127.0.0.1, a free port, a token) serves temporary copies of notebooks 00-05
(the committed files never gain outputs) and two broken notebooks made here; one Debian chromium,
driven by Playwright for Python (`executable_path`; Playwright's own browser download is not used),
runs one JupyterLab front end (a fresh workspace, its app exposed as `window.jupyterapp`) and opens
each notebook in it in turn, alone in the main area. Each notebook's kernel is started through the
server while the notebook before it runs, so JupyterLab opens the notebook on a kernel that is
ready. For each notebook, Run All (the app's `notebook:run-all-cells`, as in the Run menu), then:

- while it runs, a traceback on stderr fails at once, and so does one there at the end (JupyterLab
  renders error outputs as `application/vnd.jupyter.stderr`; there is no
  `application/vnd.jupyter.error` in its DOM);
- when Run All's command has returned (an error stops Run All early, so a broken cell ends the
  wait, not a timeout), no cell is queued or running and the kernel is idle, the notebook is saved
  and read back through the server (`/api/contents`): no output may have `output_type` "error"
  (the failure names the cell and the error, SyntaxErrors included, which print no "Traceback"),
  and every code cell must have run;
- once no widget is still loading, no output shows a render error ("Javascript Error", "Error
  displaying widget", "No renderer", or a widget whose view failed or never loaded).

Notebook 01 also shows its transcript viewer (widget cards and the wire JSON). The broken notebooks
show the check catching an error cell. Screenshots land in `build/browser/`. JupyterLab and its
kernels are shut down at the end; each notebook is closed and its kernel shut down (in the
background) when its test ends, and a dialog left open (a kernel that died) gets the next test a
freshly booted front end.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
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
RENDER_TIMEOUT = 10  # seconds for the widgets to load after Run All
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
ORDER = [*NOTEBOOKS, *BROKEN]  # the order the tests open them in: each starts the next one's kernel
LOADING = "Loading widget..."  # a widget output's text until its view renders (@jupyter-widgets)
RENDER_ERRORS = (
    "Javascript Error",
    "Error displaying widget",
    "Click to show javascript error",  # a widget whose view failed (@jupyter-widgets' error widget)
    "No renderer could be found",
    LOADING,
)
# Installed in the page once JupyterLab has booted: `workbook.*`, each on one notebook panel
_WORKBOOK = f"""async () => {{
  const app = window.jupyterapp;
  await app.restored;
  const stderr = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]';
  const outputs = panel => [...panel.node.querySelectorAll('.jp-OutputArea-output')];
  const current = panel => {{  // the commands act on the current widget: it must be this notebook
    if (app.shell.currentWidget !== panel) throw new Error(`${{panel.context.path}} is not the current widget`);
  }};
  const closeAll = () => {{  // unsaved or not, no dialog
    for (const widget of [...app.shell.widgets('main')]) widget.dispose();
  }};
  window.workbook = {{
    closeAll,
    open: async path => {{
      closeAll();
      return app.commands.execute('docmanager:open', {{path, factory: 'Notebook'}});
    }},
    ready: panel => {{  // loaded, and connected to its kernel, idle
      const kernel = panel.sessionContext.session?.kernel;
      return panel.context.isReady && kernel?.connectionStatus === 'connected' && kernel.status === 'idle';
    }},
    runAll: panel => {{  // started, not awaited: Python watches for tracebacks meanwhile
      current(panel);
      const run = {{done: false, error: null}};
      app.commands.execute('notebook:run-all-cells').then(
        () => {{ run.done = true; }}, error => {{ run.done = true; run.error = String(error); }});
      return run;
    }},
    busy: (panel, run) => {{  // Run All not returned, a cell queued or running ([*]), or the kernel busy
      const status = panel.sessionContext.session?.kernel?.status ?? 'dead';
      return !run.done || !['idle', 'dead'].includes(status) ||
        [...panel.node.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].some(p => p.innerText.includes('*'));
    }},
    firstStderrTraceback: panel => {{  // the first cell with a traceback in a stderr output, or null
      for (const [index, cell] of [...panel.node.querySelectorAll('.jp-Cell')].entries()) {{
        for (const output of cell.querySelectorAll(stderr)) {{
          if (output.innerText.includes('Traceback')) {{
            const prompt = cell.querySelector('.jp-InputPrompt');
            const editor = cell.querySelector('.jp-InputArea-editor');
            return {{index, prompt: prompt ? prompt.innerText : '', source: editor ? editor.innerText : '',
                     text: output.innerText}};
          }}
        }}
      }}
      return null;
    }},
    widgetsLoading: panel => outputs(panel).some(o => !o.childElementCount && o.textContent === '{LOADING}'),
    outputTexts: panel => outputs(panel).map(o => o.innerText),
    save: async panel => {{
      current(panel);
      await app.commands.execute('docmanager:save');
    }},
  }};
}}"""


def _wait(condition: Callable[[], Any], timeout: float, what: str, interval: float = 0.25) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"{what} within {timeout:g} s")


class Lab:
    """The running JupyterLab server: its base URL, token, kernels, and the processes to end at teardown."""

    def __init__(self, base: str, token: str, pid: int, root: Path) -> None:
        self.base, self.token, self.pid, self.root = base, token, pid, root
        self.children: set[Any] = set()
        self.background = ThreadPoolExecutor(2)  # kernels start and stop while a notebook runs
        self.starting: dict[str, Future[httpx.Response]] = {}
        self.stopping: list[Future[None]] = []

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

    def start_kernel(self, name: str) -> Future[httpx.Response]:
        """Start the notebook's session with its kernelspec's kernel, once, in the background.

        JupyterLab opens a notebook on the running session of its path, as it would a kernel it
        started itself; the kernel has run nothing yet.
        """
        if name not in self.starting:
            kernel = nbformat.read(self.root / name, as_version=4).metadata["kernelspec"]["name"]
            session = {"path": name, "name": name, "type": "notebook", "kernel": {"name": kernel}}
            self.starting[name] = self.background.submit(self.api, "POST", "/api/sessions", json=session)
        return self.starting[name]

    def remember_kernels(self) -> None:
        import psutil

        self.children.update(psutil.Process(self.pid).children(recursive=True))

    def shut_down_kernels(self, name: str) -> None:
        for session in self.sessions(name):
            self.api("DELETE", f"/api/sessions/{session['id']}")

    def stop_kernels(self, name: str) -> None:
        """Shut the notebook's kernels down in the background: the server waits for each to exit."""
        self.stopping.append(self.background.submit(self.shut_down_kernels, name))


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
            "--LabApp.expose_app_in_browser=True",  # window.jupyterapp: open, run and save by command
            *(["--allow-root"] if os.geteuid() == 0 else []),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        cwd=root,
        start_new_session=True,
    )
    lab = Lab(f"http://127.0.0.1:{port}", token, server.pid, root)
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
        lab.start_kernel(ORDER[0])  # while chromium and the front end boot
        yield lab
    finally:
        lab.background.shutdown(wait=True)  # the kernels still starting or stopping
        try:
            lab.remember_kernels()  # those started ahead for a notebook that did not run, too
        except psutil.NoSuchProcess:
            pass
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
        for stopped in lab.stopping:  # a kernel that failed to shut down fails here
            stopped.result()


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


def boot(page: Any, lab: Lab) -> None:
    """Load JupyterLab in the page with a fresh workspace, and install `workbook` once it has booted."""
    page.goto(f"{lab.base}/lab?reset&token={lab.token}")
    page.wait_for_function("() => window.jupyterapp")
    page.evaluate(_WORKBOOK)


def close_all(page: Any, lab: Lab) -> None:
    """Close every document; after a dialog (say, a kernel died), boot a new front end instead."""
    if page.locator(".jp-Dialog").count():
        boot(page, lab)
    else:
        page.evaluate("() => workbook.closeAll()")


@pytest.fixture(scope="module")
def app(lab: Lab, browser: Any) -> Iterator[Any]:
    """One page running JupyterLab for every notebook: the front end boots once."""
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    page.set_default_timeout(30_000)
    try:
        boot(page, lab)
        yield page
    finally:
        page.close()


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
    """A notebook open, alone, in the JupyterLab page, its kernel idle; `panel` is its NotebookPanel."""

    def __init__(self, lab: Lab, page: Any, name: str, panel: Any) -> None:
        self.lab, self.page, self.name, self.panel = lab, page, name, panel
        self.run: Any = None  # Run All's progress in the page, once started

    def call(self, function: str, *args: Any) -> Any:
        """`workbook.<function>(panel, ...)` in the page, its promise awaited."""
        return self.page.evaluate(f"([p, ...a]) => workbook.{function}(p, ...a)", [self.panel, *args])

    def stderr_traceback(self) -> str | None:
        """'cell N [n] `source` wrote a traceback on stderr: ...' for the first such cell in the page, else None."""
        found = self.call("firstStderrTraceback")
        if found is None:
            return None
        deadline = time.monotonic() + 5  # the traceback may render before the prompt turns from [*] to [n]
        while "*" in found["prompt"] and time.monotonic() < deadline:
            time.sleep(0.1)
            found = self.call("firstStderrTraceback") or found
        first = next((line for line in found["source"].splitlines() if line.strip()), "")
        return (
            f"cell {found['index']} {found['prompt'].strip().rstrip(':')} `{first[:60]}` wrote a traceback on "
            f"stderr, ending: {' | '.join(found['text'].strip().splitlines()[-3:])}"
        )

    def fail_on_traceback(self) -> None:
        if (traceback := self.stderr_traceback()) is not None:
            raise AssertionError(f"{self.name}: {traceback}")

    def busy(self) -> bool:
        """True until Run All has returned, while a cell is queued or running (`[*]:`), or the kernel is busy."""
        return self.call("busy", self.run)

    def run_all(self, timeout: float = RUN_TIMEOUT) -> None:
        """Run All; return when it has finished; a traceback on stderr fails at once."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        self.run = self.page.evaluate_handle("p => workbook.runAll(p)", self.panel)
        try:  # polled in the page every 0.1 s
            self.page.wait_for_function(
                "([p, run]) => workbook.firstStderrTraceback(p) !== null || !workbook.busy(p, run)",
                arg=[self.panel, self.run],
                polling=100,
                timeout=timeout * 1000,
            )
        except PlaywrightTimeout:
            raise TimeoutError(f"{self.name}: Run All did not finish within {timeout:g} s") from None
        self.fail_on_traceback()
        error = self.run.evaluate("run => run.error")
        assert error is None, f"{self.name}: Run All failed: {error}"

    def save_and_read(self) -> dict[str, Any]:
        """Save the notebook from the browser (Ctrl+S's command), then read it back through the server's contents API.

        Only after the save's PUT has been answered: a GET during an atomic save can find a half
        written file, which the server then moves aside (`.invalid`) and replaces with the old copy.
        """
        with self.page.expect_response(
            lambda r: r.request.method == "PUT" and f"/api/contents/{self.name}" in r.url, timeout=30_000
        ) as saving:
            self.call("save")
        assert saving.value.ok, f"{self.name}: saving failed with HTTP {saving.value.status}"
        return self.lab.saved(self.name)["content"]

    def render_errors(self) -> list[str]:
        """Outputs showing a render error, once the widgets have loaded (or RENDER_TIMEOUT has passed)."""
        deadline = time.monotonic() + RENDER_TIMEOUT
        while self.call("widgetsLoading") and time.monotonic() < deadline:
            time.sleep(0.1)
        texts = self.call("outputTexts")
        return [text[:300] for text in texts if any(marker in text for marker in RENDER_ERRORS)]

    def check(self) -> dict[str, Any]:
        """Run All, then fail with the cell and the error if anything went wrong; the saved notebook."""
        self.run_all()
        nb = self.save_and_read()
        errors = errors_in(nb)
        assert not errors, f"{self.name}: " + "; ".join(errors)
        assert not (skipped := not_run(nb)), f"{self.name}: cells that did not run: {skipped}"
        assert not (broken := self.render_errors()), f"{self.name}: outputs that did not render: {broken}"
        self.fail_on_traceback()  # one written after Run All returned, too
        return nb


@pytest.fixture
def open_notebook(lab: Lab, app: Any) -> Iterator[Callable[[str], Opened]]:
    """Open a notebook alone in the JupyterLab page, on its kernel started ahead; closed with its kernel afterwards."""
    opened: list[Opened] = []

    def open_(name: str) -> Opened:
        lab.start_kernel(name).result()
        if name in ORDER[:-1]:
            lab.start_kernel(ORDER[ORDER.index(name) + 1])  # the next test's, while this one runs
        notebook = Opened(lab, app, name, app.evaluate_handle("path => workbook.open(path)", name))
        opened.append(notebook)
        app.wait_for_function("p => workbook.ready(p)", arg=notebook.panel, polling=100, timeout=60_000)
        lab.remember_kernels()
        return notebook

    try:
        yield open_
    finally:
        lab.remember_kernels()  # the servers a notebook started, too
        try:
            for notebook in opened:
                app.screenshot(path=str(OUTPUT / f"{Path(notebook.name).stem}.png"))
        finally:
            try:  # closed before its kernel stops, so the page never sees the kernel go
                close_all(app, lab)
            finally:
                for notebook in opened:
                    lab.stop_kernels(notebook.name)


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
