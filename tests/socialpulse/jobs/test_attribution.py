"""Crediting orders gives the same rows whichever source loaded first."""

from datetime import date

import pandas as pd
import pytest

from socialpulse import lake as lake_zone
from socialpulse.jobs.attribution import credit_days
from socialpulse.lake import tables
from socialpulse.transforms.entities import CAMPAIGN_METRICS_DAILY
from socialpulse.warehouse import apply_migrations, upsert_frame

DAY = "2026-11-02"


def load_campaigns(conn) -> None:
    frame = pd.DataFrame(
        {
            "metric_date": [date(2026, 11, 2)] * 2,
            "platform": "meta_ads",
            "account_id": "1001",
            "campaign_id": ["c1", "c2"],
            "extracted_at": pd.Timestamp("2026-11-03", tz="UTC"),
        }
    )
    upsert_frame(conn, CAMPAIGN_METRICS_DAILY, frame, "ads-run")


def land_orders(lake: lake_zone.Lake) -> None:
    orders = pd.DataFrame(
        {
            "order_id": ["o1", "o2", "o3"],
            "order_date": [date(2026, 11, 2)] * 3,
            "utm_campaign": ["c1", "c1", None],
            "amount_reporting": [10.0, 5.5, 99.0],
        }
    )
    lake.clean("crm_orders").write_day(orders, DAY)


def attributed(conn) -> list[tuple]:
    cursor = conn.cursor()
    cursor.execute("SELECT campaign_id, attributed_orders, attributed_revenue FROM campaign_metrics_daily ORDER BY 1")
    rows = [(c, o, None if r is None else float(r)) for c, o, r in cursor.fetchall()]
    cursor.close()
    return rows


@pytest.mark.parametrize("first", ["orders", "campaigns"])
def test_the_same_credit_whichever_source_loaded_first(warehouse_conn, tmp_path, first):
    apply_migrations(warehouse_conn)
    lake = lake_zone.Lake.at(tmp_path)
    steps = {"orders": lambda: land_orders(lake), "campaigns": lambda: load_campaigns(warehouse_conn)}
    steps[first]()
    early = credit_days(warehouse_conn, lake, [DAY])  # as a run triggered by the first load does
    steps["campaigns" if first == "orders" else "orders"]()
    credit_days(warehouse_conn, lake, [DAY])  # as the run the second load triggers does
    assert attributed(warehouse_conn) == [("c1", 2, 15.5), ("c2", 0, 0.0)]
    assert early["days_without_orders"] == ([] if first == "orders" else [DAY])


def test_a_day_without_orders_is_left_alone(warehouse_conn, tmp_path):
    apply_migrations(warehouse_conn)
    load_campaigns(warehouse_conn)
    result = credit_days(warehouse_conn, lake_zone.Lake.at(tmp_path), [DAY, "2026-11-01"])
    assert result == {"days": 0, "campaigns_credited": 0, "rows_changed": 0, "days_without_orders": ["2026-11-01", DAY]}
    assert attributed(warehouse_conn) == [("c1", None, None), ("c2", None, None)]  # null: not yet known


def test_orders_credited_a_batch_at_a_time_are_credited_as_all_at_once(warehouse_conn, tmp_path, monkeypatch):
    apply_migrations(warehouse_conn)
    lake = lake_zone.Lake.at(tmp_path)
    land_orders(lake)
    load_campaigns(warehouse_conn)
    monkeypatch.setattr(tables, "BATCH_ROWS", 1)  # one order a batch
    assert len(list(lake.clean("crm_orders").snapshot().batches([DAY], ["order_id"]))) == 3
    credit_days(warehouse_conn, lake, [DAY])
    assert attributed(warehouse_conn) == [("c1", 2, 15.5), ("c2", 0, 0.0)]
