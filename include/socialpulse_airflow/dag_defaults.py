"""What the SocialPulse DAGs share: start date, retries, the daily data interval, migrations, the quarantine gate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.sdk import CronDataIntervalTimetable, Param, task

from socialpulse_airflow.failures import remember_failure, summarize
from socialpulse_airflow.warehouse import migrate_warehouse

START_DATE = datetime(2026, 1, 1, tzinfo=UTC)
# The Celery queue of the TensorFlow and scikit-learn tasks: a worker sized for them serves it (`airflow celery
# worker --queues ml`); every other task goes to Airflow's `default`. Other executors ignore queues.
ML_QUEUE = "ml"
DEFAULT_ARGS = {
    "owner": "socialpulse",
    "retries": 3,
    "retry_delay": timedelta(minutes=1),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=30),
    # for the run's failure summary, which sends one e-mail for the run when the alerts connection is set
    "on_failure_callback": remember_failure,
}


def daily() -> CronDataIntervalTimetable:
    """One UTC day per run (`@daily` gives a zero-width interval in Airflow 3)."""
    return CronDataIntervalTimetable("0 0 * * *", timezone="UTC")


def source_dag() -> dict:
    """What a daily source DAG passes to @dag besides its params, tags and doc."""
    return {
        "schedule": daily(),
        "start_date": START_DATE,
        "catchup": False,
        "max_active_runs": 4,
        "default_args": DEFAULT_ARGS,
    }


def warehouse_migrations():
    """The `apply_warehouse_migrations` task every DAG that writes the warehouse starts with."""

    @task
    def apply_warehouse_migrations() -> list[int]:
        return migrate_warehouse()

    return apply_warehouse_migrations()


def failure_summary():
    """The last task of a DAG: fails naming every task that failed and why (one place to look), else passes."""

    @task(trigger_rule="all_done", on_failure_callback=None)  # it is the summary, not one of its causes
    def summarize_failures(ti=None, dag_run=None) -> None:
        from airflow.sdk import get_current_context

        summarize(
            ti,
            dag_run.dag_id,
            dag_run.run_id,
            [t for t in ti.task.dag.task_ids if t != ti.task_id],
            get_current_context(),
        )

    return summarize_failures()


def quarantine_param() -> Param:
    return Param(
        0.05,
        type="number",
        minimum=0,
        maximum=1,
        description="fail a clean step when more than this share of an entity's rows is quarantined",
    )
