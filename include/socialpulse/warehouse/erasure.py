"""Erasing people from the warehouse: every table with a person_id column, then a record without personal data."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from socialpulse.warehouse.dialect import POSTGRES, SQLITE, bind_day, dialect_of, placeholder, transaction
from socialpulse.warehouse.records import ERASURE_COUNTS as COUNTS
from socialpulse.warehouse.records import PRIVACY_ERASURES_TABLE as PRIVACY_ERASURES

PERSON_COLUMN = "person_id"
# Kept after a person's erasure until the ad platforms holding them confirm their removal: the hashes a platform
# needs to find the person (activation's forget_erased deletes the rows then, in the same privacy_erasure run).
KEPT_FOR_PLATFORMS = frozenset({"audience_sync_rows"})


def person_tables(cursor: Any, dialect: str) -> list[str]:
    """Tables of the warehouse schema that hold a person_id column, found in the catalog."""
    if dialect == POSTGRES:
        cursor.execute(
            "SELECT table_name FROM information_schema.columns WHERE column_name = %s "
            "AND table_schema = current_schema() ORDER BY 1",
            (PERSON_COLUMN,),
        )
        return [r[0] for r in cursor.fetchall()]
    cursor.execute(
        "SELECT m.name FROM sqlite_master m JOIN pragma_table_info(m.name) c "
        "WHERE m.type = ? AND c.name = ? ORDER BY 1",
        ("table", PERSON_COLUMN),
    )
    return [r[0] for r in cursor.fetchall()]


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _delete(cursor: Any, dialect: str, pseudonyms: set[str] | frozenset[str]) -> int:
    marks = ", ".join([placeholder(dialect)] * len(pseudonyms))
    deleted = 0
    for table in (t for t in person_tables(cursor, dialect) if t not in KEPT_FOR_PLATFORMS):
        cursor.execute(f"DELETE FROM {_quoted(table)} WHERE {PERSON_COLUMN} IN ({marks})", sorted(pseudonyms))
        deleted += cursor.rowcount
    return deleted


def _secure_delete(conn: Any, dialect: str) -> None:
    """On SQLite, deleted rows' bytes are overwritten, not left in the file's free pages."""
    if dialect == SQLITE:
        conn.execute("PRAGMA secure_delete = ON")


def erase_from_warehouse(conn: Any, pseudonyms: set[str] | frozenset[str]) -> int:
    """Delete the people's rows from every person table in one transaction; returns the rows deleted."""
    dialect = dialect_of(conn)
    _secure_delete(conn, dialect)
    with transaction(conn, dialect) as cursor:
        return _delete(cursor, dialect, pseudonyms)


def _insert_record(
    cursor: Any,
    dialect: str,
    pseudonym: str,
    run_id: str,
    counts: dict[str, int],
    status: str,
    request_day: str | None,
    request_line: int | None,
) -> None:
    now = datetime.now(UTC)
    day = date.fromisoformat(request_day) if request_day and dialect != SQLITE else request_day
    columns = PRIVACY_ERASURES.column_names
    values = [
        pseudonym,
        run_id,
        now.isoformat() if dialect == SQLITE else now,
        *(counts.get(c, 0) for c in COUNTS),
        status,
        day,
        request_line,
    ]
    cursor.execute(
        f"INSERT INTO {PRIVACY_ERASURES.name} ({', '.join(columns)}) VALUES "
        f"({', '.join([placeholder(dialect)] * len(columns))}) "
        f"ON CONFLICT ({', '.join(PRIVACY_ERASURES.key)}) DO NOTHING",
        values,
    )


def record_erasure(
    conn: Any,
    pseudonym: str,
    run_id: str,
    counts: dict[str, int],
    status: str = "erased",
    request_day: str | None = None,
    request_line: int | None = None,
) -> None:
    """One privacy_erasures row; a retry of the same run keeps the first, which saw the rows."""
    dialect = dialect_of(conn)
    with transaction(conn, dialect) as cursor:
        _insert_record(cursor, dialect, pseudonym, run_id, counts, status, request_day, request_line)


def erase_and_record(
    conn: Any,
    pseudonyms: frozenset[str],
    person: str,
    run_id: str,
    counts: dict[str, int],
    status: Callable[[int], str],
    request_day: str,
    request_line: int,
) -> tuple[int, str]:
    """Delete a person's rows and record the request in one transaction, so a retry finds both done or neither;
    (rows deleted, the status `status(rows deleted)` gave)."""
    dialect = dialect_of(conn)
    _secure_delete(conn, dialect)
    with transaction(conn, dialect) as cursor:
        deleted = _delete(cursor, dialect, pseudonyms)
        said = status(deleted)
        _insert_record(
            cursor, dialect, person, run_id, {**counts, "warehouse_rows": deleted}, said, request_day, request_line
        )
    return deleted, said


def recorded_requests(conn: Any, days: list[str]) -> set[tuple[str, int]]:
    """The (drop day, line) of every request an earlier run (or an earlier try) recorded for these drops."""
    mark = placeholder(dialect_of(conn))
    cursor = conn.cursor()
    cursor.execute(
        f"SELECT request_day, request_line FROM {PRIVACY_ERASURES.name} WHERE request_day IN "
        f"({', '.join([mark] * len(days))})",
        [bind_day(conn, d) for d in days],
    )
    return {(str(day)[:10], int(line)) for day, line in cursor.fetchall() if line is not None}


def statuses_before(conn: Any, pseudonyms: set[str]) -> dict[str, str]:
    """Each person's strongest earlier outcome: erased (or a request by hand, recorded without a status), else
    already_erased, else not_found."""
    if not pseudonyms:
        return {}
    mark = placeholder(dialect_of(conn))
    cursor = conn.cursor()
    cursor.execute(
        f"SELECT pseudonym, status FROM {PRIVACY_ERASURES.name} WHERE pseudonym IN "
        f"({', '.join([mark] * len(pseudonyms))})",
        sorted(pseudonyms),
    )
    rank = {"erased": 0, None: 0, "already_erased": 1, "not_found": 2}
    best: dict[str, str] = {}
    for pseudonym, status in cursor.fetchall():
        named = status or "erased"
        if pseudonym not in best or rank[status] < rank[best[pseudonym]]:
            best[pseudonym] = named
    return best
