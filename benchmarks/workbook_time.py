"""Every notebook run offline under papermill, one after another: time per notebook and peak memory.

Uses plain papermill.execute_notebook (as the tests and CI do) with BACKEND=standin, writing the executed
copies to a temporary folder once at the end of each run (request_save_on_cell_execute=False, as the
tests do: papermill's default rewrites the whole notebook after every cell, 2-3 s a notebook here). A thread samples, every 50 ms, the resident memory of every process
under this one (the kernels, and the MCP servers, proxies and endpoints they start).
Prints a table, then one JSON line: {"total_s" (target < 90), "per_notebook", "peak_rss_mb" (target < 1024)}.

    .venv/bin/python benchmarks/workbook_time.py [notebook names...]
"""

from __future__ import annotations

import json
import sys
import tempfile
import threading
import time
from pathlib import Path

import papermill
import psutil

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


class PeakRss(threading.Thread):
    """The largest RSS of any one process in this process's tree, and which it was."""

    def __init__(self, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.interval, self.peak_mb, self.peak_name = interval, 0.0, ""
        self._stop_event = threading.Event()

    def run(self) -> None:
        me = psutil.Process()
        while not self._stop_event.is_set():
            for process in [me, *me.children(recursive=True)]:
                try:
                    mb = process.memory_info().rss / 2**20
                    if mb > self.peak_mb:
                        self.peak_mb = mb
                        self.peak_name = " ".join(process.cmdline()[1:4])[:70] or process.name()
                except psutil.Error:
                    pass
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def main(names: list[str]) -> dict:
    paths = [NOTEBOOKS / n for n in names] if names else sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    sampler = PeakRss()
    sampler.start()
    per_notebook: dict[str, float] = {}
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="workbook-time-") as folder:
        for path in paths:
            started = time.perf_counter()
            papermill.execute_notebook(str(path), str(Path(folder) / path.name), parameters={"BACKEND": "standin"},
                                       cwd=str(NOTEBOOKS), kernel_name="python3", progress_bar=False,
                                       request_save_on_cell_execute=False)
            per_notebook[path.stem] = round(time.perf_counter() - started, 1)
            print(f"{path.stem:40} {per_notebook[path.stem]:6.1f} s", flush=True)
    total = time.perf_counter() - began
    sampler.stop()
    print(f"{'total':40} {total:6.1f} s   (target < 90 s)")
    print(f"peak RSS of one process: {sampler.peak_mb:.0f} MB ({sampler.peak_name}); target < 1024 MB")
    return {"total_s": round(total, 1), "per_notebook": per_notebook, "peak_rss_mb": round(sampler.peak_mb),
            "peak_process": sampler.peak_name}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
