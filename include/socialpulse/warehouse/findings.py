"""data_quality_findings: what the pipeline noticed in the data or the platforms, each recorded once.

A finding is keyed by (entity, day, metric, check), so the 28 runs whose
look-back covers the same day, or every account of a run, report it once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from socialpulse.warehouse.dialect import SQLITE, dialect_of, placeholder, transaction
from socialpulse.warehouse.records import DATA_QUALITY_FINDINGS_TABLE as DATA_QUALITY_FINDINGS


@dataclass(frozen=True)
class Finding:
    entity: str  # a table, a clean entity or a connection
    day: date
    metric: str
    check_name: str  # trailing_median, run_day_missing, spend_stopped, metric_refused, api_version_expired
    value: float | None
    expected_low: float | None
    expected_high: float | None
    severity: str  # warning or error
    detail: str


def record_findings(conn: Any, findings: list[Finding], run_id: str, any_day: bool = False) -> list[Finding]:
    """Insert the findings not recorded before; returns the new ones (the ones to log).

    With `any_day`, a finding already recorded for another day counts as recorded: for
    what stays true until someone acts (a metric Meta refuses), report when it starts.
    """
    if not findings:
        return []
    dialect = dialect_of(conn)
    mark = placeholder(dialect)
    columns = DATA_QUALITY_FINDINGS.column_names
    now = datetime.now(UTC)
    new = []
    with transaction(conn, dialect) as cursor:
        for f in findings:
            day = f.day.isoformat() if dialect == SQLITE else f.day
            if any_day:
                cursor.execute(
                    f"SELECT 1 FROM {DATA_QUALITY_FINDINGS.name} WHERE entity = {mark} AND metric = {mark} "
                    f"AND check_name = {mark}",
                    (f.entity, f.metric, f.check_name),
                )
                if cursor.fetchone():
                    continue
            cursor.execute(
                f"INSERT INTO {DATA_QUALITY_FINDINGS.name} ({', '.join(columns)}) VALUES "
                f"({', '.join([mark] * len(columns))}) ON CONFLICT "
                f"({', '.join(DATA_QUALITY_FINDINGS.key)}) DO NOTHING",
                (
                    f.entity,
                    day,
                    f.metric,
                    f.check_name,
                    f.value,
                    f.expected_low,
                    f.expected_high,
                    f.severity,
                    f.detail,
                    run_id,
                    now.isoformat() if dialect == SQLITE else now,
                ),
            )
            if cursor.rowcount == 1:
                new.append(f)
    return new
