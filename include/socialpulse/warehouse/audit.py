"""pipeline_audit: per run, date and entity, the rows in, clean and quarantined, and what the source sent."""

from __future__ import annotations

from typing import Any

import pandas as pd

from socialpulse.warehouse.load import LoadResult, upsert_frame
from socialpulse.warehouse.schema import PIPELINE_AUDIT

_COUNTS = ("rows_in", "rows_clean", "rows_quarantined", "duplicates_dropped", "pages", "bytes")


def record_audit(conn: Any, run_id: str, entries: list[dict]) -> LoadResult:
    """Upsert the clean steps' audit entries (a retry of the same run replaces its own)."""
    frame = pd.DataFrame(entries, columns=[c for c in PIPELINE_AUDIT.column_names if c != "run_id"])
    frame["ds"] = pd.to_datetime(frame["ds"]).dt.date
    frame["extracted_at"] = pd.to_datetime(frame["extracted_at"], utc=True, format="ISO8601")
    frame["quarantined_share"] = frame["quarantined_share"].astype("Float64")
    for column in _COUNTS:
        frame[column] = frame[column].astype("Int64")
    for column in ("entity", "top_reasons", "quarantine_path"):
        frame[column] = frame[column].astype("string")
    return upsert_frame(conn, PIPELINE_AUDIT, frame, run_id)
