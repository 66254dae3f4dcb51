"""
### source_freshness

Every hour, each source DAG's newest loaded day (its entities' newest day in
`pipeline_audit` whose run's publishing step succeeded, `loaded_at`) against its freshness
target: day D loaded by a set UTC hour of D+1 (by default 06:00 for `meta_ads_daily` and
`organic_social_daily`, 08:00 for `crm_daily`; the variable `socialpulse_freshness_hours`,
a JSON object such as `{"crm_daily": 11}`, moves them, and a wrong one fails the check at
once naming it).

* `check_source_freshness`: a source whose day fell due since the last successful check
  (the run's hour, or longer after the scheduler was down) and is not loaded is logged and,
  when the connection `socialpulse_alerts` is set, e-mailed once through the SMTP provider's
  notifier, with a link to the DAG. It returns the late sources.

Airflow's deadline alerts are not used: see docs/alerts.md.
"""

from __future__ import annotations

from airflow.sdk import CronDataIntervalTimetable, dag, task

from socialpulse_airflow.dag_defaults import DEFAULT_ARGS, START_DATE, failure_summary, warehouse_migrations


@dag(
    schedule=CronDataIntervalTimetable("0 * * * *", timezone="UTC"),
    start_date=START_DATE,
    catchup=False,  # hours missed while the scheduler was down are checked by the next run, from the last success
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["socialpulse", "monitoring"],
    doc_md=__doc__,
)
def source_freshness():
    @task
    def check_source_freshness(
        data_interval_start=None, data_interval_end=None, prev_data_interval_end_success=None
    ) -> list[dict]:
        from socialpulse_airflow import alerts

        return alerts.check_sources(data_interval_start, data_interval_end, prev_data_interval_end_success)

    warehouse_migrations() >> check_source_freshness() >> failure_summary()


source_freshness()
