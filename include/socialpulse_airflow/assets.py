"""The Assets the source DAGs produce: what a load task's success means for the DAGs scheduled on it.

A load task's outlet event carries the days it changed in its `extra`
({"since": "YYYY-MM-DD", "until": "YYYY-MM-DD"}), so a consumer redoes only those.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import Asset

from socialpulse_airflow.lookups import day_of

CAMPAIGN_METRICS = Asset(name="campaign_metrics_daily", group="warehouse")
POST_METRICS = Asset(name="post_metrics_daily", group="warehouse")
ENGAGEMENT_EVENTS = Asset(name="engagement_events", group="lake")
CRM_USERS = Asset(name="crm_users", group="lake")
CRM_ORDERS = Asset(name="crm_orders", group="lake")
TARGET_AUDIENCES = Asset(name="target_audiences", group="warehouse")  # audience_intelligence's lists, per brief


def mark_days(outlet_events, assets: list[Asset], since: str, until: str) -> None:
    """Put the changed days on each asset's event, for the consumers."""
    for asset in assets:
        outlet_events[asset].extra = {"since": since, "until": until}


def days_of_events(triggering_asset_events) -> set[str]:
    """Every day the triggering asset events say changed (empty for a run on the time schedule)."""
    from datetime import date, timedelta

    days: set[str] = set()
    for events in (triggering_asset_events or {}).values():
        for event in events:
            extra = event.extra or {}
            if "since" in extra and "until" in extra:
                day, until = date.fromisoformat(extra["since"]), date.fromisoformat(extra["until"])
                while day <= until:
                    days.add(day.isoformat())
                    day += timedelta(days=1)
    return days


def newest_common_day(data_interval_start: datetime | None, triggering_asset_events) -> str:
    """The day a consumer of several inputs reads: its own on the time schedule; on assets, the newest every input has.

    Each triggering asset names the days its load changed; the consumer needs all of
    them, so the day is the smallest of the inputs' newest days.
    """
    newest = {}
    for asset, events in (triggering_asset_events or {}).items():
        days = [e.extra["until"] for e in events if (e.extra or {}).get("until")]
        if days:
            newest[str(asset)] = max(days)
    if newest:
        return min(newest.values())
    if data_interval_start is None:
        raise ValueError("this run has neither a data interval nor triggering asset events: no day to read")
    return day_of(data_interval_start)
