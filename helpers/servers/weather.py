"""The weather MCP server of the AI-service scenario (seed 003), behind a bearer token.

Run it with `python -m helpers.servers.weather --port N` (streamable HTTP, the default here) or
`--transport sse`; both require `Authorization: Bearer <token>` where the token is the environment
variable WEATHER_MCP_TOKEN of this process. `--transport stdio` needs no token: the client that
spawns the process already controls it. Data comes from `data/weather/*.json`.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Literal

from mcp.server.fastmcp import FastMCP
from mcp.server.fastmcp.exceptions import ToolError
from starlette.types import ASGIApp

from helpers.scenarios.weather import WeatherData
from helpers.servers.auth import BearerTokenMiddleware
from helpers.servers.cli import run
from helpers.servers.stats import CallCounter, expose_stats

TOKEN_ENV = "WEATHER_MCP_TOKEN"
TOOL_NAMES = (
    "get_weather",
    "get_weather_by_datetime_range",
    "get_forecast",
    "get_alerts",
    "set_alert_threshold",
)


def build_server(data: WeatherData | None = None) -> FastMCP:
    """Create the weather FastMCP server with fresh call counts (no auth: that lives in the HTTP app)."""
    weather = data or WeatherData()
    counter = CallCounter()
    mcp = FastMCP("weather", instructions="Weather observations, forecasts and alerts for a few cities.")

    def lookup(fn: Any, *args: Any) -> dict[str, Any]:
        # ValueError from the data layer becomes a tool error the model can read and correct.
        try:
            return fn(*args)
        except ValueError as exc:
            raise ToolError(str(exc)) from None

    def get_weather(location: str) -> dict[str, Any]:
        """Current weather for a city ('Berlin' or 'Berlin, DE'): temperature, wind, humidity, conditions."""
        return lookup(weather.current, location)

    def get_weather_by_datetime_range(location: str, start: str, end: str) -> dict[str, Any]:
        """Hourly observations for a city between two ISO 8601 datetimes (UTC if no offset), with a summary."""
        return lookup(weather.between, location, start, end)

    def get_forecast(location: str, days: int = 3) -> dict[str, Any]:
        """Daily forecast (min/max °C, conditions, precipitation, wind) for the next `days` days of a city."""
        return lookup(weather.forecast, location, days)

    def get_alerts(location: str) -> dict[str, Any]:
        """Active weather alerts for a city, including thresholds set with set_alert_threshold that are crossed."""
        return lookup(weather.alerts, location)

    def set_alert_threshold(
        location: str, metric: str, value: float, direction: Literal["above", "below"] = "above"
    ) -> dict[str, Any]:
        """Alert when a metric (temperature_c, feels_like_c, humidity_pct, wind_kph, precipitation_mm) goes above/below value."""
        return lookup(weather.set_threshold, location, metric, value, direction)

    for tool in (get_weather, get_weather_by_datetime_range, get_forecast, get_alerts, set_alert_threshold):
        mcp.add_tool(counter.wrap(tool))
    expose_stats(mcp, counter)
    return mcp


def build_app(
    token: str, transport: Literal["streamable-http", "sse"] = "streamable-http", mcp: FastMCP | None = None
) -> ASGIApp:
    """The server's Starlette app behind the bearer-token check."""
    mcp = mcp or build_server()
    app = mcp.streamable_http_app() if transport == "streamable-http" else mcp.sse_app()
    if not token:
        raise ValueError(f"the weather server needs a non-empty token; set {TOKEN_ENV}")
    return BearerTokenMiddleware(app, token, realm="weather")


def main(argv: list[str] | None = None) -> None:
    """Command line: the standard options, streamable HTTP by default, token from WEATHER_MCP_TOKEN."""
    import argparse

    import uvicorn

    parser = argparse.ArgumentParser(description="Serve the 'weather' MCP server behind a bearer token.")
    parser.add_argument("--transport", choices=["stdio", "streamable-http", "sse"], default="streamable-http")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (HTTP transports)")
    parser.add_argument("--port", type=int, default=8000, help="port to bind (HTTP transports)")
    args = parser.parse_args(argv)
    if args.transport == "stdio":
        run(build_server(), ["--transport", "stdio"])
        return
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        sys.exit(
            f"error: {TOKEN_ENV} is not set. The weather server refuses to serve HTTP without a token: "
            f"start it with {TOKEN_ENV}=<a long random string> in its environment "
            "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')."
        )
    mcp = build_server()
    mcp.settings.host, mcp.settings.port = args.host, args.port
    app = build_app(token, args.transport, mcp)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
