"""A real language model on this machine, with no network and no key: llama-cpp-python's server and SmolLM2-135M.

    python -m helpers.llm.local_model            # set up (the first time: 5-8 minutes), start, print BASE_URL

It runs `scripts/llama-server.sh` (which builds llama-cpp-python once and keeps the server in a venv
of its own under ~/.cache/mcp-workbook), then starts `python -m llama_cpp.server` on 127.0.0.1 with
`--chat_format chatml-function-calling`, the one format in which this model returns real `tool_calls`,
and waits until `GET /v1/models` answers. Paste the BASE_URL it prints into a notebook with
BACKEND = "openai-compatible".

SmolLM2-135M has 135 million parameters, about a thousandth of a frontier model. It often answers
badly: no tool call, a wrong tool, invented arguments, an empty reply, the same call again and again.
That is the point: every notebook meets, from a real model over real HTTP, the mistakes the workbook's
checks and explanations are written for. And llama-cpp-python 0.3.36's `chatml-function-calling`
format has its own limits: it never shows tool results to the model, and when the model chooses to
answer in text (tool_choice "auto") the text is always empty. A notebook that stops with an
explanation against this model has done its job.

`start_local_model()` is the same for Python code (the tests in tests/interop/ use it).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from helpers.errors import ServerStartError
from helpers.ports import free_port, wait_for_port
from helpers.servers.launch import ManagedProcess, log_tail, new_log, poll_http, spawn
from helpers.settings import PROJECT_ROOT

SETUP_SCRIPT = PROJECT_ROOT / "scripts" / "llama-server.sh"
MODEL_ALIAS = "smollm2-135m"
CHAT_FORMAT = "chatml-function-calling"
CONTEXT_TOKENS = 2048
# One llama.cpp thread: for a 135M model it is as fast as two on a quiet 2-core machine (4.4 s against
# 5.0 s a request) and 20 times faster when another process keeps one core busy (6.7 s against 131 s:
# llama.cpp's threads wait for each other by spinning), as when the tests run in two processes
# (benchmarks/local_model_threads.py).
THREADS = 1
SETUP_TIMEOUT = 45 * 60.0  # seconds: the first run compiles llama.cpp (5-8 minutes on 2 cores)

ABOUT = (
    "SmolLM2-135M has 135 million parameters, about a thousandth of a frontier model, and it often "
    "answers badly: no tool call, the wrong tool, invented arguments, an empty reply, the same call "
    "again and again. That is instructive: the notebooks meet, from a real model over real HTTP, the "
    "mistakes their checks and explanations are written for. The server's chatml-function-calling "
    "format adds two limits of its own: tool results never reach the model's prompt, and when the "
    'model chooses text under tool_choice "auto" that text is empty. A notebook that stops with an '
    "explanation here has done its job; for good answers use a larger model."
)


@dataclass(kw_only=True)
class LocalModel(ManagedProcess):
    """A running llama-cpp-python server with SmolLM2-135M on 127.0.0.1."""

    port: int
    model: str
    gguf: Path
    version: str

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible root, for BACKEND = "openai-compatible"."""
        return f"http://127.0.0.1:{self.port}/v1"


def _run_setup(check_only: bool, echo: bool) -> tuple[Path, Path]:
    """Run scripts/llama-server.sh; return (server python, gguf file). Its stderr goes to a log (and the screen)."""
    if not SETUP_SCRIPT.is_file():
        raise ServerStartError(
            f"the set-up script {SETUP_SCRIPT} is missing; it comes with the workbook (restore it with git)."
        )
    log_path = new_log("llama-setup")
    command = ["bash", str(SETUP_SCRIPT), *(["--check"] if check_only else [])]
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL
        )
        assert process.stderr is not None and process.stdout is not None
        deadline = time.monotonic() + SETUP_TIMEOUT
        for line in process.stderr:  # progress lines, shown as they come
            log.write(line)
            log.flush()
            if echo:
                print(line, end="", file=sys.stderr, flush=True)
            if time.monotonic() > deadline:
                process.kill()
                break
        stdout = process.stdout.read()
        code = process.wait()
    values = dict(line.split("=", 1) for line in stdout.splitlines() if "=" in line)
    if code != 0 or not {"PYTHON", "MODEL"} <= values.keys():
        what = "is not set up" if check_only and code == 3 else f"failed (exit code {code})"
        raise ServerStartError(
            f"scripts/llama-server.sh {what}. Its output ({log_path}):\n{log_tail(log_path)}\n"
            "It needs the network the first time (PyPI), a C++ compiler and cmake to build llama.cpp."
        )
    return Path(values["PYTHON"]), Path(values["MODEL"])


