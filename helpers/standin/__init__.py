"""The offline stand-in endpoint (not a language model): see `server.StandIn`."""

from __future__ import annotations

import atexit
import threading

from .server import DEFAULT_DEPLOYMENT, StandIn
from .wire import STANDIN_MODEL

__all__ = ["DEFAULT_DEPLOYMENT", "STANDIN_MODEL", "StandIn", "shared_standin"]

_shared: StandIn | None = None
_lock = threading.Lock()


def shared_standin() -> StandIn:
    """The stand-in of this process, started on first use and stopped when the process exits."""
    global _shared
    with _lock:
        if _shared is None or not _shared.running:
            _shared = StandIn().start()
            atexit.register(_shared.stop)
        return _shared
