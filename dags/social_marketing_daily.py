"""
### social_marketing_daily

Every day, for the UTC day of the run's data interval:

1. **apply_warehouse_migrations** brings the warehouse schema up to date.
2. **extract_meta_insights** (one mapped task per ad account, named by account)
   pulls campaign insights for the day and the look-back window before it
   (Meta restates conversions for up to 28 days) into the run's staging area.
3. **land_meta_insights** publishes the pages as the day's raw partition,
   replacing any previous one whole.
4. **clean_meta_insights** types the rows into the clean zone (Parquet);
   rows that cannot be typed are quarantined with a reason.
5. **load_campaign_metrics** upserts them into `campaign_metrics_daily`.
6. **check_*** data-quality checks on the loaded dates.

Connections: `meta_marketing` (host, password = token, extra `ad_account_ids`,
`api_version`), `marketing_warehouse` (postgres or sqlite). Variable
`socialpulse_lake_root`. Rerunning a date changes nothing; backfill with
`airflow backfill create --dag-id social_marketing_daily --from-date ... --to-date ...`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.providers.common.sql.operators.sql import SQLColumnCheckOperator, SQLTableCheckOperator
from airflow.sdk import CronDataIntervalTimetable, Param, dag, task

from socialpulse.config import (  # light: names only
    DEFAULT_LAKE_ROOT,
    DEFAULT_LOOKBACK_DAYS,
    LAKE_ROOT_VARIABLE,
    META_MARKETING_CONN_ID,
    WAREHOUSE_CONN_ID,
)

LOADED_DATES = (
    "metric_date BETWEEN '{{ ti.xcom_pull(task_ids='load_campaign_metrics')['since'] }}' "
    "AND '{{ ti.xcom_pull(task_ids='load_campaign_metrics')['until'] }}'"
)
NON_NEGATIVE = {"min": {"geq_to": 0}}
UNIT_INTERVAL = {"min": {"geq_to": 0}, "max": {"leq_to": 1}}
NOT_NULL = {"null_check": {"equal_to": 0}}


def _lake_root() -> str:
    from airflow.sdk import Variable

    return Variable.get(LAKE_ROOT_VARIABLE, default=str(DEFAULT_LAKE_ROOT))


def _meta_connection():
    from airflow.sdk import BaseHook

    from socialpulse.connectors.meta.connection import MetaConnection

    conn = BaseHook.get_connection(META_MARKETING_CONN_ID)
    return MetaConnection.from_fields(conn.host, conn.port, conn.schema, conn.password, conn.extra_dejson)


@dag(
    schedule=CronDataIntervalTimetable("0 0 * * *", timezone="UTC"),
    start_date=datetime(2026, 1, 1, tzinfo=UTC),
    catchup=False,
    max_active_runs=4,
    default_args={
        "owner": "socialpulse",
        "retries": 3,
        "retry_delay": timedelta(minutes=1),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=30),
    },
    params={
        "lookback_days": Param(DEFAULT_LOOKBACK_DAYS, type="integer", minimum=0, maximum=90,
                               description="days before the run's date to pull again (Meta restates up to 28)"),
        "report_mode": Param("async", enum=["async", "sync"],
                             description="Meta insights as an async report job or synchronous pages"),
    },
    tags=["socialpulse", "meta", "ads"],
    doc_md=__doc__,
)
def social_marketing_daily():
    @task
    def apply_warehouse_migrations() -> list[int]:
        from airflow.sdk import BaseHook

        from socialpulse.warehouse import apply_migrations

        conn = BaseHook.get_connection(WAREHOUSE_CONN_ID).get_hook().get_conn()
        try:
            return apply_migrations(conn)
        finally:
            conn.close()

    @task
    def meta_ad_accounts() -> list[str]:
        return list(_meta_connection().account_ids)

    @task(map_index_template="act_{{ task.op_kwargs['account_id'] }}")
    def extract_meta_insights(account_id: str, data_interval_start=None, run_id=None, params=None) -> dict:
        from socialpulse.connectors.meta import GraphClient
        from socialpulse.jobs.meta_ads import Window, extract_account

        settings = _meta_connection()
        client = GraphClient(settings.base_url, settings.token, settings.api_version)
        ds = data_interval_start.date().isoformat()
        window = Window.for_run(ds, int(params["lookback_days"]))
        return extract_account(client, account_id, window, _lake_root(), ds, run_id, params["report_mode"])

    @task
    def land_meta_insights(extracted: list[dict], data_interval_start=None, run_id=None) -> dict:
        from socialpulse.jobs.meta_ads import land

        return land(_lake_root(), data_interval_start.date().isoformat(), run_id, list(extracted))

    @task
    def clean_meta_insights(landed: dict, data_interval_start=None) -> dict:
        from socialpulse.jobs.meta_ads import clean

        return clean(_lake_root(), data_interval_start.date().isoformat())

    @task
    def load_campaign_metrics(cleaned: dict, run_id=None) -> dict:
        from airflow.sdk import BaseHook

        from socialpulse.jobs.meta_ads import load

        conn = BaseHook.get_connection(WAREHOUSE_CONN_ID).get_hook().get_conn()
        try:
            return {**load(conn, cleaned["clean_path"], run_id), "since": cleaned["since"],
                    "until": cleaned["until"]}
        finally:
            conn.close()

    migrated = apply_warehouse_migrations()
    extracted = extract_meta_insights.expand(account_id=meta_ad_accounts())
    loaded = load_campaign_metrics(clean_meta_insights(land_meta_insights(extracted)))
    migrated >> loaded

    column_checks = SQLColumnCheckOperator(
        task_id="check_campaign_metrics_columns",
        conn_id=WAREHOUSE_CONN_ID,
        table="campaign_metrics_daily",
        partition_clause=LOADED_DATES,
        column_mapping={
            **{key: NOT_NULL for key in ("metric_date", "platform", "account_id", "campaign_id")},
            **{count: NON_NEGATIVE for count in ("impressions", "reach", "clicks", "link_clicks",
                                                 "landing_page_views", "likes", "comments", "shares",
                                                 "conversions", "spend", "conversion_value", "cpc", "cpm",
                                                 "cost_per_conversion", "roas")},
            **{rate: UNIT_INTERVAL for rate in ("ctr", "engagement_rate", "conversion_rate")},
        },
    )
    table_checks = SQLTableCheckOperator(
        task_id="check_campaign_metrics_table",
        conn_id=WAREHOUSE_CONN_ID,
        table="campaign_metrics_daily",
        partition_clause=LOADED_DATES,
        checks={
            "rows_loaded": {"check_statement": "COUNT(*) > 0"},
            "reach_within_impressions": {"check_statement": "SUM(CASE WHEN reach > impressions THEN 1 "
                                                            "ELSE 0 END) = 0"},
            "link_clicks_within_clicks": {"check_statement": "SUM(CASE WHEN link_clicks > clicks THEN 1 "
                                                             "ELSE 0 END) = 0"},
        },
    )
    loaded >> [column_checks, table_checks]


social_marketing_daily()
