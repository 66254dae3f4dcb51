"""Crediting a day's first-party orders to campaign_metrics_daily by utm_campaign."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from socialpulse.warehouse.dialect import SQLITE, dialect_of, distinct_op, placeholder, transaction

STAGE = "_socialpulse_attribution"
PLATFORM = "meta_ads"


@dataclass(frozen=True)
class AttributionResult:
    campaigns_credited: int
    rows_changed: int
    unmatched_campaigns: tuple[str, ...]  # utm_campaign values with no campaign row that day


def credit_orders(conn: Any, day: date, attributed: pd.DataFrame) -> AttributionResult:
    """Set the day's attributed_orders and attributed_revenue from (campaign_id, orders, revenue) rows.

    Every campaign row of the day is rewritten: one without orders gets 0, so a
    corrected drop replaces an earlier one. Rows are only touched when a value changes.
    """
    dialect = dialect_of(conn)
    mark = placeholder(dialect)
    day_value = day.isoformat() if dialect == SQLITE else day
    frame = attributed[attributed["metric_date"] == day]
    rows = [
        (str(c), int(n), float(v))
        for c, n, v in frame[["campaign_id", "attributed_orders", "attributed_revenue"]].itertuples(
            index=False, name=None
        )
    ]
    new = {
        column: f"COALESCE((SELECT s.{column} FROM {STAGE} s WHERE s.campaign_id = t.campaign_id), 0)"
        for column in ("attributed_orders", "attributed_revenue")
    }
    with transaction(conn, dialect) as cursor:
        if dialect == SQLITE:
            cursor.execute(f"DROP TABLE IF EXISTS temp.{STAGE}")
            cursor.execute(
                f"CREATE TEMP TABLE {STAGE} (campaign_id TEXT, attributed_orders INTEGER, attributed_revenue REAL)"
            )
        else:
            cursor.execute(
                f"CREATE TEMP TABLE {STAGE} (campaign_id TEXT, attributed_orders BIGINT, "
                "attributed_revenue NUMERIC(20,4)) ON COMMIT DROP"
            )
        if rows:
            cursor.executemany(f"INSERT INTO {STAGE} VALUES ({mark}, {mark}, {mark})", rows)
        changed = " OR ".join(f"t.{c} {distinct_op(dialect)} {expr}" for c, expr in new.items())
        cursor.execute(
            f"UPDATE campaign_metrics_daily AS t SET {', '.join(f'{c} = {e}' for c, e in new.items())} "
            f"WHERE t.metric_date = {mark} AND t.platform = {mark} AND ({changed})",
            (day_value, PLATFORM),
        )
        rows_changed = cursor.rowcount
        cursor.execute(
            f"SELECT s.campaign_id FROM {STAGE} s WHERE NOT EXISTS (SELECT 1 FROM campaign_metrics_daily t "
            f"WHERE t.campaign_id = s.campaign_id AND t.metric_date = {mark} AND t.platform = {mark}) "
            "ORDER BY 1",
            (day_value, PLATFORM),
        )
        unmatched = tuple(r[0] for r in cursor.fetchall())
        if dialect == SQLITE:
            cursor.execute(f"DROP TABLE temp.{STAGE}")
    return AttributionResult(len(rows) - len(unmatched), rows_changed, unmatched)
