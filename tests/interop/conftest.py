"""The real OpenAI-compatible server for tests/interop/: llama-cpp-python with SmolLM2-135M, started once.

`bash scripts/llama-server.sh` sets it up (scripts/test.sh runs it before pytest); without it these
tests skip, and in CI (CI set) a skip fails the run, as for the other `MUST_RUN_IN_CI` markers.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from helpers.llm.local_model import LocalModel, local_model_ready, start_local_model


@pytest.fixture(scope="session")
def local_model() -> Iterator[LocalModel]:
    """The running server (the same one for every test of the session), stopped at the end."""
    if not local_model_ready():
        pytest.skip(
            "the local model is not set up: run `bash scripts/llama-server.sh` (scripts/test.sh does; "
            "5-8 minutes the first time, it compiles llama-cpp-python)"
        )
    model = start_local_model(setup=False, timeout=120)
    try:
        yield model
    finally:
        model.stop()
