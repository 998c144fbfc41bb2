"""Kubernetes resource quantities ("512Mi", "104m"): parse, add up, and write back."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_CEILING, Decimal

from kubernetes.utils.quantity import format_quantity, parse_quantity

_MEMORY_SUFFIXES = ("Ei", "Pi", "Ti", "Gi", "Mi", "Ki", "E", "P", "T", "G", "M", "k", "")


def total(quantities: Iterable[str]) -> Decimal:
    """Sum quantities with Kubernetes' own parser (so "1Gi" + "512Mi" is exact)."""
    return sum((parse_quantity(q) for q in quantities), Decimal(0))


def format_memory(value: Decimal) -> str:
    """Write bytes back as the shortest exact quantity, preferring binary suffixes ("1536Mi", "2G")."""
    value = value.to_integral_value(ROUND_CEILING)  # kubernetes never reports fractional bytes
    candidates = []
    for suffix in _MEMORY_SUFFIXES:
        scaled = parse_quantity(f"1{suffix}")
        if value % scaled == 0:
            candidates.append(format_quantity(value, suffix, quantize=Decimal(1)))
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
