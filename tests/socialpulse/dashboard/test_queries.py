"""The dashboard's figures against the rows they summarise, on SQLite and Postgres."""

from __future__ import annotations

import sqlite3
from datetime import date

import pandas as pd
import pytest

from socialpulse.dashboard import queries
from socialpulse.freshness import newest_loaded_days
from socialpulse.warehouse import apply_migrations
from socialpulse.warehouse.audit import mark_loaded
from socialpulse.warehouse.dialect import bind_day, dialect_of, placeholder
from tests.socialpulse.jobs.test_experiments import load_campaign_days

DAYS = ("2026-10-20", "2026-11-03")


def loaded(conn) -> pd.DataFrame:
    cursor = conn.cursor()
    cursor.execute(
        "SELECT metric_date, platform, account_id, impressions, clicks, spend_reporting, conversions, "
        "conversion_value_reporting FROM campaign_metrics_daily"
    )
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
        assert row["currency"] == "USD" and row["unconverted"] == 0


def test_the_latest_day_is_compared_with_the_week_before_it(warehouse_conn):
    apply_migrations(warehouse_conn)
    load_campaign_days(warehouse_conn, date.fromisoformat(DAYS[1]))
    daily = queries.daily_totals(warehouse_conn, *DAYS)
    assert (daily[0]["metric_date"], daily[-1]["metric_date"]) == DAYS and {d["currency"] for d in daily} == {"USD"}
    latest = queries.latest_against_trailing(warehouse_conn, "2026-12-31")  # the newest day with rows
    frame = loaded(warehouse_conn).groupby("metric_date").sum(numeric_only=True)
    week, day = frame.loc["2026-10-27":"2026-11-02"], frame.loc[DAYS[1]]
    assert latest["day"] == DAYS[1] and latest["trailing_days"] == 7
    assert latest["change"]["spend"] == pytest.approx(day["spend_reporting"] / week["spend_reporting"].mean() - 1)
    week_ctr = week["clicks"].sum() / week["impressions"].sum()  # the week's ratio of sums, not a mean of ratios
    assert latest["change"]["ctr"] == pytest.approx(day["clicks"] / day["impressions"] / week_ctr - 1)
    assert queries.latest_against_trailing(warehouse_conn, "2026-01-01") is None


def test_health_shows_each_day_s_newest_run_and_counts_failed_conversions(warehouse_conn):
    apply_migrations(warehouse_conn)
    mark = "?" if isinstance(warehouse_conn, sqlite3.Connection) else "%s"
    rows = [
        ("scheduled__2026-11-03", 100, 5, "2026-11-04T01:00:00+00:00"),
        ("manual__2026-11-05", 100, 1, "2026-11-05T09:00:00+00:00"),  # a later rerun, whose id sorts first
        ("backfill__2026-11-03", 100, 9, "2026-11-04T00:30:00+00:00"),
    ]
    cursor = warehouse_conn.cursor()
    for run_id, rows_in, quarantined, at in rows:
        cursor.execute(
            f"INSERT INTO pipeline_audit (ds, entity, run_id, rows_in, rows_quarantined, quarantined_share, "
            f"extracted_at) VALUES ({', '.join([mark] * 7)})",
            (
                bind_day(warehouse_conn, "2026-11-03"),
                "crm_users",
                run_id,
                rows_in,
                quarantined,
                quarantined / rows_in,
                at,
            ),
        )
    warehouse_conn.commit()
    audit = queries.audit(warehouse_conn, "2026-10-01")
    assert [(a["run_id"], a["rows_quarantined"]) for a in audit] == [("manual__2026-11-05", 1)]
    assert newest_loaded_days(warehouse_conn) == {}  # audited, but no run said it loaded the day
    assert mark_loaded(warehouse_conn, "manual__2026-11-05", "2026-11-03", ["crm_users", "crm_orders"]) == 1
    cursor.execute(
        f"INSERT INTO pipeline_audit (ds, entity, run_id, rows_in) VALUES ({mark}, 'crm_users', 'r', 1)",
        (bind_day(warehouse_conn, "2026-11-04"),),
    )  # a later day whose gate or load failed
    warehouse_conn.commit()
    assert newest_loaded_days(warehouse_conn) == {"crm_users": date(2026, 11, 3)}
    assert [str(a["ds"]) for a in queries.audit(warehouse_conn, "2026-11-04")] == ["2026-11-04"]


def test_empty_tables_give_empty_pages(warehouse_conn):
    apply_migrations(warehouse_conn)
    assert queries.overview(warehouse_conn, *DAYS) == [] and queries.daily_totals(warehouse_conn, *DAYS) == []
    assert queries.experiments(warehouse_conn) == [] and queries.audit(warehouse_conn, DAYS[0]) == []
    assert queries.open_findings(warehouse_conn, DAYS[0]) == []
    assert queries.campaigns(warehouse_conn, *DAYS) == [] and queries.restatements(warehouse_conn, *DAYS) == []
    assert queries.posts(warehouse_conn, *DAYS) == [] and queries.audience(warehouse_conn) is None
    assert queries.experiment_history(warehouse_conn) == {}
    assert queries.run_report(warehouse_conn, "r", ("campaign_metrics",), ("campaign_metrics_daily",)) == {
        "run_audit": [],
        "findings": [],
        "loaded": {"campaign_metrics_daily": 0},
    }


