"""run_postgres_query only ever reads: on the embedded SQLite database and on a real PostgreSQL."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers.errors import ReadOnlyError, ToolInputError
from helpers.scenarios import sql
from helpers.scenarios.billing import SQLITE_PATH, load_into_postgres, sqlite_path
from helpers.scenarios.sql import run_postgres_query
from tests.support.pg_server import PgServer, PostgresUnavailable, start_postgres

# Plain writes: both databases must say they refused a write.
WRITES = [
    "INSERT INTO plans VALUES (9, 'free', 'Free', 0, 'USD')",
    "INSERT INTO plans (plan_id, code, name, monthly_price_cents) VALUES (10, 'x', 'x', 0) RETURNING *",
    "INSERT INTO plans SELECT plan_id + 100, code || '2', name, 0, currency FROM plans",
    "UPDATE invoices SET status = 'paid'",
    "UPDATE/**/plans/**/SET/**/monthly_price_cents = 0",
    "DELETE FROM payments",
    "/**/DeLeTe FROM payments",
    "  \n\t dElEtE FROM payments WHERE 1 = 1 -- tidy up",
    "CREATE TABLE pwned (x INTEGER)",
    "CREATE TEMP TABLE scratch (x INTEGER)",
    "CREATE TEMPORARY TABLE scratch AS SELECT * FROM customers",
    "CREATE VIEW pwned_view AS SELECT 1 AS x",
    "CREATE INDEX pwned_idx ON customers (country)",
    "DROP TABLE payments",
    "DROP INDEX payments_attempted_at",
    "ALTER TABLE customers ADD COLUMN pwned TEXT",
    "ALTER TABLE customers RENAME TO clients",
    "WITH x AS (SELECT 1) UPDATE invoices SET status = 'void'",
    "WITH x AS (SELECT 1) DELETE FROM payments",
]
# Escapes and tricks: each engine refuses them its own way (write refused, syntax, one statement only).
ESCAPES = [
    "REPLACE INTO plans VALUES (1, 'starter', 'Starter', 0, 'USD')",
    "INSERT OR REPLACE INTO plans VALUES (1, 'starter', 'Starter', 0, 'USD')",
    "CREATE TRIGGER pwned AFTER INSERT ON plans BEGIN DELETE FROM payments; END",
    "SELECT 1; DROP TABLE payments",
    "SELECT * FROM plans;\nDELETE FROM payments;",
    "SELECT 1 /* ; */ ; DELETE FROM payments",
    "BEGIN; DELETE FROM payments; COMMIT",
    "COMMIT; DELETE FROM payments",
    "SET TRANSACTION READ WRITE",
    "WITH gone AS (DELETE FROM payments RETURNING *) SELECT count(*) FROM gone",
    "ATTACH DATABASE '/tmp/workbook-pwned.db' AS pwned",
    "DETACH DATABASE main",
    "PRAGMA query_only = OFF",
    "PRAGMA writable_schema = ON",
    "PRAGMA journal_mode = WAL",
    "VACUUM",
    "VACUUM INTO '/tmp/workbook-pwned-copy.db'",
    "ANALYZE",
    "REINDEX payments_attempted_at",
    "SAVEPOINT sp1",
    "SELECT load_extension('/tmp/workbook-pwned.so')",
    "SeLeCt LOAD_EXTENSION('/tmp/workbook-pwned.so', 'init')",
    "TRUNCATE payments",
    "COPY payments TO '/tmp/workbook-pwned.csv'",
    "SELECT lo_import('/etc/hostname')",
    "DO $$ BEGIN DELETE FROM payments; END $$",
    "GRANT ALL ON payments TO PUBLIC",
]
CORPUS = WRITES + ESCAPES
PWNED_FILES = [
    Path(p) for p in ("/tmp/workbook-pwned.db", "/tmp/workbook-pwned-copy.db", "/tmp/workbook-pwned.csv")
]

GOOD_QUERY = (
    "SELECT p.attempted_at, c.name, p.amount_cents FROM payments p "
    "JOIN invoices i ON i.invoice_id = p.invoice_id JOIN customers c ON c.customer_id = i.customer_id "
    "WHERE p.status = 'failed' AND p.failure_reason LIKE 'upstream%' ORDER BY p.attempted_at"
)
GOOD_ROWS = [
    ["2025-10-18 15:02:11", "Cedar & Pine Ltd", 4900],
    ["2025-10-18 15:02:12", "Kestrel Air", 4900],
    ["2025-10-18 15:09:37", "Harbor Logistics", 19900],
    ["2025-10-18 15:17:04", "Blue Fjord AS", 4900],
]


def test_corpus_is_big_enough() -> None:
    assert len(CORPUS) >= 25 and len(set(CORPUS)) == len(CORPUS)


# ---------------------------------------------------------------- SQLite


@pytest.fixture
def sqlite_db(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return sqlite_path()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_sqlite_database_is_built_under_the_project(sqlite_db: Path) -> None:
    assert sqlite_db == SQLITE_PATH and sqlite_db.parent.name == "build"
    assert sqlite_db.parent.parent == Path(sql.__file__).resolve().parents[2]


def test_sqlite_database_is_rebuilt_when_its_sql_changes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from helpers.scenarios import billing

    schema = tmp_path / "schema.sql"
    schema.write_text("CREATE TABLE t (x INTEGER);")
    seed = tmp_path / "seed.sql"
    seed.write_text("INSERT INTO t VALUES (1);")
    monkeypatch.setattr(billing, "SQL_FILES", (schema, seed))
    monkeypatch.setattr(billing, "SQLITE_PATH", tmp_path / "build" / "billing.sqlite3")
    built = billing.sqlite_path()
    first = _sha256(built)
    assert billing.sqlite_path() == built and _sha256(built) == first  # up to date: left alone
    seed.write_text("INSERT INTO t VALUES (1), (2);")
    os.utime(seed, (built.stat().st_mtime + 5,) * 2)
    assert _sha256(billing.sqlite_path()) != first
    assert [p.name for p in built.parent.iterdir()] == ["billing.sqlite3"]  # no temp file left behind


def test_sqlite_good_select(sqlite_db: Path) -> None:
    result = run_postgres_query(GOOD_QUERY)
    assert result == {
        "columns": ["attempted_at", "name", "amount_cents"],
        "rows": GOOD_ROWS,
        "row_count": 4,
        "truncated": False,
    }


def test_sqlite_schema_can_be_read(sqlite_db: Path) -> None:
    tables = run_postgres_query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    assert [r[0] for r in tables["rows"]] == ["customers", "invoices", "payments", "plans"]
    columns = run_postgres_query("PRAGMA table_info(payments)")
    assert "failure_reason" in [r[1] for r in columns["rows"]]


def test_sqlite_refuses_every_write_and_escape(sqlite_db: Path) -> None:
    before = _sha256(sqlite_db)
    files_before = sorted(p.name for p in sqlite_db.parent.iterdir())
    for statement in CORPUS:
        with pytest.raises(ToolInputError) as caught:
            run_postgres_query(statement)
        if statement in WRITES:
            assert isinstance(caught.value, ReadOnlyError), statement
            assert "refused a write" in str(caught.value)
    assert _sha256(sqlite_db) == before  # byte-identical
    assert sorted(p.name for p in sqlite_db.parent.iterdir()) == files_before  # no journal, WAL or copy
    assert not any(p.exists() for p in PWNED_FILES)
    assert run_postgres_query("SELECT count(*) FROM payments")["rows"] == [[23]]


def test_sqlite_messages_say_what_to_do(sqlite_db: Path) -> None:
    with pytest.raises(ReadOnlyError, match=r"refused a write \(DELETE payments\)"):
        run_postgres_query("DELETE FROM payments")
    with pytest.raises(ToolInputError, match="only one SQL statement"):
        run_postgres_query("SELECT 1; DROP TABLE payments")
    with pytest.raises(
        ToolInputError, match="no such table: payment; tables: customers, invoices, payments, plans"
    ):
        run_postgres_query("SELECT * FROM payment")
    with pytest.raises(ToolInputError, match="empty"):
        run_postgres_query("  ")


def test_sqlite_row_cap(sqlite_db: Path) -> None:
    result = run_postgres_query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) SELECT i FROM n"
    )
    assert result["row_count"] == sql.MAX_ROWS == len(result["rows"]) and result["truncated"] is True
    assert result["rows"][-1] == [sql.MAX_ROWS]


def test_sqlite_size_cap(sqlite_db: Path) -> None:
    result = run_postgres_query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 90) "
        "SELECT i, printf('%.2000c', 'x') AS filler FROM n"
    )
    assert result["truncated"] is True and 0 < result["row_count"] < 90
    assert len(str(result["rows"])) <= sql.MAX_BYTES + 1000


def test_sqlite_timeout(sqlite_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sql, "TIMEOUT_SECONDS", 0.2)
    started = time.monotonic()
    with pytest.raises(ToolInputError, match="ran longer than 0.2 s"):
        run_postgres_query(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"
        )
    assert time.monotonic() - started < 3


# ---------------------------------------------------------------- PostgreSQL

READER = "workbook_reader"
CHECKSUM_SQL = (
    "SELECT string_agg(t.table_name || ':' || t.n || ':' || t.digest, ',' ORDER BY t.table_name) FROM ("
    "  SELECT 'plans' AS table_name, count(*) AS n, md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS digest FROM plans x"
    "  UNION ALL SELECT 'customers', count(*), md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM customers x"
    "  UNION ALL SELECT 'invoices', count(*), md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM invoices x"
    "  UNION ALL SELECT 'payments', count(*), md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM payments x"
    ") t"
)
SCHEMA_SQL = (
    "SELECT string_agg(table_name || '.' || column_name, ',' ORDER BY table_name, column_name) "
    "FROM information_schema.columns WHERE table_schema = 'public'"
)


@pytest.fixture(scope="module")
def postgres(request: pytest.FixtureRequest) -> PgServer:
    """A real PostgreSQL with the billing data and a role that may only SELECT; stopped after the module."""
    import psycopg

    try:
        server = start_postgres()
    except PostgresUnavailable as why:
        pytest.skip(str(why))
    request.addfinalizer(server.stop)
    load_into_postgres(server.url())
    with psycopg.connect(server.url(), autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {READER} LOGIN")
        conn.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {READER}")
    return server


@pytest.fixture
def pg_url(postgres: PgServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = postgres.url(READER)
    monkeypatch.setenv("DATABASE_URL", url)
    yield url


def _pg_state(postgres: PgServer) -> tuple[str, str]:
    import psycopg

    with psycopg.connect(postgres.url()) as conn:
        return conn.execute(CHECKSUM_SQL).fetchone()[0], conn.execute(SCHEMA_SQL).fetchone()[0]


@pytest.mark.postgres
def test_postgres_good_select_matches_sqlite(pg_url: str) -> None:
    result = run_postgres_query(GOOD_QUERY)
    assert result == {
        "columns": ["attempted_at", "name", "amount_cents"],
        "rows": GOOD_ROWS,
        "row_count": 4,
        "truncated": False,
    }


@pytest.mark.postgres
def test_postgres_transaction_is_read_only(pg_url: str) -> None:
    assert run_postgres_query("SHOW transaction_read_only")["rows"] == [["on"]]
    assert run_postgres_query("SHOW statement_timeout")["rows"] == [
        ["5s"]
    ]  # TIMEOUT_SECONDS, set per transaction


@pytest.mark.postgres
def test_postgres_refuses_every_write_and_escape(postgres: PgServer, pg_url: str) -> None:
    before = _pg_state(postgres)
    for statement in CORPUS:
        with pytest.raises(ToolInputError) as caught:
            run_postgres_query(statement)
        if statement in WRITES:
            assert isinstance(caught.value, ReadOnlyError), (statement, caught.value)
            assert "refused a write" in str(caught.value)
    assert _pg_state(postgres) == before
    assert not any(p.exists() for p in PWNED_FILES)


@pytest.mark.postgres
def test_postgres_read_only_even_as_superuser(postgres: PgServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The read-only transaction alone stops writes, whatever the role's privileges."""
    monkeypatch.setenv("DATABASE_URL", postgres.url())
    before = _pg_state(postgres)
    for statement in WRITES:
        with pytest.raises(ReadOnlyError, match="read-only transaction"):
            run_postgres_query(statement)
    with pytest.raises(ToolInputError, match="only one SQL statement"):
        run_postgres_query("COMMIT; DROP TABLE payments")
    assert _pg_state(postgres) == before


