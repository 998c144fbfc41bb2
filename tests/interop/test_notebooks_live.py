"""Notebooks 00, 01, 02, 04 and 05 under plain papermill against a real server and a real (tiny) model.

Each runs as a reader would run it: BACKEND="openai-compatible", BASE_URL=<the local server>,
MODEL=<its id>, nothing else. A 135M-parameter model often answers badly, so a notebook may stop; what
this test demands is that it stops *with an explanation*. A notebook passes when it

- completes, or
- stops at an `AssertionError` raised in a notebook cell, or at one of the workbook's own errors
  (`helpers.errors`), whose message says what the model or the server did: not a bare `assert`,
  not a traceback from inside openai, Autogen or the helpers' internals.

`pytest tests/interop -s` prints how each notebook ended; build/interop/endings.json keeps it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from papermill.exceptions import PapermillExecutionError

from helpers.settings import BUILD_DIR
from tests.support.notebooks import EXECUTED, NOTEBOOKS, WORKBOOK_ERRORS, execute, explains, last_frame

pytestmark = pytest.mark.interop

LIVE_NOTEBOOKS = [
    "00_setup.ipynb",
    "01_raw_json_tool_loop.ipynb",
    "02_mcp_server_and_client.ipynb",
    "04_autogen_kaito_time.ipynb",
    "05_mcp_server_configs.ipynb",
]
# Notebooks known to stop without a workbook-written explanation with this model (owned elsewhere;
# see issue 12). Not strict: the model is not deterministic across notebooks, and a fix turns it into XPASS.
# Notebooks known to stop without an explanation with a real small model (none, since 04's Paris
# checks say what the model did): an entry here makes that notebook's test a non-strict xfail.
KNOWN_UNEXPLAINED: dict[str, str] = {}
# Each model request costs 4-16 s here (one llama.cpp thread, more when the prompt grows), so the tool
# loops of 01 and 02 get 3 turns instead of 8: still several round trips with tool results sent back
# (what strict servers refuse when it is wrong), and the same explained stop at the turn limit.
FEWER_TURNS = {"01_raw_json_tool_loop.ipynb": 3, "02_mcp_server_and_client.ipynb": 3}
CELL_TIMEOUT = 900  # seconds per cell: a tool loop of 8 turns on 2 busy cores can take minutes
ENDINGS: dict[str, dict[str, Any]] = {}


@pytest.fixture(scope="module")
def endings() -> Iterator[dict[str, dict[str, Any]]]:
    yield ENDINGS
    if ENDINGS:
        folder = BUILD_DIR / "interop"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "endings.json").write_text(json.dumps(ENDINGS, indent=2, ensure_ascii=False) + "\n")
        print_table()


def print_table() -> None:
    header = ["notebook", "ending", "seconds", "message"]
    rows = [
        [
            name.removesuffix(".ipynb"),
            e["ending"],
            f"{e['seconds']:.0f}",
            (e.get("message") or "").replace("\n", " ")[:150],
        ]
        for name, e in ENDINGS.items()
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(3)]
    print(f"\n\nNotebooks against a real model ({next(iter(ENDINGS.values()))['model']}):")
    for row in [header, ["-" * w for w in widths] + ["-" * 7], *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths, strict=True)) + "  " + row[3])


@pytest.mark.timeout(2 * CELL_TIMEOUT)
@pytest.mark.parametrize("name", LIVE_NOTEBOOKS, ids=lambda n: n.removesuffix(".ipynb"))
def test_notebook_completes_or_stops_with_an_explanation(name, local_model, endings, request) -> None:
    if name in KNOWN_UNEXPLAINED:
        request.applymarker(pytest.mark.xfail(reason=KNOWN_UNEXPLAINED[name], strict=False))
    output = EXECUTED / f"{name.removesuffix('.ipynb')}-interop-{local_model.model}.ipynb"
    parameters = {
        "BACKEND": "openai-compatible",
        "BASE_URL": local_model.base_url,
        "MODEL": local_model.model,
    }
    if name in FEWER_TURNS:
        parameters["MAX_TURNS"] = FEWER_TURNS[name]
    started = time.monotonic()
    ending: dict[str, Any] = {"model": f"{local_model.model} on llama-cpp-python {local_model.version}"}
    endings[name] = ending
    try:
        execute(NOTEBOOKS / name, output, parameters, timeout=CELL_TIMEOUT)
    except PapermillExecutionError as exc:
        frame = last_frame(exc.traceback)
        ending.update(
            ending=f"stopped at cell {exc.cell_index} (In [{exc.exec_count}]): {exc.ename}",
            seconds=time.monotonic() - started,
            message=exc.evalue,
            frame=frame,
            output=str(output),
        )
        assert exc.ename == "AssertionError" or exc.ename in WORKBOOK_ERRORS, (
            f"{name} stopped at cell {exc.cell_index} on {exc.ename}, neither an assertion nor a workbook "
            f"error: {exc.evalue[:500]} ({frame})"
        )
        if exc.ename == "AssertionError":
            assert frame.startswith("Cell In["), (
                f"{name}: the AssertionError comes from library code, not from a notebook cell: {frame}"
            )
        assert explains(exc.evalue), (
            f"{name} stopped at cell {exc.cell_index} without explaining what the model or server did: "
            f"{exc.ename}: {exc.evalue[:500]!r}"
        )
    else:
        ending.update(ending="completed", seconds=time.monotonic() - started, output=str(output))
