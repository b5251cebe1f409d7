"""A throwaway PostgreSQL cluster for the tests: ``initdb`` + ``pg_ctl`` (Debian ``postgresql``), once per
session, in a temp dir; every test that wants one gets its own fresh database in it.

As root the cluster runs as the ``postgres`` user (initdb refuses root) through ``runuser``; its dir is
mode 700 and owned by that user. It listens on 127.0.0.1 at a free port (and a Unix socket in its own
dir), with ``fsync=off`` and trust authentication: about a second to start.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from need import missing

HINT = "install Debian's postgresql (scripts/test does)"


def _bin_dir() -> Path | None:
    """Where initdb and pg_ctl are: Debian keeps them under /usr/lib/postgresql/<major>/bin."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PostgresCluster:
    """A running cluster: ``url(db)`` is its SQLAlchemy URL, ``new_database()`` makes a fresh one."""

    root: Path
    port: int
    bin_dir: Path
    as_user: list[str]
    user: str = "postgres"
    startup_seconds: float = 0.0

    def url(self, database: str = "postgres", driver: str = "postgresql+psycopg") -> str:
        """The SQLAlchemy URL of ``database`` in this cluster (no password: trust authentication)."""
        return f"{driver}://{self.user}@127.0.0.1:{self.port}/{database}"

    def conninfo(self, database: str = "postgres") -> str:
        """A libpq connection string (for psycopg and procrastinate)."""
        return f"host=127.0.0.1 port={self.port} user={self.user} dbname={database}"

    def new_database(self) -> str:
        """Create an empty database with a unique name and return its name."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.conninfo(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return name

    def stop(self) -> None:
        """Stop the cluster at once and delete its files."""
        subprocess.run(
            [
                *self.as_user,
                str(self.bin_dir / "pg_ctl"),
                "-D",
                str(self.root / "data"),
                "-m",
                "immediate",
                "stop",
            ],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(self.root, ignore_errors=True)


def start_cluster() -> PostgresCluster:
    """initdb + pg_ctl start into a fresh temp dir; raises ``RuntimeError`` with the log if it fails."""
    bin_dir = _bin_dir()
    if bin_dir is None:
        raise FileNotFoundError("PostgreSQL's pg_ctl is not installed")
    started = time.monotonic()
    root = Path(tempfile.mkdtemp(prefix="cm-postgres-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    root.chmod(0o700)
    data, log = root / "data", root / "postgres.log"
    port = _free_port()
    user = "postgres" if as_user else os.environ.get("USER", "postgres")

    def run(*args: str) -> None:
        done = subprocess.run([*as_user, *args], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} failed: {done.stdout}{done.stderr}")

    run(str(bin_dir / "initdb"), "-D", str(data), "-U", user, "--auth=trust", "-E", "UTF8", "--no-sync")
    opts = f"-k {root} -c listen_addresses=127.0.0.1 -p {port} -c fsync=off -c max_connections=200"
    try:
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", opts, "-w", "-t", "60", "start")
    except RuntimeError as exc:
        text = log.read_text(errors="replace") if log.exists() else ""
        raise RuntimeError(f"{exc}\n{text}") from None
    cluster = PostgresCluster(root, port, bin_dir, as_user, user=user)
    cluster.startup_seconds = time.monotonic() - started
    return cluster


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """One throwaway PostgreSQL cluster for the session (skips where PostgreSQL or psycopg is missing,
    fails under CI=true)."""
    try:
        import psycopg  # noqa: F401
    except ImportError as exc:
        missing(f"psycopg cannot be imported ({exc})", "pip install -e '.[test]'")
    try:
        cluster = start_cluster()
    except FileNotFoundError as exc:
        missing(str(exc), HINT)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster: PostgresCluster) -> str:
    """The SQLAlchemy URL of a fresh, empty database in the session's cluster."""
    return postgres_cluster.url(postgres_cluster.new_database())
