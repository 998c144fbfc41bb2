"""A stand-in whose replies are scripted, byte for byte: for bad model output and endpoint faults.

`ScriptedStandIn` is the real stand-in (same routes, auth, Azure route, request checks and
`requests_log`), except that the body it answers with comes from a script instead of a cassette
or the planner. Step n of the script answers model turn n (turn = assistant messages in the
request, so the SDK's retries of one turn get the same step); with `repeat`, the last step
answers every later turn. A step is a dict:

- `{"body": {...}}`: HTTP 200 with that JSON body, as is (a chat.completion, or anything else);
- `{"status": 500, "body": {...}}`: another status;
- `{"raw": "<html>...", "content_type": "text/html"}`: a body that is not JSON;
- `"delay_s": 3` in any step: wait that long first (the client's timeout should fire).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Iterator
from typing import Any

from starlette.responses import JSONResponse, Response

from helpers.settings import DATA_DIR
from helpers.standin import StandIn


class ScriptedStandIn(StandIn):
    """The stand-in, answering chat requests from `script` (see the module docstring)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(cassettes=[], **options)
        self.script: list[dict[str, Any]] = []
        self.repeat = False

    def load(self, steps: list[dict[str, Any]], repeat: bool = False) -> None:
        """Use `steps` for the next conversation; forget earlier requests."""
        self.reset_stats()
        self.script, self.repeat = list(steps), repeat

    async def _answer(self, body: dict[str, Any], model: str, auth: str) -> Response:
        turn = sum(1 for m in body.get("messages") or [] if m.get("role") == "assistant")
        with self._lock:
            self.stats["chat_requests"] += 1
            self.last_auth = auth
            self.requests_log.append(json.loads(json.dumps(body)))
        if turn >= len(self.script) and not self.repeat:
            return JSONResponse(
                {
                    "error": {
                        "message": f"the script has no reply for turn {turn + 1}",
                        "type": "script_exhausted",
                    }
                },
                status_code=418,
            )
        step = self.script[min(turn, len(self.script) - 1)]
        if step.get("delay_s"):
            await asyncio.sleep(step["delay_s"])
        status = step.get("status", 200)
        if "raw" in step:
            return Response(
                step["raw"], status_code=status, media_type=step.get("content_type", "text/plain")
            )
        return JSONResponse(step.get("body", {}), status_code=status)


@contextlib.contextmanager
def running_scripted(model: str) -> Iterator[ScriptedStandIn]:
    """A started ScriptedStandIn serving `model`, stopped on the way out (for module-scoped fixtures)."""
    server = ScriptedStandIn(model_ids=[model]).start()
    try:
        yield server
    finally:
        server.stop()


# Replies recorded from a real server and model (llama-cpp-python + SmolLM2-135M), each with the request
# that produced it and what the tests expect of it: replayed by tests/interop/test_recorded_replies.py
# and by the bad-reply corpus test.
RECORDED_REPLIES: list[dict[str, Any]] = json.loads(
    (DATA_DIR / "real_replies" / "llama_cpp_smollm2.json").read_text()
)


def replayed(reply: dict[str, Any]) -> list[dict[str, Any]]:
    """The `ScriptedStandIn` script for a recorded reply: its status and body, byte for byte.

    Only that one reply was recorded, so it is loaded with `repeat=True` and answers every later turn
    too; both tests replay the entries this way.
    """
    return [{"status": reply["response"]["status"], "body": reply["response"]["body"]}]
