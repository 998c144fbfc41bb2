"""The stand-in's planner knows no scenario: it calls a tool only when the user's words fit it, fills
arguments only from the text, and answers only by quoting the tool results it received.

The prompts here are reworded on purpose (none is a notebook's sentence) and some tools are made up,
so a planner tuned to the workbook's scenarios would fail them.
"""

from __future__ import annotations

import json

import pytest

from helpers.standin.answer import LABEL, final_answer
from helpers.standin.arguments import fill_arguments, find_clock_times, find_timezones
from helpers.standin.planner import fits, fitting, plan


def tool(name, description, properties=None, required=()):
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {"type": "object", "properties": properties or {}, "required": list(required)},
        },
    }


POD = {"namespace": {"type": "string"}, "pod_name": {"type": "string"}, "container_name": {"type": "string"}}
POD_TOOLS = [
    tool(
        "get_kubernetes_pod_logs",
        "Retrieves logs from a specific pod in a Kubernetes cluster.",
        POD,
        ["namespace", "pod_name"],
    ),
    tool(
        "get_kubernetes_pod_memory_data",
        "Retrieves the current memory usage, request, and limit of a pod.",
        POD,
        ["namespace", "pod_name"],
    ),
    tool(
        "get_kubernetes_pod_cpu_data",
        "Retrieves the current cpu usage, request, and limit of a pod.",
        POD,
        ["namespace", "pod_name"],
    ),
    tool(
        "run_postgres_query",
        "Executes a read-only SQL query.",
        {"sql_query": {"type": "string"}},
        ["sql_query"],
    ),
]
TIME_TOOLS = [
    tool(
        "get_current_time",
        "Get current time in a specific timezone",
        {"timezone": {"type": "string"}},
        ["timezone"],
    ),
    tool(
        "convert_time",
        "Convert time between timezones",
        {
            "source_timezone": {"type": "string"},
            "time": {"type": "string"},
            "target_timezone": {"type": "string"},
        },
        ["source_timezone", "time", "target_timezone"],
    ),
]
WEATHER_TOOLS = [
    tool(
        "get_weather",
        "Current weather for a city: temperature, wind, humidity, conditions.",
        {"location": {"type": "string"}},
        ["location"],
    ),
    tool(
        "AggregateReadingsTool",
        "Aggregate indoor temperature readings per room: min, max, mean.",
        {"room": {"type": "string"}, "hours": {"type": "integer", "default": 24}},
    ),
]
# A made-up scenario the workbook never uses: the planner must handle it the same way.
LIBRARY_TOOLS = [
    tool(
        "search_catalogue",
        "Search the library catalogue for books by subject or title.",
        {"query": {"type": "string"}},
        ["query"],
    ),
    tool("renew_loan", "Renew a book a member has on loan.", {"loan_id": {"type": "string"}}, ["loan_id"]),
]
KNOWLEDGE_TOOL = tool("get_knowledge_base", "Retrieve the entire knowledge base as a formatted string.")
SEARCH_TOOL = tool(
    "search_documents", "Search the policy documents and the FAQ.", {"query": {"type": "string"}}, ["query"]
)


def ask(text, tools, **request):
    return plan({"messages": [{"role": "user", "content": text}], "tools": tools, **request}, 1)


def calls_of(reply):
    return [(c.name, json.loads(c.arguments)) for c in reply.tool_calls]


def answer_with(results, question="q", tools=None):
    """The planner's reply once the given (name, result) pairs came back for one turn of calls."""
    messages = [
        {"role": "user", "content": question},
        {
            "role": "assistant",
            "tool_calls": [
                {"id": f"c{i}", "type": "function", "function": {"name": name, "arguments": "{}"}}
                for i, (name, _) in enumerate(results)
            ],
        },
    ]
    messages += [
        {"role": "tool", "tool_call_id": f"c{i}", "content": json.dumps(result)}
        for i, (_, result) in enumerate(results)
    ]
    return plan({"messages": messages, "tools": tools or []}, 2)


# --- arguments come from the text, as written ------------------------------------------------------------


