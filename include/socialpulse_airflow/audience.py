"""Tasks of audience_intelligence: profiles, segments, propensity, targeting, recommendations, the report."""

from __future__ import annotations

from datetime import datetime

from socialpulse_airflow.failures import fail_fast
from socialpulse_airflow.settings import day_of, lake_root
from socialpulse_airflow.warehouse import in_warehouse


def as_of(data_interval_start: datetime | None, triggering_asset_events) -> str:
    """The day to model: the run's own on the time schedule; on assets, the newest day every input has.

    Each triggering asset names the days its load changed; the audience needs all of
    them, so the as-of date is the smallest of the inputs' newest days.
    """
    newest = {}
    for asset, events in (triggering_asset_events or {}).items():
        days = [e.extra["until"] for e in events if (e.extra or {}).get("until")]
        if days:
            newest[str(asset)] = max(days)
    if newest:
        return min(newest.values())
    if data_interval_start is None:
        raise ValueError("this run has neither a data interval nor triggering asset events: no day to model")
    return day_of(data_interval_start)


@fail_fast
def profile(ds: str) -> dict:
    from socialpulse.jobs.audience import profile

    return profile(lake_root(), ds)


@fail_fast
def segment(ds: str, run_id: str) -> dict:
    from socialpulse.jobs.audience import segment

    return in_warehouse(segment, lake_root(), ds, run_id)


@fail_fast
def train_propensity(ds: str, run_id: str) -> dict:
    from socialpulse.jobs.propensity import train

    return in_warehouse(train, lake_root(), ds, run_id)


@fail_fast
def target(ds: str, run_id: str, params: dict) -> dict:
    from socialpulse.jobs.audience import target

    return in_warehouse(target, lake_root(), ds, run_id, int(params["exclude_recent_buyers_days"]),
                        int(params["max_audience_size"]))


@fail_fast
def recommend(ds: str, run_id: str) -> dict:
    from socialpulse.jobs.audience import recommend

    return in_warehouse(recommend, lake_root(), ds, run_id)


@fail_fast
def report(ds: str) -> dict:
    from socialpulse.jobs.audience_report import build

    return in_warehouse(build, lake_root(), ds)