def restate(conn, day: str, campaign_id: str, earlier: int) -> None:
    """Put a campaign-day's history as the loads leave it after a restatement: first `earlier` conversions, then now."""
    from socialpulse.transforms.entities import CAMPAIGN_METRICS_HISTORY

    mark = "?" if isinstance(conn, sqlite3.Connection) else "%s"
    columns = ", ".join(CAMPAIGN_METRICS_HISTORY.column_names)
    chosen = f"FROM campaign_metrics_daily WHERE metric_date = {mark} AND campaign_id = {mark}"
    cursor = conn.cursor()
    cursor.execute(
        f"INSERT INTO campaign_metrics_history ({columns}) SELECT {columns} {chosen}",
        (bind_day(conn, day), campaign_id),
    )
    first = columns.replace("extracted_at", "'2026-10-01T00:00:00+00:00'").replace("conversions", str(earlier))
    cursor.execute(
        f"INSERT INTO campaign_metrics_history ({columns}) SELECT {first} {chosen}", (bind_day(conn, day), campaign_id)
    )
    conn.commit()


def test_campaigns_count_restated_days_and_show_each_as_first_reported_and_now(warehouse_conn):
    apply_migrations(warehouse_conn)
    load_campaign_days(warehouse_conn, date.fromisoformat(DAYS[1]))
    campaign = queries.campaigns(warehouse_conn, *DAYS)[0]
    restate(warehouse_conn, "2026-10-25", campaign["campaign_id"], earlier=3)
    restated = queries.restatements(warehouse_conn, *DAYS)
    assert len(restated) == 1
    (row,) = restated
    assert (str(row["metric_date"]), row["first_conversions"], row["versions"]) == ("2026-10-25", 3, 2)
    cursor = warehouse_conn.cursor()
    mark = "?" if isinstance(warehouse_conn, sqlite3.Connection) else "%s"
    cursor.execute(
        f"SELECT conversions FROM campaign_metrics_daily WHERE metric_date = {mark} AND campaign_id = {mark}",
        (bind_day(warehouse_conn, "2026-10-25"), campaign["campaign_id"]),
    )
    assert row["conversions"] == cursor.fetchone()[0] != 3
    frame = loaded(warehouse_conn)
    by_id = {c["campaign_id"]: c for c in queries.campaigns(warehouse_conn, *DAYS)}
    assert by_id[campaign["campaign_id"]]["restated_days"] == 1
    assert sum(c["restated_days"] for c in by_id.values()) == 1
    assert sum(float(c["spend"]) for c in by_id.values()) == pytest.approx(frame["spend_reporting"].sum())
    assert queries.restatements(warehouse_conn, "2026-10-26", DAYS[1]) == []


def test_posts_are_shown_at_their_newest_snapshot(warehouse_conn):
    apply_migrations(warehouse_conn)
    mark = "?" if isinstance(warehouse_conn, sqlite3.Connection) else "%s"
    cursor = warehouse_conn.cursor()
    for day, post, impressions in (("2026-11-01", "p1", 10), ("2026-11-02", "p1", 30), ("2026-11-02", "p2", 20)):
        cursor.execute(
            f"INSERT INTO post_metrics_daily (metric_date, platform, account_id, post_id, impressions) "
            f"VALUES ({mark}, 'x', 'a', {mark}, {mark})",
            (bind_day(warehouse_conn, day), post, impressions),
        )
    warehouse_conn.commit()
    assert [(p["post_id"], p["impressions"]) for p in queries.posts(warehouse_conn, *DAYS)] == [("p1", 30), ("p2", 20)]
    assert [(p["post_id"], p["impressions"]) for p in queries.posts(warehouse_conn, DAYS[0], "2026-11-01")] == [
        ("p1", 10)
    ]
    assert len(queries.posts(warehouse_conn, *DAYS, limit=1)) == 1


def test_activation_shows_each_audience_s_newest_step_meta_s_count_and_its_holdout_lift(warehouse_conn):
    from socialpulse.activation.store import record_sync

    apply_migrations(warehouse_conn)
    record_sync(warehouse_conn, {"brief": "spring", "status": "synced", "approximate_count": 140}, "run-1")
    record_sync(warehouse_conn, {"brief": "spring", "status": "awaiting_approval", "detail": "waiting"}, "run-2")
    record_sync(warehouse_conn, {"brief": "autumn", "status": "rejected", "detail": "rejected by ada"}, "run-2")
    mark = placeholder(dialect_of(warehouse_conn))
    cursor = warehouse_conn.cursor()
    cursor.execute(
        "INSERT INTO experiment_results (experiment, as_of_date, metric, arm, role, is_control, lift, lift_low, "
        f"lift_high) VALUES ('audience_spring', {mark}, 'conversions_per_person', 'sent', 'primary', {mark}, 0.12, "
        "-0.05, 0.3)",
        (bind_day(warehouse_conn, "2026-11-03"), False),
    )
    warehouse_conn.commit()
    rows = {r["brief"]: r for r in queries.activation(warehouse_conn)}
    assert (rows["spring"]["status"], rows["spring"]["approximate_count"], rows["spring"]["lift"]) == (
        "awaiting_approval",
        140,
        pytest.approx(0.12),
    )
    assert rows["spring"]["last_synced"] is not None and str(rows["spring"]["lift_day"])[:10] == "2026-11-03"
    assert (rows["autumn"]["status"], rows["autumn"]["last_synced"], rows["autumn"]["lift"]) == ("rejected", None, None)
