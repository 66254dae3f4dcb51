"""The days a consumer redoes come from its triggering asset events."""

from types import SimpleNamespace

from socialpulse_airflow.assets import CAMPAIGN_METRICS, CRM_ORDERS, days_of_events, mark_days


def test_events_name_the_days_their_load_changed():
    events = {CAMPAIGN_METRICS: [SimpleNamespace(extra={"since": "2026-10-31", "until": "2026-11-02"})],
              CRM_ORDERS: [SimpleNamespace(extra={"since": "2026-11-02", "until": "2026-11-02"}),
                           SimpleNamespace(extra={"since": "2026-11-03", "until": "2026-11-03"}),
                           SimpleNamespace(extra={})]}  # an event from outside the pipeline: no days
    assert days_of_events(events) == {"2026-10-31", "2026-11-01", "2026-11-02", "2026-11-03"}
    assert days_of_events(None) == set() == days_of_events({})


def test_a_load_puts_its_days_on_each_asset_event():
    outlet_events = {CAMPAIGN_METRICS: SimpleNamespace(extra={})}
    mark_days(outlet_events, [CAMPAIGN_METRICS], "2026-10-05", "2026-11-02")
    assert outlet_events[CAMPAIGN_METRICS].extra == {"since": "2026-10-05", "until": "2026-11-02"}
