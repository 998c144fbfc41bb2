"""Loopback-only guard, loaded by every Python process the tests start (kernels, MCP servers).

The test suite puts this folder on PYTHONPATH and sets WORKBOOK_LOOPBACK_ONLY=1, so no test,
notebook or server can reach a paid API or any other host by accident.
"""

import os

if os.environ.get("WORKBOOK_LOOPBACK_ONLY") == "1":
    import ipaddress
    import socket

    _connect = socket.socket.connect
    _connect_ex = socket.socket.connect_ex

    def _check(address):
        if not isinstance(address, tuple):
            return  # AF_UNIX paths and the like stay on this machine
        host = address[0]
        try:
            ip = ipaddress.ip_address(host.split("%")[0])
        except ValueError:
            ip = None
        if ip is None and host == "localhost":
            return
        if ip is None or not ip.is_loopback:
            raise ConnectionRefusedError(
                f"blocked by the test suite's loopback guard: connection to {host!r}. "
                "Tests and offline notebooks may only talk to 127.0.0.1."
            )

    def connect(self, address):
        _check(address)
        return _connect(self, address)

    def connect_ex(self, address):
        _check(address)
        return _connect_ex(self, address)

    socket.socket.connect = connect
    socket.socket.connect_ex = connect_ex
