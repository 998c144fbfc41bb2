"""A fresh clone to a JupyterLab that answers: the README's workbook command, timed, warm and cold.

Each row clones this repository (its committed HEAD) into a temporary folder and runs
`bash scripts/workbook.sh --no-browser --port=N`, which creates `.venv`, installs the learner's set
and starts JupyterLab; the clock stops when `GET /api/status` answers 200. Then the learner's
`.venv` is measured (target: at most 400 MB) and JupyterLab is stopped.

- warm: uv's cache as it is on this machine (a teacher's second install, or a room with a warm cache);
- cold: an empty uv cache (UV_CACHE_DIR in the temporary folder), so every wheel comes from the
  package index again; over the internet this depends on the network, here on the local index.

Target for the whole (warm): at most 25 s. Prints a table, then one JSON line.

    .venv/bin/python benchmarks/setup_time.py [warm|cold ...]
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from helpers.ports import free_port  # noqa: E402


def folder_mb(folder: Path) -> float:
    """Disk use in MiB, as `du -sm` reports it."""
    return float(
        subprocess.run(["du", "-sm", str(folder)], capture_output=True, text=True, check=True).stdout.split()[
            0
        ]
    )


def clone_to_lab(kind: str) -> dict[str, float]:
    """Seconds from `git clone` to JupyterLab answering, and the .venv's size, for one kind of cache."""
    with tempfile.TemporaryDirectory(prefix=f"setup-{kind}-") as folder:
        project = Path(folder) / "workbook"
        env = {
            k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "WORKBOOK_OFFLINE")
        }
        env["JUPYTER_RUNTIME_DIR"] = str(Path(folder) / "runtime")
        if kind == "cold":
            env["UV_CACHE_DIR"] = str(Path(folder) / "uv-cache")
        port = free_port()
        started = time.perf_counter()
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(project)], check=True)
        lab = subprocess.Popen(
            [
                "bash",
                "scripts/workbook.sh",
                "--no-browser",
                f"--port={port}",
                "--IdentityProvider.token=bench",
            ],
            cwd=project,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            while lab.poll() is None:
                try:
                    if (
                        httpx.get(f"http://127.0.0.1:{port}/api/status?token=bench", timeout=2).status_code
                        == 200
                    ):
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            else:
                raise SystemExit(
                    f"{kind}: scripts/workbook.sh exited with {lab.returncode} before JupyterLab answered"
                )
            seconds = time.perf_counter() - started
        finally:
            if lab.poll() is None:
                os.killpg(lab.pid, signal.SIGTERM)
                lab.wait(timeout=30)
        return {"seconds": round(seconds, 1), "venv_mb": round(folder_mb(project / ".venv"))}


def main(kinds: list[str]) -> dict[str, dict[str, float]]:
    rows = {kind: clone_to_lab(kind) for kind in kinds or ["warm", "cold"]}
    print(f"{'uv cache':10} {'clone to JupyterLab':>20} {'learner .venv':>14}")
    for kind, row in rows.items():
        print(f"{kind:10} {row['seconds']:>18.1f} s {row['venv_mb']:>11.0f} MB")
    print("targets: at most 25 s (warm), .venv at most 400 MB")
    return rows


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
