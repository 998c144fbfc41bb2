"""The weather data behind the weather MCP server: a few cities from `data/weather/*.json`.

Each file holds hourly observations for two days (UTC), a daily forecast and active alerts. The data
set is frozen, so "current" weather means the latest observation in it; answers say so (`as_of`).
"""

from __future__ import annotations

import json
import statistics
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from helpers.settings import DATA_DIR

METRICS = ("temperature_c", "feels_like_c", "humidity_pct", "wind_kph", "precipitation_mm")


def default_weather_dir() -> Path:
    """`data/weather/` under the project root, located from this file (never the cwd)."""
    return DATA_DIR / "weather"


def parse_time(text: str, what: str) -> datetime:
    """Parse an ISO 8601 datetime; a value without offset is taken as UTC."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"{what} {text!r} is not an ISO 8601 datetime; write e.g. 2025-01-21T06:00:00Z"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class WeatherData:
    """Lookups over the city files, plus alert thresholds set during this process's life."""

    def __init__(self, directory: Path | None = None) -> None:
        directory = directory or default_weather_dir()
        files = sorted(directory.glob("*.json"))
        if not files:
            raise FileNotFoundError(f"no weather data in {directory}; expected files like berlin.json")
        self.cities: dict[str, dict[str, Any]] = {}
        for path in files:
            city = json.loads(path.read_text(encoding="utf-8"))
            self.cities[city["id"]] = city
        self.thresholds: dict[str, list[dict[str, Any]]] = {}

    def known(self) -> list[str]:
        """The locations as a caller should write them, e.g. 'Berlin, DE'."""
        return [f"{c['name']}, {c['country']}" for c in self.cities.values()]

    def city(self, location: str) -> dict[str, Any]:
        """Find a city by name, with an optional country code ('berlin', 'Berlin, DE')."""
        name, _, country = (part.strip().lower() for part in location.partition(","))
        for city in self.cities.values():
            if name in (city["id"], city["name"].lower()) and country in ("", city["country"].lower()):
                return city
        raise ValueError(f"unknown location {location!r}; this server knows {self.known()}")

    @staticmethod
    def _label(city: dict[str, Any]) -> str:
        return f"{city['name']}, {city['country']}"

    def current(self, location: str) -> dict[str, Any]:
        """The latest observation of the city."""
        city = self.city(location)
        latest = city["observations"][-1]
        return {
            "location": self._label(city),
            "timezone": city["timezone"],
            "as_of": latest["time"],
            **{k: v for k, v in latest.items() if k != "time"},
            "units": city["units"],
        }

    def between(self, location: str, start: str, end: str) -> dict[str, Any]:
        """Hourly observations with start <= time <= end, and a temperature summary."""
        city = self.city(location)
        lo, hi = parse_time(start, "start"), parse_time(end, "end")
        if hi < lo:
            raise ValueError(f"end {end!r} is before start {start!r}; swap them")
        obs = city["observations"]
        first, last = obs[0]["time"], obs[-1]["time"]
        rows = [o for o in obs if lo <= parse_time(o["time"], "time") <= hi]
        if not rows:
            raise ValueError(
                f"no observations for {self._label(city)} between {start} and {end}; "
                f"the data covers {first} to {last}"
            )
        temps = [o["temperature_c"] for o in rows]
        return {
            "location": self._label(city),
            "start": lo.isoformat(),
            "end": hi.isoformat(),
            "covered": {"from": first, "to": last},
            "count": len(rows),
            "observations": rows,
            "summary": {
                "min_temperature_c": min(temps),
                "max_temperature_c": max(temps),
                "mean_temperature_c": round(statistics.fmean(temps), 1),
                "total_precipitation_mm": round(sum(o["precipitation_mm"] for o in rows), 1),
            },
        }

    def forecast(self, location: str, days: int) -> dict[str, Any]:
        """The first `days` days of the daily forecast."""
        city = self.city(location)
        available = len(city["forecast"])
        if not 1 <= days <= available:
            raise ValueError(f"days must be between 1 and {available} for {self._label(city)}; got {days}")
        return {
            "location": self._label(city),
            "issued": city["observations"][-1]["time"],
            "days": city["forecast"][:days],
            "units": city["units"],
        }

    def set_threshold(
        self, location: str, metric: str, value: float, direction: Literal["above", "below"] = "above"
    ) -> dict[str, Any]:
        """Remember a threshold for this process and say whether the latest observation crosses it."""
        city = self.city(location)
        if metric not in METRICS:
            raise ValueError(f"unknown metric {metric!r}; use one of {list(METRICS)}")
        if direction not in ("above", "below"):
            raise ValueError(f"direction must be 'above' or 'below'; got {direction!r}")
        rule = {"metric": metric, "value": value, "direction": direction}
        rules = [
            r
            for r in self.thresholds.get(city["id"], [])
            if (r["metric"], r["direction"]) != (metric, direction)
        ]
        self.thresholds[city["id"]] = [*rules, rule]
        return {"location": self._label(city), **rule, **self._check(city, rule)}

    @staticmethod
    def _check(city: dict[str, Any], rule: dict[str, Any]) -> dict[str, Any]:
        current = city["observations"][-1][rule["metric"]]
        crossed = current > rule["value"] if rule["direction"] == "above" else current < rule["value"]
        return {"current": current, "triggered": crossed}

    def alerts(self, location: str) -> dict[str, Any]:
        """Published alerts, plus the thresholds of this process that the latest observation crosses."""
        city = self.city(location)
        triggered = []
        for rule in self.thresholds.get(city["id"], []):
            state = self._check(city, rule)
            if state["triggered"]:
                triggered.append(
                    {
                        "event": f"threshold: {rule['metric']} {rule['direction']} {rule['value']}",
                        "severity": "user",
                        "current": state["current"],
                    }
                )
        return {
            "location": self._label(city),
            "as_of": city["observations"][-1]["time"],
            "alerts": city["alerts"] + triggered,
            "thresholds": self.thresholds.get(city["id"], []),
        }
