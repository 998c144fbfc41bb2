"""The billing database behind `run_postgres_query`: built from `data/billing/*.sql`.

Offline it is an SQLite file under the project's gitignored `build/` folder, built once and
rebuilt when the SQL files change. For PostgreSQL, `load_into_postgres` puts the same tables
and rows into a database you choose (the tool itself never loads anything).
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path

from helpers.settings import BUILD_DIR, DATA_DIR

SQL_FILES = (DATA_DIR / "billing" / "schema.sql", DATA_DIR / "billing" / "seed.sql")
SQLITE_PATH = BUILD_DIR / "billing.sqlite3"


def billing_sql() -> str:
    """The schema and rows as one SQL script, portable between SQLite and PostgreSQL."""
    return "\n".join(path.read_text(encoding="utf-8") for path in SQL_FILES)


def sqlite_path() -> Path:
    """Path of the built SQLite billing database, building it first if missing or stale."""
    newest_source = max(path.stat().st_mtime for path in SQL_FILES)
    if SQLITE_PATH.exists() and SQLITE_PATH.stat().st_mtime >= newest_source:
        return SQLITE_PATH
    SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    # Build beside the target and rename: a reader (or a second builder) never sees half a file.
    fd, tmp_name = tempfile.mkstemp(prefix="billing-", suffix=".tmp", dir=SQLITE_PATH.parent)
    os.close(fd)
    try:
        conn = sqlite3.connect(tmp_name)
        try:
            conn.executescript(billing_sql())
            conn.commit()
        finally:
            conn.close()
        os.chmod(tmp_name, 0o644)  # mkstemp makes it private; a kernel run as another user must read it
        os.replace(tmp_name, SQLITE_PATH)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return SQLITE_PATH


def load_into_postgres(conninfo: str) -> None:
    """Create the billing tables and rows in the PostgreSQL database `conninfo` (drops old ones).

    For test and workshop databases: connect as a role that may create tables, then point
    `DATABASE_URL` at a role that may only read them.
    """
    import psycopg

    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(billing_sql().encode())  # no parameters: psycopg runs the whole script
