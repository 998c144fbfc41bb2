"""Kubernetes resource quantities ("512Mi", "104m"): parse, add up, and write back.

The rules are Kubernetes' own (k8s.io/apimachinery resource.Quantity): binary suffixes Ki..Ei,
decimal suffixes n, u, m, k, M..E, or an exponent ("1e3"). Written here in a few lines so the
offline tools need no Kubernetes client; the live mode (`cluster_live`) is what needs one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import ROUND_CEILING, Decimal

from helpers.errors import ToolInputError

_MULTIPLIERS: dict[str, Decimal] = {
    **{s: Decimal(1024) ** p for p, s in enumerate(("", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei")) if s},
    **{
        s: Decimal(10) ** p
        for s, p in (
            ("n", -9),
            ("u", -6),
            ("m", -3),
            ("", 0),
            ("k", 3),
            ("M", 6),
            ("G", 9),
            ("T", 12),
            ("P", 15),
            ("E", 18),
        )
    },
}
_QUANTITY = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+))(?:[eE]([+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?$")
# Preferred order when writing memory back: binary first, then decimal, then plain bytes.
_MEMORY_SUFFIXES = ("Ei", "Pi", "Ti", "Gi", "Mi", "Ki", "E", "P", "T", "G", "M", "k", "")


def parse_quantity(quantity: str | int | float | Decimal) -> Decimal:
    """The value of a quantity in base units (bytes or cores): "1Gi" -> 1073741824, "250m" -> 0.25."""
    if isinstance(quantity, int | float | Decimal):
        return Decimal(str(quantity))
    match = _QUANTITY.match(quantity.strip())
    if match is None:
        raise ToolInputError(f"{quantity!r} is not a Kubernetes quantity (examples: 512Mi, 1Gi, 250m, 2)")
    number, exponent, suffix = match.groups()
    if exponent is not None:
        return Decimal(number) * Decimal(10) ** int(exponent)
    return Decimal(number) * _MULTIPLIERS[suffix or ""]


def total(quantities: Iterable[str]) -> Decimal:
    """Sum quantities exactly ("1Gi" + "512Mi" is 1610612736 bytes, with no float rounding)."""
    return sum((parse_quantity(q) for q in quantities), Decimal(0))


def format_memory(value: Decimal) -> str:
    """Write bytes back as the shortest exact quantity, preferring binary suffixes ("1536Mi", "2G")."""
    value = value.to_integral_value(ROUND_CEILING)  # kubernetes never reports fractional bytes
    candidates = [
        f"{int(value / _MULTIPLIERS[s])}{s}" for s in _MEMORY_SUFFIXES if value % _MULTIPLIERS[s] == 0
    ]
    return min(candidates, key=len)  # "" always divides, and min keeps the first of equal lengths


def format_cpu(value: Decimal) -> str:
    """Write cores back as whole cores ("2") or millicores ("104m"), rounding nanocores up."""
    millis = (value * 1000).to_integral_value(ROUND_CEILING)
    if millis % 1000 == 0:
        return str(int(millis // 1000))
    return f"{int(millis)}m"


def normalize(quantity: str, resource: str) -> str:
    """Rewrite one quantity in the canonical form used by the tools ("1048576Ki" -> "1Gi")."""
    value = parse_quantity(quantity)
    return format_cpu(value) if resource == "cpu" else format_memory(value)
