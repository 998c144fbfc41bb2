"""The seeds' data and tools: cluster pods (snapshot or live), read-only SQL, weather, indoor readings."""

from helpers.scenarios.cluster import (
    get_kubernetes_pod_cpu_data,
    get_kubernetes_pod_logs,
    get_kubernetes_pod_memory_data,
)
from helpers.scenarios.readings import AGGREGATE_READINGS_TOOL, aggregate_readings
from helpers.scenarios.sql import run_postgres_query
from helpers.scenarios.weather import WeatherData

__all__ = [
    "AGGREGATE_READINGS_TOOL",
    "WeatherData",
    "aggregate_readings",
    "get_kubernetes_pod_cpu_data",
    "get_kubernetes_pod_logs",
    "get_kubernetes_pod_memory_data",
    "run_postgres_query",
]
