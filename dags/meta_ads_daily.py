"""
### meta_ads_daily

Meta ads insights (connection `meta_marketing`) for the UTC day of the run's data interval
and the look-back window before it (param `lookback_days`, default 28: Meta restates
conversions for 28 days).

* `extract_meta_ads`: one mapped task per ad account (`act_<id>`) into the run's staging area.
* `land_meta_ads`: the staged pages become the day's raw partition, replaced whole.
* `clean_meta_ads`: validated against the declared schema; bad rows quarantined with every
  reason; amounts converted with the ECB's reference rates; `pipeline_audit` recorded; fails when
  more than `max_quarantine_share` was quarantined.
* `load_campaign_metrics`: upserts `campaign_metrics_daily` (and each restated version into
  `campaign_metrics_history`); its success is the **Asset `campaign_metrics_daily`**, whose event
  names the days loaded, and triggers `attribution_daily`.
* `check_campaign_metrics_columns` / `_table`: the declared ranges and cross-column rules on the loaded days.
* `check_campaign_metrics_volume`: rows and spend anomalies recorded once each in
  `data_quality_findings` (warnings); fails only when the run's own day is missing while the week
  before had rows, or its spend stopped while campaigns deliver.

Backfill this source alone: `airflow backfill create --dag-id meta_ads_daily --from-date ... --to-date ...`.
"""

from __future__ import annotations

from airflow.providers.common.sql.operators.sql import SQLColumnCheckOperator, SQLTableCheckOperator
from airflow.sdk import Param, dag, task

from socialpulse.config import DEFAULT_LOOKBACK_DAYS, WAREHOUSE_CONN_ID
from socialpulse.transforms.entities import CAMPAIGN_METRICS
from socialpulse_airflow import assets
from socialpulse_airflow.checks import CAMPAIGN_TABLE_CHECKS, column_mapping
from socialpulse_airflow.dag_defaults import failure_summary, quarantine_param, source_dag, warehouse_migrations
from socialpulse_airflow.lookups import day_of

LOADED_DAYS = (
    "metric_date BETWEEN '{{ ti.xcom_pull(task_ids='load_campaign_metrics')['since'] }}' "
    "AND '{{ ti.xcom_pull(task_ids='load_campaign_metrics')['until'] }}'"
)


@dag(
    **source_dag(),
    params={
        "lookback_days": Param(
            DEFAULT_LOOKBACK_DAYS,
            type="integer",
            minimum=0,
            maximum=90,
            description="days before the run's date to pull again (Meta restates up to 28)",
        ),
        "report_mode": Param(
            "async", enum=["async", "sync"], description="Meta insights as an async report job or synchronous pages"
        ),
        "max_quarantine_share": quarantine_param(),
        "volume_tolerance": Param(
            0.75,
            type="number",
            minimum=0,
            description="a day's rows or spend above (1 + this) times, or below 1 / (1 + this) "
            "of, its trailing 7-day median is recorded as a finding",
        ),
        "stop_spend_share": Param(
            0.0,
            type="number",
            minimum=0,
            maximum=1,
            description="fail when the run's day spends at most this share of its trailing "
            "median while its campaigns deliver impressions",
        ),
    },
    tags=["socialpulse", "meta", "ads"],
    doc_md=__doc__,
)
def meta_ads_daily():
    @task
    def meta_ad_accounts(data_interval_start=None, run_id=None) -> list[str]:
        from socialpulse_airflow import meta_ads

        return meta_ads.ad_accounts(day_of(data_interval_start), run_id)

    @task(map_index_template="act_{{ task.op_kwargs['account_id'] }}")
    def extract_meta_ads(account_id: str, data_interval_start=None, run_id=None, params=None) -> dict:
        from socialpulse_airflow import meta_ads

        return meta_ads.extract(account_id, day_of(data_interval_start), run_id, params)

    @task
    def land_meta_ads(extracted: list[dict], data_interval_start=None, run_id=None) -> dict:
        from socialpulse_airflow import meta_ads

        return meta_ads.land(extracted, day_of(data_interval_start), run_id)

    @task
    def clean_meta_ads(landed: dict, data_interval_start=None, run_id=None, params=None) -> dict:
        from socialpulse_airflow import meta_ads

        return meta_ads.clean(day_of(data_interval_start), run_id, params)

    @task(outlets=[assets.CAMPAIGN_METRICS])
    def load_campaign_metrics(cleaned: dict, data_interval_start=None, run_id=None, outlet_events=None) -> dict:
        from socialpulse_airflow import meta_ads

        return meta_ads.load(cleaned, day_of(data_interval_start), run_id, outlet_events)

    @task
    def check_campaign_metrics_volume(loaded: dict, data_interval_start=None, run_id=None, params=None) -> int:
        from socialpulse_airflow import meta_ads

        return meta_ads.check_volume(loaded, day_of(data_interval_start), run_id, params)

    @task
    def enforce_raw_retention(data_interval_start=None) -> dict:
        from socialpulse_airflow import meta_ads, privacy

        return privacy.enforce_retention(day_of(data_interval_start), meta_ads.RAW_FOLDERS, [CAMPAIGN_METRICS.entity])

    accounts = meta_ad_accounts()
    warehouse_migrations() >> accounts  # everything after writes the warehouse (findings, audit, rows)
    cleaned = clean_meta_ads(land_meta_ads(extract_meta_ads.expand(account_id=accounts)))
    loaded = load_campaign_metrics(cleaned)
    column_checks = SQLColumnCheckOperator(
        task_id="check_campaign_metrics_columns",
        conn_id=WAREHOUSE_CONN_ID,
        table=CAMPAIGN_METRICS.table,
        partition_clause=LOADED_DAYS,
        column_mapping=column_mapping(CAMPAIGN_METRICS),
    )
    table_checks = SQLTableCheckOperator(
        task_id="check_campaign_metrics_table",
        conn_id=WAREHOUSE_CONN_ID,
        table=CAMPAIGN_METRICS.table,
        partition_clause=LOADED_DAYS,
        checks=CAMPAIGN_TABLE_CHECKS,
    )
    checks = [column_checks, table_checks, check_campaign_metrics_volume(loaded)]
    loaded >> checks
    [*checks, enforce_raw_retention()] >> failure_summary()


meta_ads_daily()
