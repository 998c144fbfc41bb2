"""Check that this kernel runs the Python and the package versions `requirements.txt` pins."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

from helpers.settings import PROJECT_ROOT

PIN = re.compile(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==([^\s;#]+)")


@dataclass
class PackageCheck:
    name: str
    pinned: str
    installed: str | None

    @property
    def ok(self) -> bool:
        return self.installed == self.pinned


def pinned_packages() -> dict[str, str]:
    """Name -> pinned version, from the project's requirements.txt."""
    pins = {}
    for line in (PROJECT_ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        match = PIN.match(line.strip())
        if match:
            pins[match.group(1)] = match.group(2)
    return pins


def check_packages() -> list[PackageCheck]:
    """One check per pinned package: the version installed in this kernel, or None."""
    checks = []
    for name, pinned in pinned_packages().items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            installed = None
        checks.append(PackageCheck(name, pinned, installed))
    return checks


def python_ok() -> bool:
    """True on Python 3.11 or newer, which the workbook needs."""
    return sys.version_info >= (3, 11)
