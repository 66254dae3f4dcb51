"""pipeline_audit: per run, date and entity, the rows in, clean and quarantined, and what the source sent."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import pandas as pd

from socialpulse.typing_aliases import JsonObject
from socialpulse.warehouse.dialect import SQLITE, bind_day, dialect_of, placeholder, transaction
from socialpulse.warehouse.load import LoadResult, upsert_frame
from socialpulse.warehouse.records import PIPELINE_AUDIT_TABLE as PIPELINE_AUDIT

_COUNTS = ("rows_in", "rows_clean", "rows_quarantined", "duplicates_dropped", "pages", "bytes")


def record_audit(conn: Any, run_id: str, entries: list[JsonObject]) -> LoadResult:
    """Upsert the clean steps' audit entries (a retry of the same run replaces its own)."""
    # loaded_at is mark_loaded's: a retried clean step leaves what the run's load already recorded
    frame = pd.DataFrame(entries, columns=[c for c in PIPELINE_AUDIT.column_names if c not in ("run_id", "loaded_at")])
    frame["ds"] = pd.to_datetime(frame["ds"]).dt.date
    frame["extracted_at"] = pd.to_datetime(frame["extracted_at"], utc=True, format="ISO8601")
    frame["quarantined_share"] = frame["quarantined_share"].astype("Float64")
    for column in _COUNTS:
        frame[column] = frame[column].astype("Int64")
    for column in ("entity", "top_reasons", "quarantine_path"):
        frame[column] = frame[column].astype("string")
    return upsert_frame(conn, PIPELINE_AUDIT, frame, run_id)


def mark_loaded(conn: Any, run_id: str, ds: str, entities: list[str]) -> int:
    """Record that the run's publishing step loaded its audited day of these entities; the rows marked.

    Freshness (socialpulse.freshness) counts these days only: a day audited by a run whose
    quarantine gate or load failed is not loaded.
    """
    dialect = dialect_of(conn)
    mark = placeholder(dialect)
    when = datetime.now(UTC)
    with transaction(conn, dialect) as cursor:
        cursor.execute(
            f"UPDATE pipeline_audit SET loaded_at = {mark} WHERE run_id = {mark} AND ds = {mark} "
            f"AND entity IN ({', '.join([mark] * len(entities))})",
            (when.isoformat() if dialect == SQLITE else when, run_id, bind_day(conn, ds), *entities),
        )
        return cast(int, cursor.rowcount)
