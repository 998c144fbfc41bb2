"""Every notebook run offline under papermill, one after another: time per notebook, where it goes, peak memory.

Uses plain papermill.execute_notebook (as the tests and CI do) with BACKEND=standin, writing the executed
copies to a temporary folder once at the end of each run (request_save_on_cell_execute=False, as the
tests do: papermill's default rewrites the whole notebook after every cell, 2-3 s a notebook here). A
thread samples, every 50 ms, the resident memory of every process under this one (the kernels, and
the MCP servers, proxies and endpoints they start).

Where the seconds go, per notebook, from papermill's own cell timings: outside the cells (kernel
start and papermill), the imports cell (the first code cell), and the three slowest other cells.
Then the fixed costs that set a floor under the whole: an empty notebook under papermill, and a
fresh Python process importing what an MCP server (or the kernel) imports.

Prints the tables, then one JSON line: {"total_s" (target 25), "per_notebook", "peak_rss_mb" (target < 1024),
"where", "fixed_costs_s"}.

    .venv/bin/python benchmarks/workbook_time.py [notebook names...]
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
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


def where_it_goes(executed: Path, total: float) -> dict:
    """Seconds outside the cells, in the imports cell, and in the three slowest other cells (papermill's timings)."""
    cells = [c for c in nbformat.read(str(executed), as_version=4).cells if c.cell_type == "code"]
    timed = [(c.metadata.get("papermill", {}).get("duration") or 0.0, c.source) for c in cells]
    inside = sum(seconds for seconds, _ in timed)
    slowest = sorted(timed[1:], key=lambda row: row[0], reverse=True)[:3]
    return {
        "outside_cells_s": round(total - inside, 1),
        "imports_cell_s": round(timed[0][0], 1),
        "slowest_cells": [
            (round(seconds, 1), source.strip().splitlines()[0][:50]) for seconds, source in slowest
        ],
    }


def fixed_costs(folder: Path, repeats: int = 3) -> dict[str, float]:
    """Medians: an empty notebook under papermill; a fresh Python importing mcp's server, openai, autogen."""
    empty = nbformat.v4.new_notebook()
    empty.cells = [nbformat.v4.new_code_cell("x = 1")]
    empty.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(empty, str(folder / "empty.ipynb"))

    def empty_notebook() -> None:
        papermill.execute_notebook(
            str(folder / "empty.ipynb"),
            str(folder / "empty-out.ipynb"),
            kernel_name="python3",
            progress_bar=False,
            request_save_on_cell_execute=False,
        )

    def importing(module: str):
        return lambda: subprocess.run([sys.executable, "-c", f"import {module}"], check=True)

    costs = {
        "empty notebook under papermill": empty_notebook,
        "python: import mcp.server.fastmcp (each MCP server)": importing("mcp.server.fastmcp"),
        "python: import openai": importing("openai"),
        "python: import autogen_ext.tools.mcp": importing("autogen_ext.tools.mcp"),
    }
    medians = {}
    for what, run in costs.items():
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            run()
            times.append(time.perf_counter() - started)
        medians[what] = round(statistics.median(times), 2)
    return medians


def main(names: list[str]) -> dict:
    paths = [NOTEBOOKS / n for n in names] if names else sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    sampler = PeakRss()
    sampler.start()
    per_notebook: dict[str, float] = {}
    where: dict[str, dict] = {}
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="workbook-time-") as folder:
        for path in paths:
            started = time.perf_counter()
            papermill.execute_notebook(
                str(path),
                str(Path(folder) / path.name),
                parameters={"BACKEND": "standin"},
                cwd=str(NOTEBOOKS),
                kernel_name="python3",
                progress_bar=False,
                request_save_on_cell_execute=False,
            )
            seconds = time.perf_counter() - started
            per_notebook[path.stem] = round(seconds, 1)
            where[path.stem] = where_it_goes(Path(folder) / path.name, seconds)
            print(f"{path.stem:40} {per_notebook[path.stem]:6.1f} s", flush=True)
        total = time.perf_counter() - began
        sampler.stop()
        print(f"{'total':40} {total:6.1f} s   (target 25 s)")
        print(f"peak RSS of one process: {sampler.peak_mb:.0f} MB ({sampler.peak_name}); target < 1024 MB")
        print(
            f"\nwhere the seconds go\n{'notebook':28} {'outside cells':>13} {'imports':>8}  slowest other cells"
        )
        for stem, row in where.items():
            slowest = "; ".join(f"{s:.1f} s {line}" for s, line in row["slowest_cells"])
            print(
                f"{stem[:28]:28} {row['outside_cells_s']:>11.1f} s {row['imports_cell_s']:>6.1f} s  {slowest}"
            )
        costs = fixed_costs(Path(folder))
    print("\nfixed costs (medians of 3)")
    for what, seconds in costs.items():
        print(f"{what:55} {seconds:5.2f} s")
    return {
        "total_s": round(total, 1),
        "per_notebook": per_notebook,
        "peak_rss_mb": round(sampler.peak_mb),
        "peak_process": sampler.peak_name,
        "where": where,
        "fixed_costs_s": costs,
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
