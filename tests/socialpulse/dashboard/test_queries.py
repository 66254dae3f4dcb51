"""The dashboard's figures against the rows they summarise, on SQLite and Postgres."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from socialpulse.dashboard import queries
from socialpulse.warehouse import apply_migrations
from tests.socialpulse.jobs.test_experiments import load_campaign_days

DAYS = ("2026-10-20", "2026-11-03")


def loaded(conn) -> pd.DataFrame:
    cursor = conn.cursor()
    cursor.execute("SELECT metric_date, platform, account_id, impressions, clicks, spend_reporting, conversions, "
                   "conversion_value_reporting FROM campaign_metrics_daily")
    frame = pd.DataFrame(cursor.fetchall(), columns=[c[0] for c in cursor.description])
    frame["metric_date"] = frame["metric_date"].astype(str)
    numbers = frame.columns[3:]
    frame[numbers] = frame[numbers].astype(float)
    return frame[(frame["metric_date"] >= DAYS[0]) & (frame["metric_date"] <= DAYS[1])]


def test_overview_sums_each_account_and_derives_its_ratios(warehouse_conn):
    apply_migrations(warehouse_conn)
    load_campaign_days(warehouse_conn, date.fromisoformat(DAYS[1]))
    rows = {(r["platform"], r["account_id"]): r for r in queries.overview(warehouse_conn, *DAYS)}
    expected = loaded(warehouse_conn).groupby(["platform", "account_id"]).sum(numeric_only=True)
    assert set(rows) == set(expected.index) == {("meta_ads", "1001"), ("meta_ads", "1002"), ("meta_ads", "1003")}
    for key, sums in expected.iterrows():
        row = rows[key]
        assert float(row["spend"]) == pytest.approx(sums["spend_reporting"])
        assert float(row["conversions"]) == sums["conversions"]
        assert row["ctr"] == pytest.approx(sums["clicks"] / sums["impressions"])
        assert row["cpc"] == pytest.approx(sums["spend_reporting"] / sums["clicks"])
        assert row["roas"] == pytest.approx(sums["conversion_value_reporting"] / sums["spend_reporting"])


def test_the_latest_day_is_compared_with_the_week_before_it(warehouse_conn):
    apply_migrations(warehouse_conn)
    load_campaign_days(warehouse_conn, date.fromisoformat(DAYS[1]))
    daily = queries.daily_totals(warehouse_conn, *DAYS)
    assert (daily[0]["metric_date"], daily[-1]["metric_date"]) == DAYS
    latest = queries.latest_against_trailing(daily)
    frame = loaded(warehouse_conn).groupby("metric_date").sum(numeric_only=True)
    week = frame.loc["2026-10-27":"2026-11-02", "spend_reporting"]
    assert latest["day"] == DAYS[1] and latest["trailing_days"] == 7
    assert latest["change"]["spend"] == pytest.approx(frame.loc[DAYS[1], "spend_reporting"] / week.mean() - 1)
    assert queries.latest_against_trailing([]) is None


def test_empty_tables_give_empty_pages(warehouse_conn):
    apply_migrations(warehouse_conn)
    assert queries.overview(warehouse_conn, *DAYS) == [] and queries.daily_totals(warehouse_conn, *DAYS) == []
    assert queries.experiments(warehouse_conn) == [] and queries.audit(warehouse_conn) == []
    assert queries.open_findings(warehouse_conn, DAYS[0]) == []
