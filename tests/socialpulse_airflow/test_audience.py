"""Which day audience_intelligence models: its own on the time schedule, the newest day all inputs have on assets."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from socialpulse_airflow.audience import as_of


def event(since: str, until: str) -> SimpleNamespace:
    return SimpleNamespace(extra={"since": since, "until": until})


def test_a_time_triggered_run_models_its_data_interval():
    assert as_of(datetime(2026, 11, 3, tzinfo=UTC), {}) == "2026-11-03"


def test_an_asset_triggered_run_models_the_newest_day_every_input_has():
    events = {"engagement_events": [event("2026-11-02", "2026-11-02"), event("2026-11-04", "2026-11-04")],
              "crm_orders": [event("2026-11-03", "2026-11-03")], "crm_users": [event("2026-11-03", "2026-11-03")]}
    assert as_of(None, events) == "2026-11-03"  # orders are not in for the 4th yet


def test_a_run_without_a_day_says_so():
    with pytest.raises(ValueError, match="no day to model"):
        as_of(None, {})
