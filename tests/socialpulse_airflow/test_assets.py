"""The days a consumer redoes, or the day it reads, come from its triggering asset events."""

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from socialpulse_airflow.assets import CAMPAIGN_METRICS, CRM_ORDERS, days_of_events, mark_days, newest_common_day


def test_events_name_the_days_their_load_changed():
    events = {
        CAMPAIGN_METRICS: [SimpleNamespace(extra={"since": "2026-10-31", "until": "2026-11-02"})],
        CRM_ORDERS: [
            SimpleNamespace(extra={"since": "2026-11-02", "until": "2026-11-02"}),
            SimpleNamespace(extra={"since": "2026-11-03", "until": "2026-11-03"}),
            SimpleNamespace(extra={}),
        ],
    }  # an event from outside the pipeline: no days
    assert days_of_events(events) == {"2026-10-31", "2026-11-01", "2026-11-02", "2026-11-03"}
    assert days_of_events(None) == set() == days_of_events({})


def test_a_load_puts_its_days_on_each_asset_event():
    outlet_events = {CAMPAIGN_METRICS: SimpleNamespace(extra={})}
    mark_days(outlet_events, [CAMPAIGN_METRICS], "2026-10-05", "2026-11-02")
    assert outlet_events[CAMPAIGN_METRICS].extra == {"since": "2026-10-05", "until": "2026-11-02"}


def event(since: str, until: str) -> SimpleNamespace:
    return SimpleNamespace(extra={"since": since, "until": until})


def test_a_time_triggered_run_reads_its_data_interval():
    assert newest_common_day(datetime(2026, 11, 3, tzinfo=UTC), {}) == "2026-11-03"


def test_an_asset_triggered_run_reads_the_newest_day_every_input_has():
    events = {
        "engagement_events": [event("2026-11-02", "2026-11-02"), event("2026-11-04", "2026-11-04")],
        "crm_orders": [event("2026-11-03", "2026-11-03")],
        "crm_users": [event("2026-11-03", "2026-11-03")],
    }
    assert newest_common_day(None, events) == "2026-11-03"  # orders are not in for the 4th yet


def test_a_run_without_a_day_says_so():
    with pytest.raises(ValueError, match="no day to read"):
        newest_common_day(None, {})
