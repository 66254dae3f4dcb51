"""
### organic_social_daily

Posts and engagement from Facebook Pages and Instagram (connection `meta_graph`) and X
(connection `x_api`), for the UTC day of the run's data interval: the posts created in the
last `post_lookback_days` (default 7) with their insights, comments and engaged users.

* `organic_accounts`: `facebook:<page>`, `instagram:<id>`, `x:<user>`; an unconfigured connection is skipped.
* `extract_organic`: one mapped task per account into the run's staging area.
* `land_organic`: runs whatever happened upstream; lands every platform whose accounts all extracted.
* `clean_organic`: one snapshot row per post and one engagement event per (post, person, kind),
  validated and audited like the ads. People are pseudonymised through the CRM links of the newest
  CRM drop dated before the run's day (landed by `crm_daily` a day earlier), so whichever DAG
  runs first, and however often the day is rerun, a person keeps the same pseudonym.
* `load_post_metrics`: upserts `post_metrics_daily`; its success is the **Assets
  `post_metrics_daily` and `engagement_events`**.
* `check_post_metrics_columns`: the declared ranges on the day's rows.
* `summarize_failures`: the last task; fails the run naming every task that failed and why (each
  failed account's extract with its cause), after the healthy platforms have loaded.

X's monthly post cap is small: backfill this DAG alone, and only when needed.
"""

from __future__ import annotations

from airflow.providers.common.sql.operators.sql import SQLColumnCheckOperator
from airflow.sdk import Param, dag, task

from socialpulse.config import WAREHOUSE_CONN_ID
from socialpulse.transforms.entities import POST_METRICS
from socialpulse_airflow import assets
from socialpulse_airflow.checks import column_mapping
from socialpulse_airflow.dag_defaults import failure_summary, quarantine_param, source_dag, warehouse_migrations
from socialpulse_airflow.lookups import day_of

RUN_DAY = "metric_date = '{{ data_interval_start.strftime('%Y-%m-%d') }}'"


@dag(
    **source_dag(),
    params={
        "post_lookback_days": Param(
            7,
            type="integer",
            minimum=0,
            maximum=90,
            description="snapshot the metrics of posts created this many days back",
        ),
        "max_quarantine_share": quarantine_param(),
    },
    tags=["socialpulse", "organic", "facebook", "instagram", "x"],
    doc_md=__doc__,
)
def organic_social_daily():
    @task
    def organic_accounts(data_interval_start=None, run_id=None) -> list[str]:
        from socialpulse_airflow import organic

        return organic.accounts(day_of(data_interval_start), run_id)

    @task(map_index_template="{{ task.op_kwargs['source'] }}")
    def extract_organic(source: str, data_interval_start=None, run_id=None, params=None) -> dict:
        from socialpulse_airflow import organic

        return organic.extract(source, day_of(data_interval_start), run_id, params)

    @task(trigger_rule="all_done")
    def land_organic(extracted: list[dict], sources: list[str], data_interval_start=None, run_id=None) -> dict:
        from socialpulse_airflow import organic

        return organic.land(extracted, sources, day_of(data_interval_start), run_id)

    @task
    def clean_organic(landed: dict, data_interval_start=None, run_id=None, params=None) -> dict:
        from socialpulse_airflow import organic

        return organic.clean(landed, day_of(data_interval_start), run_id, params)

    @task(outlets=[assets.POST_METRICS, assets.ENGAGEMENT_EVENTS])
    def load_post_metrics(cleaned: dict, data_interval_start=None, run_id=None, outlet_events=None) -> dict:
        from socialpulse_airflow import organic

        return organic.load(cleaned, day_of(data_interval_start), run_id, outlet_events)

    @task
    def enforce_raw_retention(data_interval_start=None) -> dict:
        from socialpulse_airflow import organic, privacy

        return privacy.enforce_retention(day_of(data_interval_start), organic.RAW_FOLDERS, organic.CLEAN_ENTITIES)

    sources = organic_accounts()
    warehouse_migrations() >> sources  # everything after writes the warehouse (findings, audit, rows)
    landed = land_organic(extract_organic.expand(source=sources), sources)
    cleaned = clean_organic(landed)
    loaded = load_post_metrics(cleaned)
    checked = SQLColumnCheckOperator(
        task_id="check_post_metrics_columns",
        conn_id=WAREHOUSE_CONN_ID,
        table=POST_METRICS.table,
        partition_clause=RUN_DAY,
        column_mapping=column_mapping(POST_METRICS),
    )
    loaded >> checked
    [checked, enforce_raw_retention()] >> failure_summary()


organic_social_daily()
