"""Activation's state in the warehouse: each audience's rows on its platform (synced or pending), and the sync log.

A brief's rows are replaced whole in one transaction at each step of a sync, so a crash leaves
either the state before the step or after it: pending rows are written before anything is sent,
the synced ones once everything was.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pandas as pd

from socialpulse.activation.entities import ACTIVATION_TABLES
from socialpulse.activation.plan import ROW
from socialpulse.typing_aliases import JsonObject
from socialpulse.warehouse.dialect import dialect_of, placeholder, transaction
from socialpulse.warehouse.snapshots import replace_rows

ROWS = ACTIVATION_TABLES["audience_sync_rows"]
SYNCS = ACTIVATION_TABLES["audience_syncs"]
KEYS = ("email_sha256", "phone_sha256")


def _read(conn: Any, columns: list[str], where: str, values: list[str]) -> pd.DataFrame:
    """audience_sync_rows' columns where `where` ({mark} per value) holds; a key stored as '' is read as null."""
    mark = placeholder(dialect_of(conn))
    cursor = conn.cursor()
    cursor.execute(f"SELECT {', '.join(columns)} FROM {ROWS.name} WHERE {where.format(mark=mark)}", values)
    rows = pd.DataFrame(cursor.fetchall(), columns=columns, dtype="string")
    rows[list(KEYS)] = rows[list(KEYS)].replace("", pd.NA)
    return rows


def load_rows(conn: Any, brief: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(synced, pending) rows of a brief's audience: person_id and the keys they were sent with (null: none)."""
    rows = _read(conn, [*ROW, "state"], "brief = {mark}", [brief])
    synced, pending = rows[rows["state"] == "synced"], rows[rows["state"] == "pending"]
    return synced[ROW].reset_index(drop=True), pending[ROW].reset_index(drop=True)


def save_rows(conn: Any, brief: str, synced: pd.DataFrame, pending: pd.DataFrame, run_id: str) -> int:
    """Replace the brief's rows with these (a row both synced and pending is kept as synced); rows written."""
    frame = pd.concat([synced[ROW].assign(state="synced"), pending[ROW].assign(state="pending")], ignore_index=True)
    frame[list(KEYS)] = frame[list(KEYS)].astype("string").fillna("")
    frame = frame.assign(brief=brief).drop_duplicates(list(ROWS.key), keep="first")
    return replace_rows(conn, ROWS, frame, {"brief": brief}, run_id)


def record_sync(conn: Any, entry: JsonObject, run_id: str) -> None:
    """The brief's line of this run in audience_syncs (a retry of the run replaces it)."""
    frame = pd.DataFrame([{**entry, "synced_at": datetime.now(UTC)}]).reindex(columns=list(SYNCS.column_names))
    replace_rows(conn, SYNCS, frame, {"run_id": run_id, "brief": entry["brief"]}, run_id)


def has_synced(conn: Any, brief: str) -> bool:
    """Whether the brief's audience was ever sent (a first sync is a new audience: a person approves it)."""
    mark = placeholder(dialect_of(conn))
    cursor = conn.cursor()
    cursor.execute(f"SELECT 1 FROM {SYNCS.name} WHERE brief = {mark} AND status = {mark} LIMIT 1", (brief, "synced"))
    return cursor.fetchone() is not None


def rows_of(conn: Any, person_ids: set[str]) -> pd.DataFrame:
    """Every audience's rows of these people: brief and ROW (keys null where none)."""
    if not person_ids:
        return pd.DataFrame(columns=["brief", *ROW], dtype="string")
    marks = ", ".join(["{mark}"] * len(person_ids))
    return _read(conn, ["brief", *ROW], f"person_id IN ({marks})", sorted(person_ids))


def people_sent(conn: Any) -> set[str]:
    """Everyone any audience holds a row of."""
    cursor = conn.cursor()
    cursor.execute(f"SELECT DISTINCT person_id FROM {ROWS.name}")
    return {row[0] for row in cursor.fetchall()}


def delete_people(conn: Any, brief: str, person_ids: set[str]) -> int:
    """Delete these people's rows of a brief's audience (once its platform removed them); rows deleted."""
    dialect = dialect_of(conn)
    mark = placeholder(dialect)
    with transaction(conn, dialect) as cursor:
        cursor.execute(
            f"DELETE FROM {ROWS.name} WHERE brief = {mark} AND person_id IN ({', '.join([mark] * len(person_ids))})",
            [brief, *sorted(person_ids)],
        )
        return int(cursor.rowcount)


def platform_audience_id(conn: Any, brief: str) -> str | None:
    """The platform's id of the brief's audience, from its newest sync that reached the platform."""
    mark = placeholder(dialect_of(conn))
    cursor = conn.cursor()
    cursor.execute(
        f"SELECT platform_audience_id FROM {SYNCS.name} WHERE brief = {mark} AND platform_audience_id IS NOT NULL "
        "ORDER BY synced_at DESC LIMIT 1",
        (brief,),
    )
    found = cursor.fetchone()
    return str(found[0]) if found else None
