"""The seed's `run_postgres_query` tool: one read-only SQL query, on SQLite or PostgreSQL.

Without `DATABASE_URL` the query runs on the embedded SQLite billing database (`helpers.scenarios.billing`),
opened read-only three times over: a `mode=ro` URI, `PRAGMA query_only`, and an authorizer that
allows reading and nothing else. With `DATABASE_URL` it runs on PostgreSQL in a read-only
transaction with a statement timeout. Either way, one statement per call and capped results.
"""

from __future__ import annotations

import datetime
import itertools
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field

from helpers.errors import ConfigError, ReadOnlyError, ToolInputError
from helpers.scenarios.billing import sqlite_path

MAX_ROWS = 100
MAX_BYTES = 64 * 1024  # of JSON row data: enough to read, small enough for a model's context
TIMEOUT_SECONDS = 5.0

SqlQuery = Annotated[str, Field(description="The SQL SELECT statement to execute.")]

# Reading pragmas that change nothing, whatever their argument; every other pragma is refused.
_READ_PRAGMAS = {"table_info", "table_xinfo", "table_list", "index_list", "index_info", "foreign_key_list"}
# SQL functions that reach outside the database (most exist only in the sqlite3 shell; deny anyway).
_DENIED_FUNCTIONS = {"load_extension", "readfile", "writefile", "edit", "fts3_tokenizer"}
# Names of the authorizer's refused actions, for the error message ("INSERT plans").
_ACTIONS = (
    "INSERT UPDATE DELETE CREATE_TABLE CREATE_TEMP_TABLE CREATE_INDEX CREATE_TEMP_INDEX CREATE_VIEW "
    "CREATE_TEMP_VIEW CREATE_TRIGGER CREATE_TEMP_TRIGGER CREATE_VTABLE DROP_TABLE DROP_TEMP_TABLE DROP_INDEX "
    "DROP_TEMP_INDEX DROP_VIEW DROP_TEMP_VIEW DROP_TRIGGER DROP_TEMP_TRIGGER DROP_VTABLE ALTER_TABLE ATTACH "
    "DETACH PRAGMA TRANSACTION SAVEPOINT ANALYZE REINDEX FUNCTION"
).split()
_ACTION_NAMES = {getattr(sqlite3, f"SQLITE_{action}"): action.replace("_", " ") for action in _ACTIONS}


def run_postgres_query(sql_query: SqlQuery) -> dict[str, Any]:
    """Executes a read-only SQL query against the PostgreSQL database.

    Offline (no `DATABASE_URL`) the database is an embedded SQLite copy of the billing data,
    so write SQLite-compatible SQL there.

    Returns:
        {"columns": [...], "rows": [[...]], "row_count": n, "truncated": bool}, at most
        `MAX_ROWS` rows and `MAX_BYTES` of row data.

    Raises:
        ReadOnlyError: the statement would write, attach, change settings or load code.
        ToolInputError: bad SQL, more than one statement, or slower than `TIMEOUT_SECONDS`.
        ConfigError: `DATABASE_URL` is set but the database cannot be reached.
    """
    if not sql_query or not sql_query.strip():
        raise ToolInputError("sql_query is empty; pass one SELECT statement")
    database_url = os.environ.get("DATABASE_URL", "").strip()
    if database_url:
        return _run_postgres(database_url, sql_query)
    return _run_sqlite(sql_query)


