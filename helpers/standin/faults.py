"""Faults the stand-in can be told to produce, for retry and troubleshooting lessons."""

from __future__ import annotations

import threading
from dataclasses import dataclass

KINDS = ("status", "slow", "ignore_tools")


@dataclass
class Fault:
    """One planned misbehaviour, applied to the next `times` chat requests."""

    kind: str  # "status": answer with an HTTP error; "slow": wait first; "ignore_tools": act as if no tools
    times: int = 1
    status: int = 500
    retry_after: float | None = None
    seconds: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; use one of {', '.join(KINDS)}")
        if self.times < 1:
            raise ValueError("times must be at least 1 (use clear_faults() to remove faults)")


class FaultPlan:
    """A queue of faults, consumed one request at a time, safe to change from another thread."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self) -> list[Fault]:
        """The faults that apply to the request arriving now (at most one of each kind)."""
        taken: dict[str, Fault] = {}
        with self._lock:
            for fault in list(self._faults):
                if fault.kind in taken:
                    continue
                taken[fault.kind] = fault
                fault.times -= 1
                if fault.times == 0:
                    self._faults.remove(fault)
        return list(taken.values())

    def pending(self) -> list[dict]:
        with self._lock:
            return [vars(f).copy() for f in self._faults]
