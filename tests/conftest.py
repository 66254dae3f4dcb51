"""Shared fixtures: a private Airflow home, the simulator, and warehouse connections.

AIRFLOW_HOME is set before anything imports Airflow, so tests never touch a
user's own Airflow home.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="socialpulse-airflow-"))

from socialpulse.devenv import airflow_home_env  # noqa: E402 - after the home is chosen

os.environ.update(airflow_home_env(_AIRFLOW_HOME))

from socialpulse.simulator import SimulatorConfig, serve  # noqa: E402

PG_DSN = os.environ.get("SOCIALPULSE_TEST_PG", "host=127.0.0.1 port=5432 user=postgres dbname=test")
IN_CI = os.environ.get("CI", "").lower() == "true"


def require_service(reason: str) -> None:
    """Skip loudly on a laptop without the service; fail in CI, where a skip would hide it."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: services must be up, .ci/run starts them)")
    pytest.skip(f"SKIPPED FOR A MISSING SERVICE: {reason}")


@pytest.fixture(scope="session")
def airflow_home() -> Path:
    return _AIRFLOW_HOME


@pytest.fixture
def simulator() -> Iterator:
    """Start a simulator in this process: simulator(**config) -> base URL."""
    servers = []

    def start(**config) -> str:
        server = serve(SimulatorConfig(**config))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def sqlite_conn(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(tmp_path / "warehouse.db")
    yield conn
    conn.close()


@pytest.fixture
def pg_conn() -> Iterator:
    """A psycopg 3 connection whose search_path is a fresh schema, dropped afterwards."""
    import psycopg

    try:
        conn = psycopg.connect(PG_DSN, connect_timeout=3)
    except psycopg.OperationalError as exc:
        require_service(f"PostgreSQL is not reachable at '{PG_DSN}': {exc}")
    schema = f"sp_test_{uuid.uuid4().hex[:10]}"
    conn.execute(f"CREATE SCHEMA {schema}")
    conn.execute(f"SET search_path TO {schema}")
    conn.commit()
    yield conn
    conn.rollback()
    conn.execute(f"DROP SCHEMA {schema} CASCADE")
    conn.commit()
    conn.close()


@pytest.fixture(params=["sqlite", "postgres"])
def warehouse_conn(request: pytest.FixtureRequest):
    """Each warehouse backend in turn."""
    return request.getfixturevalue(f"{'pg' if request.param == 'postgres' else 'sqlite'}_conn")


DAG_PARSE_TIMES = pytest.StashKey[dict]()


def pytest_terminal_summary(terminalreporter, config) -> None:
    """Print each DAG file's parse time measured by tests/dags/test_dag_integrity.py."""
    times = config.stash.get(DAG_PARSE_TIMES, {})
    if times:
        terminalreporter.section("DAG parse time per file (fresh interpreter, Airflow already imported)")
        for path, seconds in sorted(times.items()):
            terminalreporter.write_line(f"{seconds * 1000:8.1f} ms  {path}")
