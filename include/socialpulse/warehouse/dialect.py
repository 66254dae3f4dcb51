"""The two warehouse dialects: what differs between Postgres and SQLite, in one place."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

POSTGRES, SQLITE = "postgres", "sqlite"

LOGICAL_TYPES = {
    POSTGRES: {
        "date": "DATE",
        "text": "TEXT",
        "bigint": "BIGINT",
        "numeric": "NUMERIC(20,4)",
        "double": "DOUBLE PRECISION",
        "timestamp": "TIMESTAMPTZ",
        "boolean": "BOOLEAN",
    },
    SQLITE: {
        "date": "TEXT",
        "text": "TEXT",
        "bigint": "INTEGER",
        "numeric": "REAL",
        "double": "REAL",
        "timestamp": "TEXT",
        "boolean": "INTEGER",
    },
}


def dialect_of(conn: Any) -> str:
    """Postgres for psycopg / psycopg2 connections, SQLite for sqlite3 ones."""
    module = type(conn).__module__.split(".")[0]
    if module in ("psycopg", "psycopg2"):
        return POSTGRES
    if module == "sqlite3":
        return SQLITE
    raise TypeError(
        f"unsupported warehouse connection {type(conn).__module__}.{type(conn).__name__}; "
        "use psycopg, psycopg2 or sqlite3"
    )


def placeholder(dialect: str) -> str:
    return "?" if dialect == SQLITE else "%s"


def bind_day(conn: Any, ds: str) -> Any:
    """A YYYY-MM-DD day as the dialect binds a date: ISO text for SQLite, a date for Postgres."""
    return ds if dialect_of(conn) == SQLITE else date.fromisoformat(ds)


def distinct_op(dialect: str) -> str:
    """Null-safe inequality."""
    return "IS NOT" if dialect == SQLITE else "IS DISTINCT FROM"


@contextmanager
def transaction(conn: Any, dialect: str) -> Iterator[Any]:
    """One transaction with a cursor; SQLite takes its write lock up front to avoid upgrade deadlocks."""
    if dialect == SQLITE:
        conn.isolation_level = None  # we issue BEGIN/COMMIT ourselves
        cursor = conn.cursor()
        cursor.execute("BEGIN IMMEDIATE")
    else:
        cursor = conn.cursor()
    try:
        yield cursor
    except BaseException:
        conn.rollback() if dialect != SQLITE else cursor.execute("ROLLBACK")
        raise
    else:
        conn.commit() if dialect != SQLITE else cursor.execute("COMMIT")
    finally:
        cursor.close()
