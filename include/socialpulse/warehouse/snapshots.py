"""Replacing what a run owns: the rows of a table matching a filter (an as-of date, a model version), at once.

An upsert cannot take back a row that a rerun no longer produces (a segment that fell
under the publication minimum, a person erased since); a replace can, so a rerun or a
backfill of a date leaves exactly the rows it computed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from socialpulse.warehouse.dialect import POSTGRES, SQLITE, dialect_of, placeholder, transaction
from socialpulse.warehouse.load import copy_into, insert_rows_sqlite
from socialpulse.warehouse.tables import Table


def replace_rows(
    conn: Any,
    table: Table,
    frame: pd.DataFrame,
    where: dict[str, Any],
    run_id: str,
    through: tuple[str, Any] | None = None,
) -> int:
    """Delete the table's rows matching `where` (column = value), insert the frame's; returns rows inserted.

    `through` (column, last value) narrows the rows replaced to those up to a value, such as
    an experiment's looks up to the run's date: later rows, written by later runs, stay.
    """
    return replace_rows_in_parts(conn, table, [frame], where, run_id, through)


def replace_rows_in_parts(
    conn: Any,
    table: Table,
    parts: Iterable[pd.DataFrame],
    where: dict[str, Any],
    run_id: str,
    through: tuple[str, Any] | None = None,
) -> int:
    """replace_rows of rows that come in parts, each inserted as it comes, all in one transaction. The parts must
    not share a key (buckets of people do not): each is checked for repeats on its own."""
    dialect = dialect_of(conn)
    mark = placeholder(dialect)
    conditions = [*(f"{c} = {mark}" for c in where), *([f"{through[0]} <= {mark}"] if through else [])]
    values = [
        v.isoformat() if dialect == SQLITE and hasattr(v, "isoformat") else v
        for v in (*where.values(), *([through[1]] if through else []))
    ]
    inserted = 0
    with transaction(conn, dialect) as cursor:
        cursor.execute(f"DELETE FROM {table.name} WHERE " + " AND ".join(conditions), values)
        for frame in parts:
            rows = _checked(table, frame, where, run_id, through)
            if rows.empty:
                continue
            if dialect == POSTGRES:
                copy_into(cursor, table.name, table.column_names, rows)
            else:
                insert_rows_sqlite(cursor, table, rows, table.name)
            inserted += len(rows)
    return inserted


def _checked(
    table: Table, frame: pd.DataFrame, where: dict[str, Any], run_id: str, through: tuple[str, Any] | None
) -> pd.DataFrame:
    """The frame's rows in the table's columns, stamped with the run; raises when they repeat a key or fall outside
    the rows replaced."""
    rows = frame.assign(run_id=run_id)[list(table.column_names)]
    if rows.duplicated(list(table.key)).any():
        raise ValueError(f"frame repeats keys {table.key} of {table.name}")
    outside = {c: v for c, v in where.items() if not (rows[c].astype(str) == str(v)).all()} if len(rows) else {}
    if through and len(rows) and (rows[through[0]].astype(str) > str(through[1])).any():
        outside[through[0]] = through[1]
    if outside:
        raise ValueError(f"rows for {table.name} fall outside the replaced {sorted(outside)}")
    return rows