def test_names_are_read_without_the_sentence_punctuation_around_them():
    text = "Check the logs of pod checkout-api-5d8f7-x2x9z in namespace shop, container envoy."
    assert fill_arguments(POD_TOOLS[0]["function"]["parameters"], text) == {
        "namespace": "shop",
        "pod_name": "checkout-api-5d8f7-x2x9z",
        "container_name": "envoy",
    }
    assert (
        fill_arguments(
            POD_TOOLS[0]["function"]["parameters"],
            "Logs please, namespace shop: pod checkout-api-5d8f7-x2x9z.",
        )["pod_name"]
        == "checkout-api-5d8f7-x2x9z"
    )


def test_inline_sql_loses_the_full_stop_backticked_sql_is_kept_as_written():
    schema = POD_TOOLS[3]["function"]["parameters"]
    assert fill_arguments(schema, "Please run SELECT id FROM refunds WHERE amount > 10.") == {
        "sql_query": "SELECT id FROM refunds WHERE amount > 10"
    }
    assert fill_arguments(schema, "Run `SELECT 'a.' AS x.` now") == {"sql_query": "SELECT 'a.' AS x."}
    assert (
        fill_arguments(schema, "how are refunds doing?") is None
    )  # nothing to run: no call, no invented SQL


def test_time_zones_and_clock_times_from_the_text():
    assert find_timezones("Turn 6:15 PM in Lisbon into Singapore time") == ["Europe/Lisbon", "Asia/Singapore"]
    assert find_timezones("over in America/Argentina/Salta today") == ["America/Argentina/Salta"]
    assert (
        find_timezones("the data center will wake up at christmas") == []
    )  # lower-case words are not cities
    assert find_clock_times("at 6:15 pm or 07:05, not 12") == ["18:15", "07:05"]


# --- which tools fit ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, tools, expected",
    [
        (
            "Pod checkout-api-5d8f7-x2x9z in namespace shop keeps restarting: pull its logs, memory and cpu figures.",
            POD_TOOLS,
            [
                (name, {"namespace": "shop", "pod_name": "checkout-api-5d8f7-x2x9z"})
                for name in (
                    "get_kubernetes_pod_logs",
                    "get_kubernetes_pod_memory_data",
                    "get_kubernetes_pod_cpu_data",
                )
            ],
        ),
        (
            "Show me the logs of pod checkout-api-5d8f7-x2x9z in namespace shop.",
            POD_TOOLS,
            [("get_kubernetes_pod_logs", {"namespace": "shop", "pod_name": "checkout-api-5d8f7-x2x9z"})],
        ),
        (
            "Could you tell me the current time in Asia/Kolkata?",
            TIME_TOOLS,
            [("get_current_time", {"timezone": "Asia/Kolkata"})],
        ),
        (
            "Please convert 7:15 PM Lisbon time into Singapore time.",
            TIME_TOOLS,
            [
                (
                    "convert_time",
                    {
                        "source_timezone": "Europe/Lisbon",
                        "time": "19:15",
                        "target_timezone": "Asia/Singapore",
                    },
                )
            ],
        ),
        (
            "How is the weather in Oslo, and could you aggregate the indoor temperature readings?",
            WEATHER_TOOLS,
            [("get_weather", {"location": "Oslo"}), ("AggregateReadingsTool", {"hours": 24})],
        ),
        (
            "Search the catalogue for books on sailing.",
            LIBRARY_TOOLS,
            [("search_catalogue", {"query": "Search the catalogue for books on sailing."})],
        ),
    ],
)
def test_reworded_requests_call_the_tools_their_words_name(text, tools, expected):
    assert calls_of(ask(text, tools)) == expected


@pytest.mark.parametrize(
    "text, tools",
    [
        ("Tell me a joke.", [KNOWLEDGE_TOOL]),
        ("Tell me a joke.", [SEARCH_TOOL]),  # its `query` could take any text: the words must fit first
        ("Write a haiku about autumn leaves.", POD_TOOLS),
        ("What's your favourite colour?", TIME_TOOLS),
        ("Summarise the plot of Hamlet.", WEATHER_TOOLS + LIBRARY_TOOLS),
    ],
)
def test_when_no_tool_fits_the_reply_is_a_plain_labelled_answer(text, tools):
    reply = ask(text, tools)
    assert reply.tool_calls == []
    assert reply.content.startswith(LABEL) and "called none" in reply.content
    assert fitting(tools, text) == []


def test_a_fitting_tool_without_its_required_arguments_is_not_called_and_the_reply_says_what_is_missing():
    reply = ask("Show me the logs of the payments pod.", POD_TOOLS)
    assert reply.tool_calls == []
    assert "get_kubernetes_pod_logs" in reply.content and "pod_name" in reply.content


