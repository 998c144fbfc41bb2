"""The workbook's MCP servers (each `python -m helpers.servers.NAME`), the one launcher, the one bearer check.

Only light names are exported here: every server process imports this package first.
"""

from helpers.servers.launch import ServerProcess, log_tail, new_log, start_server

__all__ = ["ServerProcess", "log_tail", "new_log", "start_server"]
