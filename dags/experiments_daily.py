"""
### experiments_daily

Reads every declared A/B experiment each day with statistics that stay valid however
often they are read (docs/experiments.md): for every look since an experiment's start,
each arm's primary and guardrail metrics with always-valid confidence intervals, the lift
against the control with its always-valid interval and p-value, a sample-ratio-mismatch
check against the planned split, and a decision (`keep_running`, `winner`,
`no_meaningful_difference`, `guardrail_harmed`, `sample_ratio_mismatch`) in
`experiment_results`; a chart per experiment under `reports/experiments/ds=<day>/`.

Experiments are declared in `experiments.yaml` (or the file the variable
`socialpulse_experiments_file` names) and in the variable `socialpulse_experiments`.

A DAG of its own, not tasks of attribution: it is read by other people, on its own
failures (a malformed declaration stops it, not the crediting of orders), and can be
paused or backfilled alone. Scheduled on the **Assets `campaign_metrics_daily` and
`crm_orders` and `crm_users`**, or daily on time (so it can be backfilled): a run
triggered by the loads reads up to the newest day both sources have. Each run recomputes
every look up to its day with the data as they stand (restated conversions included), so
a rerun gives the same rows.
"""

from __future__ import annotations

from airflow.sdk import AssetOrTimeSchedule, dag, task

from socialpulse_airflow.assets import CAMPAIGN_METRICS, CRM_ORDERS, CRM_USERS, newest_common_day
from socialpulse_airflow.dag_defaults import DEFAULT_ARGS, START_DATE, daily, failure_summary, warehouse_migrations


@dag(
    schedule=AssetOrTimeSchedule(timetable=daily(), assets=(CAMPAIGN_METRICS & CRM_ORDERS & CRM_USERS)),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,  # each run replaces the looks up to its day
    default_args=DEFAULT_ARGS,
    tags=["socialpulse", "experiments"],
    doc_md=__doc__,
)
def experiments_daily():
    @task
    def pick_as_of_date(data_interval_start=None, triggering_asset_events=None) -> str:
        return newest_common_day(data_interval_start, triggering_asset_events)

    @task
    def evaluate_experiments(day: str, run_id=None) -> dict:
        from socialpulse_airflow import experiments

        return experiments.evaluate(day, run_id)

    day = pick_as_of_date()
    warehouse_migrations() >> day
    evaluate_experiments(day) >> failure_summary()


experiments_daily()