def _jsonable(value: Any) -> Any:
    """One cell as JSON: timestamps in the 'YYYY-MM-DD HH:MM:SS' form SQLite stores."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat(sep=" ") if isinstance(value, datetime.datetime) else value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return str(value)


def _collect(columns: list[str], rows: Iterable[Sequence[Any]]) -> dict[str, Any]:
    """Take rows until the row or byte cap; `truncated` says whether more were left behind."""
    kept: list[list[Any]] = []
    size = 0
    truncated = False
    for row in rows:
        cells = [_jsonable(v) for v in row]
        size += len(json.dumps(cells, ensure_ascii=False).encode())
        if len(kept) == MAX_ROWS or size > MAX_BYTES:
            truncated = True
            break
        kept.append(cells)
    return {"columns": columns, "rows": kept, "row_count": len(kept), "truncated": truncated}


# ---------------------------------------------------------------- SQLite (offline default)


def _open_sqlite(denied: list[str]) -> sqlite3.Connection:
    """Open the billing database read-only; refusals are appended to `denied` for the message."""
    conn = sqlite3.connect(f"{sqlite_path().as_uri()}?mode=ro", uri=True, isolation_level=None)
    conn.execute("PRAGMA query_only = ON")  # before the authorizer, which refuses pragmas
    conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, 1_000_000)  # no gigabyte zeroblob() in memory

    def authorize(
        action: int, arg1: str | None, arg2: str | None, _db: str | None, _trigger: str | None
    ) -> int:
        if action in (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_RECURSIVE):
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() not in _DENIED_FUNCTIONS:
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_PRAGMA and (arg1 or "").lower() in _READ_PRAGMAS:
            return sqlite3.SQLITE_OK
        what = _ACTION_NAMES.get(action, f"action {action}")
        denied.append(" ".join(part for part in (what, arg1 or arg2) if part))
        return sqlite3.SQLITE_DENY

    conn.set_authorizer(authorize)
    deadline = time.monotonic() + TIMEOUT_SECONDS
    conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
    return conn


def _run_sqlite(sql_query: str) -> dict[str, Any]:
    """Run one query on the embedded SQLite billing database."""
    denied: list[str] = []
    conn = _open_sqlite(denied)
    try:
        cursor = conn.execute(sql_query)
        columns = [d[0] for d in cursor.description or ()]
        return _collect(columns, cursor)
    except sqlite3.Error as error:
        raise _sqlite_error(conn, error, denied) from None
    finally:
        conn.close()


def _sqlite_error(conn: sqlite3.Connection, error: sqlite3.Error, denied: list[str]) -> ToolInputError:
    """Turn an sqlite3 error into a message that tells the model what to change."""
    message = str(error)
    if denied or "readonly" in message or "read-only" in message:
        what = f" ({denied[0]})" if denied else ""
        return ReadOnlyError(
            f"the database refused a write{what}: this tool only reads. "
            "Use a single SELECT (or WITH ... SELECT); no INSERT/UPDATE/DELETE/DDL, ATTACH, PRAGMA changes or extensions."
        )
    if "one statement at a time" in message:
        return ToolInputError(
            "only one SQL statement is allowed per call; remove the ';' and what follows it"
        )
    if message == "interrupted":
        return ToolInputError(
            f"the query ran longer than {TIMEOUT_SECONDS:g} s and was stopped; add a LIMIT or a WHERE"
        )
    if "no such table" in message:
        conn.set_authorizer(None)
        tables = [
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        ]
        return ToolInputError(f"{message}; tables: {', '.join(tables)}")
    return ToolInputError(f"the query failed (SQLite): {message}")


# ---------------------------------------------------------------- PostgreSQL (DATABASE_URL)


def _run_postgres(database_url: str, sql_query: str) -> dict[str, Any]:
    """Run one query on PostgreSQL in a read-only transaction that is always rolled back."""
    import psycopg

    try:
        conn = psycopg.connect(database_url, connect_timeout=10)
    except psycopg.OperationalError as error:
        raise ConfigError(
            f"could not connect to the PostgreSQL database in DATABASE_URL ({str(error).strip()}); "
            "fix the URL, or unset DATABASE_URL to use the embedded SQLite billing database"
        ) from None
    with conn:
        conn.read_only = True  # psycopg opens each transaction with BEGIN READ ONLY
        try:
            with conn.cursor() as cursor:
                cursor.execute(f"SET LOCAL statement_timeout = {int(TIMEOUT_SECONDS * 1000)}")
                # A first query both checks the mode and locks it: after any query PostgreSQL
                # refuses "SET TRANSACTION READ WRITE" for the rest of the transaction.
                if cursor.execute("SELECT current_setting('transaction_read_only')").fetchone() != ("on",):
                    raise ConfigError(
                        "the PostgreSQL transaction did not start read-only; check DATABASE_URL's server"
                    )
                # stream() uses the extended protocol, which refuses "SELECT 1; DROP ...", and
                # fetches row by row, so a huge result never reaches memory past the caps.
                rows = cursor.stream(sql_query.encode())
                try:
                    first = next(rows, None)  # the column names are known once a result arrives
                    columns = [d.name for d in cursor.description or ()]
                    result = _collect(columns, itertools.chain([] if first is None else [first], rows))
                finally:
                    rows.close()  # stops (cancels) the query if the caps left rows unread
        except psycopg.Error as error:
            conn.rollback()
            raise _postgres_error(conn, error) from None
        conn.rollback()  # nothing to keep: even a harmless SELECT leaves no trace
    return result


def _postgres_error(conn: Any, error: Exception) -> ToolInputError:
    """Turn a psycopg error into a message that tells the model what to change."""
    from psycopg import errors

    message = (getattr(getattr(error, "diag", None), "message_primary", None) or str(error)).strip()
    if isinstance(error, errors.ReadOnlySqlTransaction | errors.InsufficientPrivilege):
        return ReadOnlyError(
            f"the database refused a write ({message}): this tool only reads; use a single SELECT"
        )
    if isinstance(error, errors.QueryCanceled):
        return ToolInputError(
            f"the query ran longer than {TIMEOUT_SECONDS:g} s and was stopped; add a LIMIT or a WHERE"
        )
    if "didn't produce a result" in message:  # psycopg's words when a stream()ed statement was no query
        return ToolInputError(
            "the statement returned no rows (it was not a query) and was rolled back; send a SELECT"
        )
    if "multiple commands" in message:
        return ToolInputError(
            "only one SQL statement is allowed per call; remove the ';' and what follows it"
        )
    if isinstance(error, errors.UndefinedTable):
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"
        ).fetchall()
        conn.rollback()
        return ToolInputError(f"{message}; tables: {', '.join(t[0] for t in tables)}")
    return ToolInputError(f"the query failed (PostgreSQL): {message}")
