"""Crediting orders to campaign rows, on SQLite and Postgres."""

from datetime import date

import pandas as pd

from socialpulse.transforms.entities import CAMPAIGN_METRICS_DAILY
from socialpulse.warehouse import apply_migrations, upsert_frame
from socialpulse.warehouse.attribution import credit_orders
from tests.payloads import INSIGHTS_PAGE, insights

DAY = date(2026, 11, 1)


def credited(conn) -> list[tuple]:
    cursor = conn.cursor()
    cursor.execute(
        "SELECT campaign_id, attributed_orders, attributed_revenue FROM campaign_metrics_daily ORDER BY campaign_id"
    )
    rows = [(c, n, None if v is None else float(v)) for c, n, v in cursor.fetchall()]
    cursor.close()
    return rows


def orders(*rows) -> pd.DataFrame:
    return pd.DataFrame(
        [(DAY, *r) for r in rows], columns=["metric_date", "campaign_id", "attributed_orders", "attributed_revenue"]
    )


def test_orders_credited_reset_and_unmatched_reported(warehouse_conn):
    apply_migrations(warehouse_conn)
    clean, _ = insights([({"extracted_at": "2026-11-02T00:00:00+00:00"}, INSIGHTS_PAGE)])
    upsert_frame(warehouse_conn, CAMPAIGN_METRICS_DAILY, clean, "run-1")
    first = credit_orders(warehouse_conn, DAY, orders(("23843xxxxxx001", 3, 59.7), ("999", 1, 5.0)))
    assert first.unmatched_campaigns == ("999",) and first.campaigns_credited == 1
    assert credited(warehouse_conn) == [("23843xxxxxx001", 3, 59.7), ("23843xxxxxx002", 0, 0.0)]
    assert credit_orders(warehouse_conn, DAY, orders(("23843xxxxxx001", 3, 59.7))).rows_changed == 0
    # A corrected drop moves the credit: the old campaign goes back to 0.
    credit_orders(warehouse_conn, DAY, orders(("23843xxxxxx002", 1, 10.0)))
    assert credited(warehouse_conn) == [("23843xxxxxx001", 0, 0.0), ("23843xxxxxx002", 1, 10.0)]
    # A later ads load leaves the credit alone: each source owns its columns.
    upsert_frame(
        warehouse_conn,
        CAMPAIGN_METRICS_DAILY,
        insights([({"extracted_at": "2026-11-09T00:00:00+00:00"}, INSIGHTS_PAGE)])[0].assign(impressions=1),
        "run-2",
    )
    assert credited(warehouse_conn)[1] == ("23843xxxxxx002", 1, 10.0)
