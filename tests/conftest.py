"""Shared fixtures: a private Airflow home, the simulator, and warehouse connections.

AIRFLOW_HOME is set before anything imports Airflow, so tests never touch a
user's own Airflow home.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="socialpulse-airflow-"))

from socialpulse_dev.devenv import airflow_home_env  # noqa: E402 - after the home is chosen

os.environ.update(airflow_home_env(_AIRFLOW_HOME))

from socialpulse.lake import Lake  # noqa: E402
from socialpulse_dev.simulator import SimulatorConfig, serve  # noqa: E402

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


@pytest.fixture(scope="session")
def migrated_airflow(airflow_home: Path) -> Path:
    """`airflow db migrate` once per session, in the private home chosen above."""
    subprocess.run(
        [Path(sys.executable).parent / "airflow", "db", "migrate"],
        env=os.environ.copy(),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    return airflow_home


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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """A local S3-compatible server for the session (moto in server mode, over real HTTP): its endpoint URL.

    It runs in a process of its own: a client that holds the GIL while it waits for an answer (delta-rs does, in
    some calls) would otherwise wait on a server thread that cannot run.
    """
    import subprocess
    import sys
    import time
    import urllib.request

    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    yield endpoint
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def s3_lake(s3_server: str) -> Iterator[tuple[str, dict]]:
    """A fresh bucket on the local S3 server: (lake root in it, the storage options the lake connection gives)."""
    import s3fs

    options = {"endpoint_url": s3_server, "key": "socialpulse-test", "secret": "socialpulse-test-secret"}
    bucket = f"lake-{uuid.uuid4().hex[:10]}"
    s3fs.S3FileSystem(**options).mkdir(bucket)
    yield f"s3://{bucket}/lake", options


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def local_or_s3_lake(request: pytest.FixtureRequest, tmp_path: Path) -> Lake:
    """An empty lake on this disk, then on the local S3 server: a test that takes it runs on both."""
    if request.param == "local":
        return Lake.at(tmp_path / "lake")
    root, options = request.getfixturevalue("s3_lake")
    return Lake.at(root, options)


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


@pytest.fixture
def postgres_databases() -> Iterator:
    """Fresh Postgres databases, dropped afterwards: new() -> (SQLAlchemy-style URI, psycopg conninfo)."""
    import psycopg

    try:
        admin = psycopg.connect(PG_DSN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        require_service(f"PostgreSQL is not reachable at '{PG_DSN}': {exc}")
    names: list[str] = []

    def new() -> tuple[str, str]:
        names.append(f"sp_db_{uuid.uuid4().hex[:10]}")
        admin.execute(f"CREATE DATABASE {names[-1]}")
        info = admin.info
        return (
            f"postgresql://{info.user}@{info.host}:{info.port}/{names[-1]}",
            psycopg.conninfo.make_conninfo(PG_DSN, dbname=names[-1]),
        )

    yield new
    for name in names:
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
    admin.close()


@pytest.fixture
def postgres_database(postgres_databases) -> tuple[str, str]:
    """A fresh Postgres database: (SQLAlchemy-style URI, psycopg conninfo)."""
    return postgres_databases()


@pytest.fixture(params=["sqlite", "postgres"])
def warehouse_conn(request: pytest.FixtureRequest):
    """Each warehouse backend in turn."""
    return request.getfixturevalue(f"{'pg' if request.param == 'postgres' else 'sqlite'}_conn")


@pytest.fixture(scope="session")
def rates_file(tmp_path_factory) -> Path:
    """The simulator's rates in the ECB's csvdata format, as a local file."""
    from datetime import date

    from socialpulse_dev.simulator.fx_rates import ecb_csv

    path = tmp_path_factory.mktemp("rates") / "ecb-exr.csv"
    path.write_bytes(ecb_csv(date(2025, 1, 1), date(2027, 12, 31)))
    return path


@pytest.fixture(autouse=True)
def no_real_ecb(rates_file, monkeypatch) -> None:
    """In-process steps called without a rates source read the simulator's file, never the real ECB."""
    monkeypatch.setattr("socialpulse.pipeline.rates.ECB_DAILY_RATES_URL", str(rates_file))


# A test is marked by what it needs, from the fixtures it uses: `pytest -m "not postgres"` and the like select.
MARKS_BY_FIXTURE = {
    "s3_server": "s3",
    "pg_conn": "postgres",
    "postgres_databases": "postgres",
    "migrated_airflow": "airflow",
    "simulator": "http",
}


# The longest test files, run first: `make test`'s two workers take a file each at a time in the order collected, so
# a long file started last would run alone at the end (in two workers the demo's file took about 650 s, Celery's 321).
LONGEST_FIRST = ("tests/dags/test_make_demo.py", "tests/dags/test_celery_executor.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        marks = {mark for name, mark in MARKS_BY_FIXTURE.items() if name in fixtures}
        if "warehouse_conn" in fixtures and "[postgres]" in item.name:
            marks.add("postgres")
        for mark in sorted(marks):
            item.add_marker(mark)
    first = {path: position for position, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: first.get(item.nodeid.split("::")[0], len(first)))  # stable: the rest as collected


# Figures a test measured, printed at the end of the session: each is recorded as a user property of the test, which
# reaches the terminal summary from a pytest-xdist worker too (a session stash stays in the worker).
DAG_PARSE_TIME = "dag_parse_time"
RUN_TIMES = "run_times"


@pytest.fixture
def run_times(request) -> Iterator[dict[str, float]]:
    """Seconds a test measured, by step: printed at the end of the session (a figure, never a threshold)."""
    steps: dict[str, float] = {}
    yield steps
    request.node.user_properties.append((RUN_TIMES, steps))


def pytest_terminal_summary(terminalreporter, config) -> None:
    """Print each DAG file's parse time measured by tests/dags/test_dag_integrity.py, and the run times."""
    figures: dict[str, dict[str, object]] = {DAG_PARSE_TIME: {}, RUN_TIMES: {}}
    for reports in terminalreporter.stats.values():
        for report in reports:
            for name, value in getattr(report, "user_properties", ()):
                if name in figures:
                    figures[name][report.nodeid.split("::")[-1]] = value
    if figures[DAG_PARSE_TIME]:
        terminalreporter.section(
            "DAG parse CPU time per file: the fastest of 7 forked parses, its ratio to an empty and to a one-task DAG"
        )
        for path, seconds, to_empty, to_one_task in sorted(figures[DAG_PARSE_TIME].values()):
            terminalreporter.write_line(f"{seconds * 1000:8.1f} ms  {to_empty:5.2f}x  {to_one_task:5.2f}x  {path}")
    for test, steps in figures[RUN_TIMES].items():
        terminalreporter.section(f"run times of {test}")
        for step, seconds in steps.items():
            terminalreporter.write_line(f"{seconds:8.1f} s  {step}")
