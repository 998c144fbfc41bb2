"""Five 100 ms tool calls requested in one model turn: do they run side by side?

The stand-in's planner is not used: a scripted cassette answers turn 1 with five tool calls
(one per tool, each sleeping 100 ms) and turn 2 with the answer, replayed by the real stand-in
endpoint over HTTP. The tool phase of turn 1 (from the model's reply to the last tool result,
measured from the tool runs' own timings) and the whole loop wall time are reported.
Prints a table, then one JSON line: {"parallel_ratio" = tool phase / 100 ms (target <= 1.5), ...}.

    .venv/bin/python benchmarks/parallel_tools.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from typing import Any

import openai

from helpers.standin import StandIn
from helpers.standin.cassette import Cassette
from helpers.standin.wire import Reply, ToolCall
from helpers.toolloop.loop import Tool, Toolbox, ToolOutput, run_tool_loop

TOOL_SECONDS = 0.1
TOOLS = 5


class TwoTurns(Cassette):
    """Turn 1: five tool calls; turn 2: the answer (counted by the assistant messages in the request)."""

    def match(self, request: dict[str, Any]) -> Reply | None:
        if any(m.get("role") == "assistant" for m in request.get("messages") or []):
            return Reply("All five tools answered.", source="benchmark-script")
        return Reply(None, [ToolCall(f"call_{i}", f"wait_{i}", "{}") for i in range(TOOLS)],
                     source="benchmark-script")


def make_tool(index: int, starts: list[float], ends: list[float]) -> Tool:
    async def run(arguments: dict[str, Any]) -> ToolOutput:
        starts.append(time.perf_counter())
        await asyncio.sleep(TOOL_SECONDS)
        ends.append(time.perf_counter())
        return ToolOutput(f"tool {index} waited {TOOL_SECONDS * 1000:.0f} ms")

    return Tool(f"wait_{index}", f"Waits {TOOL_SECONDS * 1000:.0f} ms.", {"type": "object", "properties": {}}, run)


async def one_run(standin: StandIn, client: openai.AsyncOpenAI) -> dict[str, float]:
    starts: list[float] = []
    ends: list[float] = []
    toolbox = Toolbox([make_tool(i, starts, ends) for i in range(TOOLS)])
    began = time.perf_counter()
    transcript = await run_tool_loop(client, [{"role": "user", "content": "Run all five."}], toolbox,
                                     model=standin.model_ids[0])
    wall = time.perf_counter() - began
    assert transcript.stop_reason == "answered" and len(transcript.tool_calls) == TOOLS, transcript
    return {"tool_phase_s": max(ends) - min(starts), "turn1_s": transcript.turns[0].seconds,
            "loop_wall_s": wall, "model_turns": len(transcript.turns)}


async def main(repeats: int) -> dict:
    standin = StandIn(cassettes=[TwoTurns("parallel", [])]).start()
    client = openai.AsyncOpenAI(base_url=standin.base_url, api_key=standin.api_key, max_retries=0)
    try:
        await one_run(standin, client)  # warm-up (connection set-up, imports)
        runs = [await one_run(standin, client) for _ in range(repeats)]
    finally:
        await client.close()
        standin.stop()
    median = {key: statistics.median(r[key] for r in runs) for key in ("tool_phase_s", "turn1_s", "loop_wall_s")}
    print(f"{TOOLS} tools of {TOOL_SECONDS * 1000:.0f} ms each in one model turn, median of {repeats} runs")
    print(f"{'measure':52} {'ms':>8}")
    print(f"{'tool phase (first tool start -> last tool end)':52} {median['tool_phase_s'] * 1000:8.1f}")
    print(f"{'turn 1 (model request + all five tools)':52} {median['turn1_s'] * 1000:8.1f}")
    print(f"{'whole loop (2 model turns over HTTP + tools)':52} {median['loop_wall_s'] * 1000:8.1f}")
    print(f"{'if run one after another':52} {TOOLS * TOOL_SECONDS * 1000:8.1f}")
    return {"parallel_ratio": round(median["tool_phase_s"] / TOOL_SECONDS, 3),
            "turn_ratio": round(median["turn1_s"] / TOOL_SECONDS, 3),
            "loop_ratio": round(median["loop_wall_s"] / TOOL_SECONDS, 3),
            "measured": "parallel_ratio: tool phase of the turn; loop_ratio: whole loop incl. 2 model requests"}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    print(json.dumps(asyncio.run(main(parser.parse_args().repeats))))
