"""Fill a tool's arguments from the user's words and the tool's JSON schema, deterministically.

Each parameter is filled by the first rule that recognises it (time zones, clock times, ISO
datetimes, Kubernetes names, SQL, places, numbers, enums). A required parameter that no rule
can fill makes the tool unusable for this question: the stand-in never invents a value.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any
from zoneinfo import available_timezones

IANA = re.compile(r"\b([A-Z][A-Za-z]+(?:/[A-Z][A-Za-z_+-]+){1,2})\b")
CLOCK = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*([AaPp]\.?[Mm]\.?)?(?=\W|$)")
ISO_DATETIME = re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:\d{2})?)?\b")
K8S_NAME = re.compile(r"\b[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\b")
# A name written in prose: starts and ends with a letter or digit, so the full stop or comma that
# ends the sentence ("... container envoy.") is not part of it.
NAME = r"[A-Za-z0-9](?:[\w.-]*[A-Za-z0-9])?"
SQL = re.compile(r"`([^`]+)`|\b((?:SELECT|WITH)\b[^;]*)", re.IGNORECASE)
PLACE = re.compile(r"\b(?:in|for|at|near)\s+((?:[A-Z][a-zA-Z]+)(?:\s+[A-Z][a-zA-Z]+)*)")
NUMBER = re.compile(r"\b(\d+(?:\.\d+)?)\s*([a-z]+)?")
LATER = ("target", "to_", "destination", "end", "until")


@lru_cache(maxsize=1)
def _city_zones() -> dict[str, str]:
    """'new york' -> 'America/New_York', from the IANA database on this machine."""
    zones: dict[str, str] = {}
    for zone in sorted(available_timezones()):
        if "/" in zone and not zone.startswith(("Etc/", "SystemV/", "US/")):
            zones.setdefault(zone.rsplit("/", 1)[1].replace("_", " ").lower(), zone)
    return zones


def find_timezones(text: str) -> list[str]:
    """IANA zone names in `text`, written out or as a city ('New York'), in order of appearance."""
    found: list[tuple[int, str]] = [
        (m.start(), m.group(1)) for m in IANA.finditer(text) if m.group(1) in available_timezones()
    ]
    for city, zone in _city_zones().items():
        for m in re.finditer(rf"\b{re.escape(city)}\b", text, re.IGNORECASE):
            # A city is a proper noun: "in Sydney", not "the data center" (America/North_Dakota/Center).
            if text[m.start()].isupper() and not any(
                start <= m.start() < start + len(z) for start, z in found
            ):
                found.append((m.start(), zone))
    if re.search(r"\bUTC\b", text):
        found.append((text.index("UTC"), "UTC"))
    return [zone for _, zone in sorted(found)]


def find_clock_times(text: str) -> list[str]:
    """Clock times such as '9:30 AM' or '21:15', as 24-hour 'HH:MM'."""
    times = []
    for hour, minute, meridiem in CLOCK.findall(text):
        if not minute and not meridiem:
            continue  # a bare number is not a time
        h = int(hour)
        if meridiem:
            h = h % 12 + (12 if meridiem[0].lower() == "p" else 0)
        if h < 24 and int(minute or 0) < 60:
            times.append(f"{h:02d}:{int(minute or 0):02d}")
    return times


def _k8s_names(text: str) -> list[str]:
    return [t for t in K8S_NAME.findall(text) if "-" in t]


def _word_near(text: str, nouns: tuple[str, ...]) -> str | None:
    """The name written right before or after one of `nouns` ('the istio-proxy sidecar', 'namespace prod')."""
    for noun in nouns:
        before = re.search(rf"({NAME})\s+{noun}\b", text)
        if before and before.group(1).lower() not in {"the", "a", "my", "this", "that", "in", "of"}:
            return before.group(1)
        after = re.search(rf"\b{noun}\s+([a-z0-9](?:[\w.-]*[a-z0-9])?)", text)
        if after and after.group(1) not in {"is", "in", "of", "and", "the", "has"}:
            return after.group(1)
    return None


def _pick(values: list[str], name: str) -> str | None:
    """The first value, or the second for parameters meant to take the later one (target, end).

    One value fills the first parameter only: the text did not say the later one is the same.
    """
    if any(word in name for word in LATER):
        return values[1] if len(values) > 1 else None
    return values[0] if values else None


def _schema_type(prop: dict[str, Any]) -> str:
    if "type" in prop:
        t = prop["type"]
        return next((x for x in t if x != "null"), "string") if isinstance(t, list) else t
    for option in prop.get("anyOf", []) + prop.get("oneOf", []):
        if option.get("type") not in (None, "null"):
            return option["type"]
    return "string"


def fill_value(name: str, prop: dict[str, Any], text: str, required: bool) -> Any:
    """The value for one parameter, or None when the text does not give one."""
    key = name.lower()
    kind = _schema_type(prop)
    described = (prop.get("description") or "").lower()
    if "enum" in prop:
        for option in prop["enum"]:
            if str(option).lower() in text.lower():
                return option
        return prop.get("default")  # never the first option by guess
    if "timezone" in key or key in {"tz", "zone"}:
        return _pick(find_timezones(text), key)
    if any(w in key for w in ("datetime", "start", "end", "date", "since", "until")):
        return _pick(ISO_DATETIME.findall(text), key)
    if "time" in key and kind == "string":
        return _pick(find_clock_times(text), key)
    if "namespace" in key:
        return _word_near(text, ("namespace",)) or prop.get("default")
    if key in {"pod", "pod_name", "podname"}:
        named = _word_near(text, ("pod",))
        return named if named and "-" in named else max(_k8s_names(text), key=len, default=None)
    if "container" in key:
        return _word_near(text, ("sidecar", "container"))
    if "sql" in key or ("query" in key and "sql" in described):
        match = SQL.search(text)
        if not match:
            return None
        # Quoted in backticks: taken as written; inline: the sentence's closing punctuation is not SQL.
        return match.group(1).strip() if match.group(1) else match.group(2).strip().rstrip(".!?").rstrip()
    if key in {"location", "city", "place", "region", "site"}:
        places = [p for p in PLACE.findall(text) if p.lower() not in {"the", "a"}]
        return places[-1] if places else None
    if kind in {"integer", "number"}:
        for value, unit in NUMBER.findall(text):
            if unit and (unit.rstrip("s") in key or key.rstrip("s") in unit):
                return int(float(value)) if kind == "integer" else float(value)
        return prop.get("default")
    if kind == "boolean":
        return prop.get("default")
    if kind == "string" and key in {"query", "question", "text", "prompt", "input", "topic", "search", "q"}:
        return text
    return prop.get("default") if "default" in prop else None


def fill_arguments_detail(schema: dict[str, Any] | None, text: str) -> tuple[dict[str, Any], list[str]]:
    """The arguments `text` gives for a tool with JSON schema `schema`, and the required ones it does not give."""
    schema = schema if isinstance(schema, dict) else {}
    properties: dict[str, Any] = schema.get("properties") or {}
    required = [name for name in schema.get("required") or [] if isinstance(name, str)]
    arguments: dict[str, Any] = {}
    for name, prop in properties.items():
        value = fill_value(name, prop if isinstance(prop, dict) else {}, text, name in required)
        if value is not None:
            arguments[name] = value
    return arguments, [name for name in required if name not in arguments]


def fill_arguments(schema: dict[str, Any] | None, text: str) -> dict[str, Any] | None:
    """Arguments for a tool with JSON schema `schema`, or None when a required one is missing."""
    arguments, missing = fill_arguments_detail(schema, text)
    return None if missing else arguments