def test_a_tool_whose_only_shared_words_a_better_tool_also_has_does_not_fit():
    text = "Please convert 7:15 PM Lisbon time into Singapore time."
    scores = {fit.name: fit.score for fit in fits(TIME_TOOLS, text)}
    assert scores["get_current_time"] > 0  # it shares "time" ...
    assert [fit.name for fit in fitting(TIME_TOOLS, text)] == [
        "convert_time"
    ]  # ... which convert_time explains


def test_parallel_tool_calls_false_asks_one_call_per_turn_then_the_next():
    text = "Pod checkout-api-5d8f7-x2x9z in namespace shop: logs and memory please."
    first = ask(text, POD_TOOLS, parallel_tool_calls=False)
    assert [c.name for c in first.tool_calls] == ["get_kubernetes_pod_logs"]
    messages = [
        {"role": "user", "content": text},
        {
            "role": "assistant",
            "tool_calls": [
                {
                    "id": "a",
                    "type": "function",
                    "function": {
                        "name": first.tool_calls[0].name,
                        "arguments": first.tool_calls[0].arguments,
                    },
                }
            ],
        },
        {"role": "tool", "tool_call_id": "a", "content": json.dumps({"logs": "ok"})},
    ]
    second = plan({"messages": messages, "tools": POD_TOOLS, "parallel_tool_calls": False}, 2)
    assert [c.name for c in second.tool_calls] == ["get_kubernetes_pod_memory_data"]


def test_tool_choice_none_forced_and_required():
    text = "Could you tell me the current time in Asia/Kolkata?"
    assert ask(text, TIME_TOOLS, tool_choice="none").tool_calls == []
    forced = ask(text, TIME_TOOLS, tool_choice={"type": "function", "function": {"name": "convert_time"}})
    assert calls_of(forced) == [("convert_time", {"source_timezone": "Asia/Kolkata"})]  # no invented values
    required = ask("Tell me a joke.", [SEARCH_TOOL], tool_choice="required")
    assert calls_of(required) == [("search_documents", {"query": "Tell me a joke."})]


# --- the answer quotes the results, and only them --------------------------------------------------------


def test_the_answer_is_built_from_the_tool_results():
    before = answer_with(
        [("get_queue_stats", {"queue": "invoices", "depth": 1717, "oldest_seconds": 95})]
    ).content
    after = answer_with(
        [("get_queue_stats", {"queue": "invoices", "depth": 4242, "oldest_seconds": 95})]
    ).content
    assert "1717" in before and "4242" in after
    assert after == before.replace("1717", "4242")  # nothing else in the answer depends on the values


def test_no_diagnosis_is_added_to_what_the_tools_said():
    results = [
        ("get_kubernetes_pod_logs", {"logs": "container envoy OOMKilled, exit code 137"}),
        ("get_kubernetes_pod_memory_data", {"usage": "2Gi", "request": "1Gi", "limit": "2Gi"}),
    ]
    text = answer_with(results).content
    assert text.startswith(LABEL)
    assert "OOMKilled, exit code 137" in text and "limit: 2Gi" in text  # quoted ...
    assert (
        "root cause" not in text.lower() and "reached" not in text and "raise" not in text.lower()
    )  # ... only


def test_datetimes_in_a_result_are_also_written_as_clock_times_in_the_zone_beside_them():
    text = final_answer(
        [
            (
                "get_current_time",
                json.dumps({"timezone": "Asia/Kolkata", "datetime": "2026-03-02T08:05:00+05:30"}),
            )
        ],
        "time in Kolkata?",
    )
    assert "Asia/Kolkata" in text and "8:05 AM IST" in text and "Monday 2 March 2026" in text


def test_a_text_result_is_quoted_at_the_passage_that_matches_the_question():
    handbook = (
        "Q1: How long do refunds take?\nA1: Refunds reach the card within 9 working days.\n\n"
        "Q2: Can I return opened items?\nA2: Opened items can be returned within 14 days."
    )
    text = final_answer([("get_handbook", handbook)], "How long until a refund reaches my card?")
    assert "9 working days" in text and "14 days" not in text


def test_errors_are_reported_not_hidden():
    text = answer_with([("renew_loan", {"error": "loan L-77 not found"})]).content
    assert "renew_loan reported an error: loan L-77 not found" in text