@pytest.mark.postgres
def test_postgres_messages(pg_url: str) -> None:
    with pytest.raises(
        ToolInputError,
        match='relation "payment" does not exist; tables: customers, invoices, payments, plans',
    ):
        run_postgres_query("SELECT * FROM payment")
    with pytest.raises(ToolInputError, match="only one SQL statement"):
        run_postgres_query("SELECT 1; SELECT 2")
    # The mode cannot be switched back: a query has already run in the transaction.
    with pytest.raises(ToolInputError, match="read-write mode must be set before any query"):
        run_postgres_query("SET TRANSACTION READ WRITE")
    with pytest.raises(ToolInputError, match="read-write mode must be set before any query"):
        run_postgres_query("SELECT set_config('transaction_read_only', 'off', true)")
    with pytest.raises(ToolInputError, match="not a query"):
        run_postgres_query("SAVEPOINT sp1")


@pytest.mark.postgres
def test_postgres_caps_stop_a_huge_result_early(pg_url: str) -> None:
    started = time.monotonic()
    # Ten billion rows, produced lazily by a nested loop: only a cancelled stream returns in time.
    rows = run_postgres_query(
        "SELECT a.i * 100000 + b.j FROM generate_series(1, 100000) AS a(i) CROSS JOIN generate_series(1, 100000) AS b(j)"
    )
    assert rows["row_count"] == sql.MAX_ROWS and rows["truncated"] is True
    assert time.monotonic() - started < 3  # the stream was cancelled, not read to the end
    wide = run_postgres_query("SELECT i, repeat('x', 2000) AS filler FROM generate_series(1, 90) AS i")
    assert wide["truncated"] is True and 0 < wide["row_count"] < 90


@pytest.mark.postgres
def test_postgres_timeout(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sql, "TIMEOUT_SECONDS", 0.3)
    started = time.monotonic()
    with pytest.raises(ToolInputError, match="ran longer than 0.3 s"):
        run_postgres_query("SELECT pg_sleep(10)")
    assert time.monotonic() - started < 3


def test_postgres_unreachable_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    from helpers.errors import ConfigError
    from helpers.ports import free_port

    monkeypatch.setenv("DATABASE_URL", f"postgresql://nobody:secret@127.0.0.1:{free_port()}/billing")
    with pytest.raises(ConfigError, match="DATABASE_URL") as caught:
        run_postgres_query("SELECT 1")
    assert "secret" not in str(caught.value)
