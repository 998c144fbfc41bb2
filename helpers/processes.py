"""Child processes that do not outlive the notebook kernel that started them."""

from __future__ import annotations

import ctypes
import signal
import sys

PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """`preexec_fn` for Popen: on Linux, the child gets SIGTERM when its parent dies.

    A kernel killed by Jupyter never runs its atexit hooks, so servers it started (which sit in
    their own session, out of reach of Ctrl-C) would be orphaned without this. Elsewhere: no-op.
    """
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        except OSError:
            pass
