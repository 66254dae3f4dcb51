"""The lake as another engine reads it: DuckDB over the Delta tables, each entity's newest row per natural key, which
is what the warehouse keeps (a later run's look-back replaces a day's value)."""

from __future__ import annotations

from typing import Any

from socialpulse import lake as lake_zone

# entity: (its warehouse table, natural key, values compared)
COMPARED = {
    "campaign_metrics": (
        "campaign_metrics_daily",
        ("metric_date", "platform", "account_id", "campaign_id"),
        ("impressions", "clicks"),
    ),
    "post_metrics": (
        "post_metrics_daily",
        ("metric_date", "platform", "account_id", "post_id"),
        ("impressions", "likes"),
    ),
}


def normalised(rows: list[tuple]) -> list[tuple]:
    """Dates and numbers as text and ints, whichever database or engine gave them."""
    return sorted(tuple(None if v is None else str(v)[:10] if i == 0 else v for i, v in enumerate(r)) for r in rows)


def duckdb_rows(lake: lake_zone.Lake, entity: str) -> list[tuple]:
    import duckdb
    from deltalake import DeltaTable

    table = lake.clean(entity)
    _, key, values = COMPARED[entity]
    rows = DeltaTable(table.uri, storage_options=table.storage_options).to_pyarrow_dataset()  # noqa: F841
    found = duckdb.sql(
        f"SELECT {', '.join([*key, *values])} FROM rows "
        f"QUALIFY row_number() OVER (PARTITION BY {', '.join(key)} ORDER BY ds DESC) = 1"
    ).fetchall()
    return normalised(found)


def warehouse_query(entity: str) -> str:
    table, key, values = COMPARED[entity]
    return f"SELECT {', '.join([*key, *values])} FROM {table}"


def differences(lake: lake_zone.Lake, query: Any) -> dict[str, int]:
    """Per entity, the rows DuckDB reads that the warehouse does not hold and back (none: the same rows); `query`
    runs a warehouse query and returns its rows."""
    found = {}
    for entity in COMPARED:
        mine, theirs = set(duckdb_rows(lake, entity)), set(normalised(query(warehouse_query(entity))))
        if not mine or mine != theirs:
            found[entity] = len(mine ^ theirs) or -1  # -1: DuckDB read nothing
    return found
