"""The agent's own tool in seed 003, `AggregateReadingsTool`: indoor temperature statistics per room.

Readings come from `data/readings/indoor_temperatures.csv` (timestamp in UTC, room, °C). The data
set is frozen, so "the last N hours" ends at the latest reading in the file, not at the wall clock.
"""

from __future__ import annotations

import csv
import statistics
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from helpers.settings import DATA_DIR

AGGREGATE_READINGS_TOOL = "AggregateReadingsTool"


def default_readings_path() -> Path:
    """`data/readings/indoor_temperatures.csv` under the project root, located from this file."""
    return DATA_DIR / "readings" / "indoor_temperatures.csv"


def load_readings(path: Path | None = None) -> list[tuple[datetime, str, float]]:
    """Rows of (timestamp, room, temperature °C), oldest first."""
    path = path or default_readings_path()
    with path.open(newline="", encoding="utf-8") as handle:
        rows = [
            (datetime.fromisoformat(r["timestamp"]), r["room"], float(r["temperature_c"]))
            for r in csv.DictReader(handle)
        ]
    return sorted(rows)


def aggregate_readings(room: str | None = None, hours: int = 24) -> dict[str, Any]:
    """Aggregate indoor temperature readings (°C) per room over the last `hours` hours: min, max, mean and count.

    Args:
        room: one room (e.g. "living_room"), or None for every room.
        hours: length of the window, ending at the latest reading.

    Raises:
        ValueError: unknown room, or hours below 1.
    """
    rows = load_readings()
    rooms = sorted({r for _, r, _ in rows})
    if room is not None and room not in rooms:
        raise ValueError(f"unknown room {room!r}; the readings cover {rooms}")
    if hours < 1:
        raise ValueError(f"hours must be at least 1; got {hours}")
    end = rows[-1][0]
    # Exclusive start: 24 hourly readings make a 24-hour window, not 25.
    start = end - timedelta(hours=hours)
    by_room: dict[str, list[float]] = {}
    for when, name, value in rows:
        if when > start and (room is None or name == room):
            by_room.setdefault(name, []).append(value)
    return {
        "window": {"start": start.isoformat(), "end": end.isoformat(), "hours": hours},
        "unit": "°C",
        "rooms": {
            name: {"min": min(v), "max": max(v), "mean": round(statistics.fmean(v), 2), "count": len(v)}
            for name, v in sorted(by_room.items())
        },
    }


# The agent config's `_tools` names map to these typed functions; docstrings become descriptions.
LOCAL_TOOLS: dict[str, Callable[..., dict[str, Any]]] = {AGGREGATE_READINGS_TOOL: aggregate_readings}
