"""Warehouse DDL, migrations and bulk upserts for Postgres and the embedded SQLite file."""

from socialpulse.warehouse.load import LoadResult, upsert_frame
from socialpulse.warehouse.migrations import apply_migrations
from socialpulse.warehouse.schema import CAMPAIGN_METRICS_DAILY

__all__ = ["CAMPAIGN_METRICS_DAILY", "LoadResult", "apply_migrations", "upsert_frame"]
