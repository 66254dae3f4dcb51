"""Versioned DDL, applied once each and recorded in socialpulse_schema_migrations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from socialpulse.warehouse.dialect import LOGICAL_TYPES, POSTGRES, dialect_of, placeholder, transaction
from socialpulse.warehouse.schema import (
    ATTRIBUTION_COLUMNS,
    CAMPAIGN_METRICS_DAILY_V1,
    CAMPAIGN_METRICS_HISTORY,
    PIPELINE_AUDIT,
    POST_METRICS_DAILY,
    PRIVACY_ERASURES,
    REPORTING_CURRENCY_COLUMNS,
)

MIGRATIONS_TABLE = "socialpulse_schema_migrations"
LOCK_KEY = 0x50C1A1  # pg advisory lock id held while migrating


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: dict[str, tuple[str, ...]]  # dialect -> SQL


def _both(*sql_for: Any) -> dict[str, tuple[str, ...]]:
    """Statements rendered for both dialects by callables taking the dialect."""
    return {d: tuple(render(d) for render in sql_for) for d in ("postgres", "sqlite")}


def _add_columns(table: str, columns: tuple[tuple[str, str], ...]) -> dict[str, tuple[str, ...]]:
    return _both(*(lambda d, name=name, kind=kind: f"ALTER TABLE {table} ADD COLUMN {name} {LOGICAL_TYPES[d][kind]}"
                   for name, kind in columns))


def _seed_history(dialect: str) -> str:
    """The versions already in campaign_metrics_daily become each row's first history entry."""
    cols = ", ".join(CAMPAIGN_METRICS_HISTORY.column_names)
    return f"INSERT INTO {CAMPAIGN_METRICS_HISTORY.name} ({cols}) SELECT {cols} FROM campaign_metrics_daily"


# Later migrations must not render from a definition that may still change: freeze a copy first.
MIGRATIONS: tuple[Migration, ...] = (
    # The primary key leads with metric_date, which serves the date-range reads; no other
    # index, since each one slows the daily upsert (bench/load_warehouse.py).
    Migration(1, "campaign_metrics_daily", _both(CAMPAIGN_METRICS_DAILY_V1.create_sql)),
    Migration(2, "post_metrics_daily", _both(POST_METRICS_DAILY.create_sql)),
    Migration(3, "campaign_metrics_daily: orders and revenue attributed by utm_campaign",
              _add_columns("campaign_metrics_daily", ATTRIBUTION_COLUMNS)),
    Migration(4, "pipeline_audit: rows in, clean and quarantined per run, date and entity",
              _both(PIPELINE_AUDIT.create_sql)),
    Migration(5, "campaign_metrics_daily: spend and conversion value in the reporting currency",
              _add_columns("campaign_metrics_daily", REPORTING_CURRENCY_COLUMNS)),
    Migration(6, "campaign_metrics_history: every distinct version of a campaign day",
              _both(CAMPAIGN_METRICS_HISTORY.create_sql, _seed_history)),
    Migration(7, "privacy_erasures: who was erased (as a pseudonym), when, and how many rows",
              _both(PRIVACY_ERASURES.create_sql)),
)


def apply_migrations(conn: Any) -> list[int]:
    """Apply every migration not yet recorded, in order, each in its own transaction.

    Returns the versions applied now; an empty list means the schema was current.
    """
    dialect = dialect_of(conn)
    timestamp = "TIMESTAMPTZ DEFAULT now()" if dialect == POSTGRES else "TEXT DEFAULT CURRENT_TIMESTAMP"
    applied_now = []
    for migration in MIGRATIONS:
        with transaction(conn, dialect) as cursor:
            if dialect == POSTGRES:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
            cursor.execute(f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} (version INTEGER PRIMARY KEY, "
                           f"description TEXT NOT NULL, applied_at {timestamp})")
            cursor.execute(f"SELECT 1 FROM {MIGRATIONS_TABLE} WHERE version = {placeholder(dialect)}",
                           (migration.version,))
            if cursor.fetchone():
                continue
            for statement in migration.statements[dialect]:
                cursor.execute(statement)
            cursor.execute(f"INSERT INTO {MIGRATIONS_TABLE} (version, description) VALUES "
                           f"({placeholder(dialect)}, {placeholder(dialect)})",
                           (migration.version, migration.description))
            applied_now.append(migration.version)
    return applied_now