def local_model_ready() -> bool:
    """True when scripts/llama-server.sh has set everything up, so starting needs no build and no network."""
    try:
        _run_setup(check_only=True, echo=False)
    except ServerStartError:
        return False
    return True


def _server_version(python: Path) -> str:
    done = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('llama_cpp_python'))"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.stdout.strip() or "unknown"


def _wait_for_models(model: LocalModel, timeout: float) -> None:
    """Poll GET /v1/models until it lists the model (the port opens before the model is loaded)."""
    poll_http(
        lambda: httpx.get(f"{model.base_url}/models", timeout=5.0),
        lambda reply: reply.status_code == 200 and model.model in reply.text,
        deadline=time.monotonic() + timeout,
        alive=model.is_running,
        what=f"{model.base_url}/models listed {model.model!r}",
        interval=0.2,
    )


def start_local_model(
    port: int | None = None,
    *,
    setup: bool = True,
    echo: bool = False,
    timeout: float = 60.0,
    threads: int = THREADS,
) -> LocalModel:
    """Set up (unless `setup` is False) and start the local model server; return it once /v1/models answers.

    Args:
        port: the loopback port; default: a free one.
        setup: run scripts/llama-server.sh to build and install what is missing (may take minutes and
            needs the network the first time); False: only check that it was done.
        echo: show the set-up script's progress on stderr.
        timeout: seconds to wait for the server to listen and answer /v1/models.
        threads: CPU threads for llama.cpp (prompt and generation).

    Raises:
        ServerStartError: the set-up script is missing or failed, or the server did not answer in time;
            the message carries the log tail.
    """
    python, gguf = _run_setup(check_only=not setup, echo=echo)
    port = port or free_port()
    log_path = new_log("llama-server")
    command = [
        str(python), "-m", "llama_cpp.server",
        "--model", str(gguf),
        "--model_alias", MODEL_ALIAS,
        "--chat_format", CHAT_FORMAT,
        "--host", "127.0.0.1",
        "--port", str(port),
        "--n_ctx", str(CONTEXT_TOKENS),
        "--n_threads", str(threads),
        "--n_threads_batch", str(threads),
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONHOME", "VIRTUAL_ENV")}
    process = spawn(command, log_path, env)
    model = LocalModel(
        port=port,
        model=MODEL_ALIAS,
        gguf=gguf,
        version=_server_version(python),
        process=process,
        log_path=log_path,
    )
    atexit.register(model.stop)
    started = time.monotonic()
    try:
        wait_for_port(port, timeout=timeout, alive=model.is_running)
        _wait_for_models(model, max(5.0, timeout - (time.monotonic() - started)))
    except TimeoutError as exc:
        model.stop()
        raise ServerStartError(
            f"llama-cpp-python's server did not start on 127.0.0.1:{port}: {exc}\n"
            f"Its log ({log_path}):\n{model.logs()}"
        ) from None
    return model


def _banner(model: LocalModel) -> str:
    return "\n".join(
        [
            f"A real model is answering at {model.base_url}",
            f"  server: llama-cpp-python {model.version} (--chat_format {CHAT_FORMAT}, n_ctx {CONTEXT_TOKENS}, "
            f"n_threads {THREADS}), pid {model.pid}, log {model.log_path}",
            f"  model:  SmolLM2-135M-Instruct, Q4_1 ({model.gguf.name}), served as {model.model!r}",
            "",
            "Paste into a notebook's parameters cell:",
            "",
            '    BACKEND = "openai-compatible"',
            f'    BASE_URL = "{model.base_url}"',
            f'    MODEL = "{model.model}"',
            "",
            "or run one headless:",
            "",
            "    .venv/bin/papermill notebooks/01_raw_json_tool_loop.ipynb out.ipynb \\",
            f"        -p BACKEND openai-compatible -p BASE_URL {model.base_url} -p MODEL {model.model}",
            "",
            "Mind: " + ABOUT,
            "",
            "The server runs until you press Ctrl-C.",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m helpers.llm.local_model",
        description="Start a real OpenAI-compatible server with a tiny real model (SmolLM2-135M) on 127.0.0.1.",
    )
    parser.add_argument("--port", type=int, default=None, help="loopback port (default: a free one)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # `kill` stops the server too, as Ctrl-C does
    print("Setting up the local model (the first time builds llama-cpp-python: 5-8 minutes)...", flush=True)
    try:
        model = start_local_model(args.port, echo=True)
    except ServerStartError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(_banner(model), flush=True)
    try:
        while model.is_running():
            time.sleep(1)
        print(f"The server exited. Its log:\n{model.logs()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping the server.")
        return 0
    finally:
        with contextlib.suppress(Exception):
            model.stop()


if __name__ == "__main__":
    raise SystemExit(main())
