"""Erasing people from the warehouse: every table with a person_id column, then a record without personal data."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from socialpulse.warehouse.dialect import POSTGRES, SQLITE, dialect_of, placeholder, transaction
from socialpulse.warehouse.schema import PRIVACY_ERASURES

PERSON_COLUMN = "person_id"


def person_tables(cursor: Any, dialect: str) -> list[str]:
    """Tables of the warehouse schema that hold a person_id column, found in the catalog."""
    if dialect == POSTGRES:
        cursor.execute("SELECT table_name FROM information_schema.columns WHERE column_name = %s "
                       "AND table_schema = current_schema() ORDER BY 1", (PERSON_COLUMN,))
        return [r[0] for r in cursor.fetchall()]
    cursor.execute("SELECT m.name FROM sqlite_master m JOIN pragma_table_info(m.name) c "
                   "WHERE m.type = ? AND c.name = ? ORDER BY 1", ("table", PERSON_COLUMN))
    return [r[0] for r in cursor.fetchall()]


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def erase_from_warehouse(conn: Any, pseudonyms: set[str]) -> int:
    """Delete the people's rows from every person table in one transaction; returns the rows deleted."""
    dialect = dialect_of(conn)
    marks = ", ".join([placeholder(dialect)] * len(pseudonyms))
    deleted = 0
    with transaction(conn, dialect) as cursor:
        for table in person_tables(cursor, dialect):
            cursor.execute(f"DELETE FROM {_quoted(table)} WHERE {PERSON_COLUMN} IN ({marks})", sorted(pseudonyms))
            deleted += cursor.rowcount
    return deleted


def record_erasure(conn: Any, pseudonym: str, run_id: str, counts: dict[str, int]) -> None:
    """One privacy_erasures row; a retry of the same run keeps the first, which saw the rows."""
    dialect = dialect_of(conn)
    columns = PRIVACY_ERASURES.column_names
    now = datetime.now(UTC)
    values = [pseudonym, run_id, now.isoformat() if dialect == SQLITE else now,
              *(counts[c] for c in columns[3:])]
    with transaction(conn, dialect) as cursor:
        cursor.execute(f"INSERT INTO {PRIVACY_ERASURES.name} ({', '.join(columns)}) VALUES "
                       f"({', '.join([placeholder(dialect)] * len(columns))}) "
                       f"ON CONFLICT ({', '.join(PRIVACY_ERASURES.key)}) DO NOTHING", values)
