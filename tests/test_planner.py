"""The stand-in's planner: argument filling, tool ranking and answers written from results."""

from __future__ import annotations

import json

from helpers.standin.answer import final_answer, quantity
from helpers.standin.arguments import fill_arguments, find_clock_times, find_timezones
from helpers.standin.planner import plan, rank_tools

POD = {"type": "object", "properties": {"namespace": {"type": "string"}, "pod_name": {"type": "string"},
                                        "container_name": {"type": "string"}}, "required": ["namespace", "pod_name"]}
ISTIO = ("My istio-proxy sidecar is failing in the billing-service-v1-abcdef pod in default namespace. "
         "please troubleshoot and find the root cause. you can use tools provided")


def tool(name, description, parameters=None):
    return {"type": "function", "function": {"name": name, "description": description,
                                             "parameters": parameters or {"type": "object", "properties": {}}}}


def test_kubernetes_names_from_text():
    assert fill_arguments(POD, ISTIO) == {"namespace": "default", "pod_name": "billing-service-v1-abcdef",
                                          "container_name": "istio-proxy"}


def test_time_zones_and_clock_times():
    assert find_timezones("Convert 9:30 AM New York time to Tokyo time.") == ["America/New_York", "Asia/Tokyo"]
    assert find_timezones("in Europe/Paris please") == ["Europe/Paris"]
    assert find_clock_times("at 9:30 AM or 21:15, not 7") == ["09:30", "21:15"]


def test_required_argument_missing_means_no_call():
    schema = {"type": "object", "properties": {"sql_query": {"type": "string"}}, "required": ["sql_query"]}
    assert fill_arguments(schema, "how are invoices doing?") is None
    assert fill_arguments(schema, "run `SELECT count(*) FROM invoices`") == {"sql_query": "SELECT count(*) FROM invoices"}


def test_ranking_prefers_rare_words():
    tools = [tool("get_current_time", "Get current time in a specific timezone"),
             tool("convert_time", "Convert time between timezones")]
    ranked = rank_tools(tools, "Convert 9:30 AM New York time to Tokyo time.")
    assert ranked[0][1]["function"]["name"] == "convert_time" and ranked[0][0] > 2 * ranked[1][0]


def test_plan_calls_all_usable_tools_then_answers():
    tools = [tool(n, d, POD) for n, d in [
        ("get_kubernetes_pod_logs", "Retrieves logs from a specific pod in a Kubernetes cluster."),
        ("get_kubernetes_pod_memory_data", "Retrieves the current memory usage, request, and limit of a pod."),
        ("get_kubernetes_pod_cpu_data", "Retrieves the current cpu usage, request, and limit of a pod.")]]
    tools.append(tool("run_postgres_query", "Executes a read-only SQL query.",
                      {"type": "object", "properties": {"sql_query": {"type": "string"}}, "required": ["sql_query"]}))
    messages = [{"role": "user", "content": ISTIO}]
    reply = plan({"messages": messages, "tools": tools}, 1)
    assert [c.name for c in reply.tool_calls] == ["get_kubernetes_pod_logs", "get_kubernetes_pod_memory_data",
                                                  "get_kubernetes_pod_cpu_data"]
    one = plan({"messages": messages, "tools": tools, "parallel_tool_calls": False}, 1)
    assert len(one.tool_calls) == 1
    results = {"get_kubernetes_pod_logs": {"logs": "warn Envoy may have been out of memory killed."},
               "get_kubernetes_pod_memory_data": {"usage": "1Gi", "request": "512Mi", "limit": "1Gi"},
               "get_kubernetes_pod_cpu_data": {"usage": "104m", "request": "512m", "limit": "1024m"}}
    messages.append({"role": "assistant", "tool_calls": [
        {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}} for c in reply.tool_calls]})
    messages += [{"role": "tool", "tool_call_id": c.id, "content": json.dumps(results[c.name])} for c in reply.tool_calls]
    answer = plan({"messages": messages, "tools": tools}, 2)
    assert not answer.tool_calls
    assert "stand-in" in answer.content and "Usage has reached the limit" in answer.content
    assert "Root cause" in answer.content and "memory limit" in answer.content


def test_answer_quotes_the_matching_passage_only():
    kb = "Q: What is the vacation policy?\nA: 25 days a year.\n\nQ: How do I file expenses?\nA: Within 30 days."
    text = final_answer([("get_knowledge_base", kb)], "What is our company's vacation policy?")
    assert "25 days" in text and "30 days" not in text


def test_errors_are_reported_not_hidden():
    assert "reported an error: pod not found" in final_answer([("t", json.dumps({"error": "pod not found"}))], "x")


def test_quantities():
    assert quantity("1Gi") == 2**30 and quantity("512Mi") == 2**29 and abs(quantity("104m") - 0.104) < 1e-9
    assert quantity("lots") is None
