"""Volume and spend anomalies are findings recorded once; only a missing day or a spend stop fails the run."""

from datetime import date, timedelta

import pandas as pd
import pytest

from socialpulse.transforms.entities import CAMPAIGN_METRICS_DAILY
from socialpulse.warehouse import apply_migrations, upsert_frame
from socialpulse.warehouse.volume import check_volume, daily_totals
from tests.socialpulse.warehouse.sql import query

FIRST = date(2026, 10, 1)
LAUNCH, PAUSE, SPIKE = date(2026, 10, 12), date(2026, 10, 21), date(2026, 10, 27)
LOOKBACK = 28


def campaign_rows(day: date) -> list[dict]:
    """Four campaigns spending 100 a day; four more launched on LAUNCH; six paused from PAUSE; a spike on SPIKE."""
    campaigns = 4 + (4 if day >= LAUNCH else 0) - (6 if day >= PAUSE else 0)
    spend = 100.0 * (5 if day == SPIKE else 1)
    return [
        {
            "metric_date": day,
            "platform": "meta_ads",
            "account_id": "1001",
            "campaign_id": f"c{n}",
            "impressions": 1000,
            "spend_reporting": spend,
            "extracted_at": pd.Timestamp("2026-11-01", tz="UTC"),
        }
        for n in range(campaigns)
    ]


def load_day(conn, day: date) -> None:
    frame = pd.DataFrame(campaign_rows(day))
    frame["spend_reporting"] = frame["spend_reporting"].astype("Float64")
    upsert_frame(conn, CAMPAIGN_METRICS_DAILY, frame, f"run-{day}")


def run_check(conn, day: date, **thresholds):
    """What the DAG does after each day's load: check the run's day and its look-back window."""
    return check_volume(conn, day, day - timedelta(days=LOOKBACK), day, f"run-{day}", **thresholds)


def test_a_month_with_a_launch_a_pause_and_a_spike_fails_nothing_and_reports_each_anomaly_once(warehouse_conn):
    apply_migrations(warehouse_conn)
    reported = []
    for offset in range(30):
        day = FIRST + timedelta(days=offset)
        load_day(warehouse_conn, day)
        new, errors = run_check(warehouse_conn, day)
        assert errors == [], day
        reported += [(f.day, f.metric) for f in new]
    stored = query(
        warehouse_conn, "SELECT day, metric, check_name, severity FROM data_quality_findings ORDER BY day, metric"
    )
    assert len(stored) == len(reported) == len(set(reported))  # each once, though 28 later runs saw it again
    assert {(str(d), m) for d, m, *_ in stored} == {(str(d), m) for d, m in reported}
    assert {(c, s) for *_, c, s in stored} == {("trailing_median", "warning")}
    flagged = {date.fromisoformat(str(d)) for d, *_ in stored}
    assert {LAUNCH, PAUSE, SPIKE} <= flagged
    assert flagged <= {LAUNCH + timedelta(days=i) for i in range(4)} | {PAUSE + timedelta(days=i) for i in range(4)} | {
        SPIKE
    }  # the median catches up within four days of a lasting change


def test_the_run_s_own_day_missing_fails(warehouse_conn):
    apply_migrations(warehouse_conn)
    for offset in range(10):
        load_day(warehouse_conn, FIRST + timedelta(days=offset))
    missing = FIRST + timedelta(days=10)
    new, errors = run_check(warehouse_conn, missing)
    assert [(e.check_name, e.severity, e.day) for e in errors] == [("run_day_missing", "error", missing)]
    assert "7 days before it had 28" in errors[0].detail
    assert new == errors  # recorded too, so the table says why the run stopped
    assert run_check(warehouse_conn, FIRST)[1] == []  # the first day ever has no week before it: nothing to miss


def a_week_then(conn, spend_per_campaign: float) -> date:
    """Eight ordinary days, then a day whose campaigns deliver as usual but spend this much each; returns it."""
    apply_migrations(conn)
    for offset in range(8):
        load_day(conn, FIRST + timedelta(days=offset))
    day = FIRST + timedelta(days=8)
    frame = pd.DataFrame(campaign_rows(day)).assign(spend_reporting=spend_per_campaign)
    upsert_frame(conn, CAMPAIGN_METRICS_DAILY, frame.astype({"spend_reporting": "Float64"}), "r")
    return day


def test_spend_falling_to_zero_while_campaigns_deliver_fails(warehouse_conn):
    stopped = a_week_then(warehouse_conn, 0.0)
    _, errors = run_check(warehouse_conn, stopped)
    assert [e.check_name for e in errors] == ["spend_stopped"]
    _, tolerated = run_check(warehouse_conn, stopped, stop_spend_share=0.0, tolerance=0.75)
    assert tolerated == errors  # the same stop, found again, not recorded twice
    assert query(warehouse_conn, "SELECT count(*) FROM data_quality_findings WHERE check_name = 'spend_stopped'") == [
        (1,)
    ]


@pytest.mark.parametrize("share", [0.5])
def test_the_spend_stop_threshold_is_a_param(warehouse_conn, share):
    day = a_week_then(warehouse_conn, 40.0)
    assert run_check(warehouse_conn, day)[1] == []  # 40% of the median: an anomaly, not a stop, by default
    assert [e.check_name for e in run_check(warehouse_conn, day, stop_spend_share=share)[1]] == ["spend_stopped"]
    assert daily_totals(warehouse_conn, day, day)[day].spend_reporting == pytest.approx(160.0)
