"""explained_autogen_errors: what Autogen 0.7 raises from inside, for a real server or a weak model, explained."""

from __future__ import annotations

import httpx
import openai
import pytest

from helpers.errors import EndpointError
from helpers.toolloop.autogen_events import explain_autogen_error, explained_autogen_errors

REQUEST = httpx.Request("POST", "http://127.0.0.1:9/v1/chat/completions")


def status_error(status: int, message: str) -> openai.APIStatusError:
    return openai.APIStatusError(message, response=httpx.Response(status, request=REQUEST), body=None)


@pytest.mark.parametrize(
    ("error", "words"),
    [
        # the two below are what Autogen 0.7.5 raised against llama-cpp-python + SmolLM2 (data/real_replies)
        (
            ValueError("function_call is deprecated and is not supported by this model client"),
            "deprecated `function_call`",
        ),
        (RuntimeError("Reflect on tool use produced no valid text response."), "next reply had no text"),
        (status_error(500, "Error code: 500 - 7 validation errors: content"), "content is null"),
        (
            status_error(404, "Error code: 404 - model not found"),
            "HTTP 404: Error code: 404 - model not found.",
        ),
        (openai.APITimeoutError(request=REQUEST), "no reply in time"),
        (openai.APIConnectionError(request=REQUEST), "Nothing answered"),
    ],
)
def test_known_errors_become_an_endpoint_error_that_explains(error: BaseException, words: str) -> None:
    with pytest.raises(EndpointError) as caught, explained_autogen_errors():
        raise error
    assert words in str(caught.value)
    assert str(caught.value).startswith(f"{type(error).__name__} from inside Autogen: ")
    assert caught.value.__cause__ is None and caught.value.__suppress_context__  # no library traceback


def test_a_500_without_a_schema_error_gets_no_content_hint() -> None:
    assert "content is null" not in explain_autogen_error(
        status_error(500, "Error code: 500 - out of memory")
    )


@pytest.mark.parametrize(
    "error", [ValueError("some other value error"), RuntimeError("other"), KeyError("x")]
)
def test_other_errors_pass_unchanged(error: BaseException) -> None:
    with pytest.raises(type(error)) as caught, explained_autogen_errors():
        raise error
    assert caught.value is error
