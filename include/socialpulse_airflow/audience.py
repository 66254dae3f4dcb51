"""Tasks of audience_intelligence: profiles, segments, propensity, targeting, recommendations, the report."""

from __future__ import annotations

from socialpulse_airflow.retries import fail_fast
from socialpulse_airflow.settings import lake_root
from socialpulse_airflow.warehouse import in_warehouse


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
