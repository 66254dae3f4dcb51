"""The warehouse, opened read-only and with a time limit, for the dashboard's requests."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from socialpulse.config import WAREHOUSE_CONN_ID
from socialpulse.errors import RetryableError

TIMEOUT_SECONDS = 5  # a slow warehouse gives a message on the page, not a hung request
# libpq settings a connection's extras may carry (TLS and the like), passed on as the pipeline's hook does
LIBPQ_EXTRAS = frozenset(
    {
        "sslmode",
        "sslrootcert",
        "sslcert",
        "sslkey",
        "sslpassword",
        "sslcrl",
        "application_name",
        "target_session_attrs",
        "keepalives",
        "keepalives_idle",
        "gssencmode",
    }
)
log = logging.getLogger(__name__)


class WarehouseUnavailableError(RetryableError):
    """The warehouse could not be reached or read; the message says which connection and what to do."""


def _connection():
    from airflow.exceptions import AirflowNotFoundException
    from airflow.models.connection import Connection

    try:
        return Connection.get_connection_from_secrets(WAREHOUSE_CONN_ID)
    except AirflowNotFoundException:
        raise WarehouseUnavailableError(
            f"the Airflow connection '{WAREHOUSE_CONN_ID}' is not set: create it (docs/configuration.md)"
        ) from None


def open_read_only(
    conn_type: str,
    host: str | None,
    port: int | None = None,
    schema: str | None = None,
    login: str | None = None,
    password: str | None = None,
    extra: dict | None = None,
) -> Any:
    """A DB-API connection that cannot write and gives up after TIMEOUT_SECONDS.

    SQLite: mode=ro, and a progress handler that interrupts a statement past the deadline.
    Postgres: read-only transactions and a statement_timeout. Read-only here is a setting,
    not a permission: give the connection a role that may only SELECT (docs/dashboard.md).
    """
    if conn_type == "sqlite":
        path = Path(host or "")
        if not path.is_file():  # its path is the server's business: the log has it, the page does not
            log.warning("the dashboard's SQLite warehouse %s does not exist yet", path)
            raise WarehouseUnavailableError(
                f"the SQLite warehouse of connection '{WAREHOUSE_CONN_ID}' does not exist yet: run the pipeline first"
            )
        conn = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True, timeout=TIMEOUT_SECONDS)
        deadline = time.monotonic() + TIMEOUT_SECONDS
        conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        return conn
    if conn_type in ("postgres", "postgresql"):
        import psycopg

        settings = {k: v for k, v in (extra or {}).items() if k in LIBPQ_EXTRAS}
        conn = psycopg.connect(
            host=host,
            port=port or 5432,
            dbname=schema,
            user=login,
            password=password,
            connect_timeout=TIMEOUT_SECONDS,
            **settings,
        )
        conn.read_only = True
        conn.execute("SELECT set_config('statement_timeout', %s, false)", (str(TIMEOUT_SECONDS * 1000),))
        conn.commit()
        return conn
    raise WarehouseUnavailableError(
        f"the connection '{WAREHOUSE_CONN_ID}' is of type {conn_type!r}: the dashboard reads postgres or sqlite"
    )


def _driver_errors() -> tuple[type[BaseException], ...]:
    import psycopg

    return sqlite3.Error, psycopg.Error, OSError


def _require_current_schema(conn: Any) -> None:
    """Refuse, saying what to do, a warehouse older than the migrations this code reads (pages would fail)."""
    import psycopg

    from socialpulse.warehouse.migrations import MIGRATIONS, MIGRATIONS_TABLE

    needed = MIGRATIONS[-1].version
    cursor = conn.cursor()
    try:
        cursor.execute(f"SELECT max(version) FROM {MIGRATIONS_TABLE}")
        applied = cursor.fetchone()[0] or 0
    except (sqlite3.OperationalError, psycopg.errors.UndefinedTable) as error:
        if isinstance(error, sqlite3.OperationalError) and "no such table" not in str(error):
            raise  # locked, interrupted, unreadable: read_only's message, not "run the pipeline"
        conn.rollback()  # Postgres refuses every later statement of a failed transaction
        applied = 0
    finally:
        cursor.close()
    if applied == 0:
        raise WarehouseUnavailableError(
            f"the warehouse (connection '{WAREHOUSE_CONN_ID}') has no SocialPulse tables yet: run the pipeline first"
        )
    if applied < needed:
        raise WarehouseUnavailableError(
            f"the warehouse (connection '{WAREHOUSE_CONN_ID}') is at schema version {applied} and this SocialPulse "
            f"reads version {needed}: the DAGs migrate it when they next run (each starts with "
            "apply_warehouse_migrations); trigger one to migrate it now"
        )


@contextmanager
def read_only() -> Iterator[Any]:
    """The marketing_warehouse connection, read-only.

    A database that cannot be reached or read (down, timed out, not migrated) raises
    WarehouseUnavailableError with what the page may show; the driver's own message,
    which can name hosts and users, goes to the api-server's log only. Other errors are
    bugs and propagate.
    """
    conn = None
    try:
        c = _connection()
        conn = open_read_only(c.conn_type, c.host, c.port, c.schema, c.login, c.password, c.extra_dejson)
        _require_current_schema(conn)
        yield conn
    except _driver_errors() as error:
        log.exception("the dashboard could not read the warehouse")
        raise WarehouseUnavailableError(
            f"the warehouse (connection '{WAREHOUSE_CONN_ID}') could not be read: "
            f"{type(error).__name__}; the api-server's log has the details"
        ) from error
    finally:
        if conn is not None:
            conn.close()
