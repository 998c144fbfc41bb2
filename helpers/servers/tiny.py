"""The workbook's tiny MCP server: `add(a, b)` and `echo(text)` over stdio, with flags that misbehave on purpose.

    python -m helpers.servers.tiny                    # well behaved: its log lines go to stderr
    python -m helpers.servers.tiny --crash-on-start   # writes a traceback to stderr and exits (code 1) before serving
    python -m helpers.servers.tiny --print-to-stdout  # `add` prints progress text to stdout, into the JSON-RPC stream

Notebook 00 uses it to reproduce the pitfalls of MCP code in a notebook. It imports nothing from
`helpers`, only the standard library and `mcp`, so it also runs as a plain script,
`python path/to/tiny.py`, the way the seeds start their `server.py` (notebook 00, pitfall 4).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from mcp.server.fastmcp import FastMCP

LOG_PREFIX = "tiny server"
CRASH_MESSAGE = "tiny server crashed on start (--crash-on-start): this is the line to look for in its log"
log = logging.getLogger("tiny")


def build_server(print_to_stdout: bool = False) -> FastMCP:
    """The FastMCP server with its two tools; `print_to_stdout` makes `add` write to stdout as a careless server would."""
    mcp = FastMCP("tiny", log_level="WARNING")

    @mcp.tool()
    def add(a: int, b: int) -> int:
        """Add two integers."""
        if print_to_stdout:
            # Progress text on stdout, flushed, with no newline: the next JSON-RPC message written (normally
            # this reply) is glued to it, and the client cannot parse that line.
            print(f"adding {a} and {b}...", end=" ", flush=True)
        log.info("add(%s, %s) = %s", a, b, a + b)
        return a + b

    @mcp.tool()
    def echo(text: str) -> str:
        """Return the text unchanged."""
        log.info("echo(%r)", text)
        return text

    return mcp


def main(argv: list[str] | None = None) -> None:
    """Parse the flags, log to stderr (never stdout: stdout carries JSON-RPC), serve over stdio."""
    parser = argparse.ArgumentParser(description="Serve the tiny MCP server (add, echo) over stdio.")
    parser.add_argument(
        "--crash-on-start", action="store_true", help="raise before serving, as a broken server does"
    )
    parser.add_argument(
        "--print-to-stdout", action="store_true", help="make `add` print to stdout (corrupts JSON-RPC)"
    )
    args = parser.parse_args(argv)

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(f"{LOG_PREFIX}: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    log.info("starting (pid %s, Python at %s)", os.getpid(), sys.executable)
    if args.crash_on_start:
        raise RuntimeError(CRASH_MESSAGE)
    build_server(print_to_stdout=args.print_to_stdout).run(transport="stdio")


if __name__ == "__main__":
    main()
