"""A throwaway PostgreSQL server for tests: initdb in a temp folder, listening on 127.0.0.1:<free port>.

Uses the binaries of Debian's `postgresql` package (/usr/lib/postgresql/<version>/bin). initdb and
postgres refuse to run as root, so under root they run as the `postgres` user through `runuser`.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from helpers.ports import free_port

START_TIMEOUT = 30  # seconds, for initdb and for the server to accept connections


class PostgresUnavailable(RuntimeError):
    """PostgreSQL cannot be started here; the message says what to install or change."""


def find_bin_dir() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin that has initdb and pg_ctl, if any."""
    candidates = [
        p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/initdb") if (p.parent / "pg_ctl").exists()
    ]
    return max(candidates, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0, default=None)


@dataclass
class PgServer:
    """A running test server; `stop()` shuts it down and deletes its data."""

    bin_dir: Path
    base: Path
    port: int
    run_as: list[str]

    @property
    def data_dir(self) -> Path:
        return self.base / "data"

    def url(self, user: str = "postgres", dbname: str = "postgres") -> str:
        """A libpq URL for `user` (trust authentication: no password on this throwaway server)."""
        return f"postgresql://{user}@127.0.0.1:{self.port}/{dbname}"

    def pg_ctl(self, *args: str, timeout: float = START_TIMEOUT) -> None:
        """Run pg_ctl on this server's data directory as the server's user."""
        subprocess.run(
            [*self.run_as, str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), *args],
            cwd=self.base,
            check=True,
            capture_output=True,
            timeout=timeout,
        )

    def stop(self) -> None:
        """Stop the server (immediate: nothing here is worth a checkpoint) and remove its files."""
        try:
            self.pg_ctl("-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)


def _run_as() -> tuple[list[str], int | None, int | None]:
    """Command prefix, uid and gid to run PostgreSQL as a non-root user."""
    if os.geteuid() != 0:
        return [], None, None
    if shutil.which("runuser") is None:
        raise PostgresUnavailable("running as root without `runuser` (util-linux); cannot start PostgreSQL")
    try:
        user = pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresUnavailable(
            "running as root and no `postgres` user exists; install Debian's `postgresql` package"
        ) from None
    return ["runuser", "-u", "postgres", "--"], user.pw_uid, user.pw_gid


def start_postgres() -> PgServer:
    """initdb a fresh cluster in a temp folder and start it on 127.0.0.1 at a free port.

    Raises:
        PostgresUnavailable: the binaries or the `postgres` user are missing.
    """
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise PostgresUnavailable(
            "PostgreSQL binaries not found under /usr/lib/postgresql/*/bin; "
            "install Debian's `postgresql` package (apt-get install -y postgresql)"
        )
    run_as, uid, gid = _run_as()
    base = Path(tempfile.mkdtemp(prefix="workbook-pg-"))  # under /tmp, reachable by the postgres user
    if uid is not None:
        os.chown(base, uid, gid)
    server = PgServer(bin_dir=bin_dir, base=base, port=free_port(), run_as=run_as)
    try:
        subprocess.run(
            [
                *run_as,
                str(bin_dir / "initdb"),
                "-D",
                str(server.data_dir),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--no-instructions",
            ],
            cwd=base,
            check=True,
            capture_output=True,
            timeout=START_TIMEOUT,
        )
        options = f"-h 127.0.0.1 -p {server.port} -k {base} -c fsync=off -c full_page_writes=off"
        # -w makes pg_ctl itself wait (bounded by -t) until the server accepts connections.
        server.pg_ctl(
            "-l",
            str(base / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            str(START_TIMEOUT),
            "start",
            timeout=START_TIMEOUT + 5,
        )
        _wait_connectable(server.url(), START_TIMEOUT)
    except BaseException as error:
        log = base / "server.log"
        detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        if isinstance(error, subprocess.CalledProcessError):
            detail = (error.stderr or b"").decode(errors="replace")[-2000:] + detail
        try:
            server.stop()
        except Exception:
            shutil.rmtree(base, ignore_errors=True)
        raise RuntimeError(f"could not start the test PostgreSQL server: {error}\n{detail}") from error
    return server


def _wait_connectable(url: str, timeout: float) -> None:
    """Retry connecting until the server answers, for at most `timeout` seconds."""
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            psycopg.connect(url, connect_timeout=2).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
