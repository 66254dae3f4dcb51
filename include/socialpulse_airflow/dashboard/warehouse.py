"""The warehouse, opened read-only and with a time limit, for the dashboard's requests."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from socialpulse.config import WAREHOUSE_CONN_ID

TIMEOUT_SECONDS = 5  # a slow warehouse gives a message on the page, not a hung request


class WarehouseUnavailableError(RuntimeError):
    """The warehouse could not be reached or read; the message says which connection and why."""


def _connection():
    from airflow.exceptions import AirflowNotFoundException
    from airflow.models.connection import Connection

    try:
        return Connection.get_connection_from_secrets(WAREHOUSE_CONN_ID)
    except AirflowNotFoundException:
        raise WarehouseUnavailableError(f"the Airflow connection '{WAREHOUSE_CONN_ID}' is not set: create it "
                                        "(README, \"Connections and variables\")") from None


def open_read_only(conn_type: str, host: str | None, port: int | None = None, schema: str | None = None,
                   login: str | None = None, password: str | None = None) -> Any:
    """A DB-API connection that cannot write: SQLite in mode=ro, Postgres in read-only transactions."""
    if conn_type == "sqlite":
        path = Path(host or "")
        if not path.is_file():
            raise WarehouseUnavailableError(f"the SQLite warehouse {path} does not exist yet: run the pipeline first")
        return sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True, timeout=TIMEOUT_SECONDS)
    if conn_type in ("postgres", "postgresql"):
        import psycopg

        return psycopg.connect(host=host, port=port or 5432, dbname=schema, user=login, password=password,
                               connect_timeout=TIMEOUT_SECONDS,
                               options=f"-c default_transaction_read_only=on "
                                       f"-c statement_timeout={TIMEOUT_SECONDS * 1000}")
    raise WarehouseUnavailableError(f"the connection '{WAREHOUSE_CONN_ID}' is of type {conn_type!r}: the dashboard "
                                    "reads postgres or sqlite")


@contextmanager
def read_only() -> Iterator[Any]:
    """The marketing_warehouse connection, read-only; any failure to open or read it as WarehouseUnavailableError."""
    conn = None
    try:
        c = _connection()
        conn = open_read_only(c.conn_type, c.host, c.port, c.schema, c.login, c.password)
        yield conn
    except WarehouseUnavailableError:
        raise
    except Exception as error:  # the driver's own errors: unreachable, timed out, a table not migrated yet
        raise WarehouseUnavailableError(f"the warehouse (connection '{WAREHOUSE_CONN_ID}') could not be read: "
                                        f"{type(error).__name__}: {error}") from error
    finally:
        if conn is not None:
            conn.close()
