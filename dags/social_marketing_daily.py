"""
### social_marketing_daily

Every day, for the UTC day of the run's data interval, from every configured source:

* **Meta ads** (connection `meta_marketing`): `extract_meta_insights`, one mapped task per
  ad account (`act_<id>`), pulls campaign insights for the day and the look-back window
  (Meta restates conversions for 28 days); `land_meta_insights` publishes the raw partition
  whole; `clean_meta_insights` types it; `load_campaign_metrics` upserts
  `campaign_metrics_daily`; the `check_*` tasks test the loaded dates.
* **Organic** (connections `meta_graph` for Facebook Pages and Instagram, `x_api` for X):
  `extract_organic`, one mapped task per account (`facebook:<page>`, `instagram:<id>`,
  `x:<user>`), pulls posts created in the last `post_lookback_days` days with their insights,
  comments and engaged users; `land_organic` publishes every platform whose accounts all
  succeeded; `clean_organic` builds post snapshots and engagement events;
  `load_post_metrics` upserts `post_metrics_daily`.
* **First-party** (variable `socialpulse_crm_source`): `extract_crm` lands the day's
  users.csv and orders.csv, `clean_crm` types them, `credit_orders` credits orders to
  campaigns by `utm_campaign`.
* `report_sources` ends the run failed, naming each platform or account that failed,
  after the healthy ones have landed and loaded.

Every clean step validates against declared schemas, quarantines bad rows with their
reasons under `quarantine/`, records `pipeline_audit` and fails when more than the param
`max_quarantine_share` (default 5%) of an entity was quarantined. People are pseudonymised
with the key in connection `socialpulse_pseudonymization`; amounts are converted to the
variable `socialpulse_reporting_currency` (default USD). `load_campaign_metrics` also keeps
every restated version in `campaign_metrics_history`; the `check_*` tasks gate the loaded
dates; `enforce_raw_retention` deletes raw partitions older than
`socialpulse_raw_retention_days` (default 90).

A source whose connection or variable is not configured is skipped with a log line.
Rerunning a date changes nothing; backfill with
`airflow backfill create --dag-id social_marketing_daily --from-date ... --to-date ...`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from airflow.providers.common.sql.operators.sql import SQLColumnCheckOperator, SQLTableCheckOperator
from airflow.sdk import CronDataIntervalTimetable, Param, dag, task

from socialpulse.config import (  # light: names only
    CRM_SOURCE_VARIABLE,
    DEFAULT_LOOKBACK_DAYS,
    META_GRAPH_CONN_ID,
    RAW_RETENTION_VARIABLE,
    WAREHOUSE_CONN_ID,
    X_API_CONN_ID,
)
from socialpulse_airflow import (
    audited,
    connection_settings,
    currency_kwargs,
    in_warehouse,
    lake_root,
    meta_connection,
    migrate_warehouse,
    pseudonymization_key,
)

LOADED_DATES = (
    "metric_date BETWEEN '{{ ti.xcom_pull(task_ids='load_campaign_metrics')['since'] }}' "
    "AND '{{ ti.xcom_pull(task_ids='load_campaign_metrics')['until'] }}'"
)
RUN_DAY = "metric_date = '{{ data_interval_start.strftime('%Y-%m-%d') }}'"
NON_NEGATIVE = {"min": {"geq_to": 0}}
UNIT_INTERVAL = {"min": {"geq_to": 0}, "max": {"leq_to": 1}}
NOT_NULL = {"null_check": {"equal_to": 0}}


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
        "post_lookback_days": Param(7, type="integer", minimum=0, maximum=90,
                                    description="snapshot the metrics of posts created this many days back"),
        "max_quarantine_share": Param(0.05, type="number", minimum=0, maximum=1,
                                      description="fail a clean step when more than this share of an entity's "
                                                  "rows is quarantined"),
        "volume_tolerance": Param(0.75, type="number", minimum=0,
                                  description="a day's rows or spend fail above (1 + this) times, or below "
                                              "1 / (1 + this) of, the median of the 7 days before it"),
    },
    tags=["socialpulse", "meta", "ads"],
    doc_md=__doc__,
)
def social_marketing_daily():
    @task
    def apply_warehouse_migrations() -> list[int]:
        return migrate_warehouse()

    @task
    def meta_ad_accounts() -> list[str]:
        return list(meta_connection().account_ids)

    @task(map_index_template="act_{{ task.op_kwargs['account_id'] }}")
    def extract_meta_insights(account_id: str, data_interval_start=None, run_id=None, params=None) -> dict:
        from socialpulse.connectors.meta import GraphClient
        from socialpulse.jobs.meta_ads import Window, extract_account

        settings = meta_connection()
        client = GraphClient(settings.base_url, settings.token, settings.api_version)
        ds = data_interval_start.date().isoformat()
        window = Window.for_run(ds, int(params["lookback_days"]))
        return extract_account(client, account_id, window, lake_root(), ds, run_id, params["report_mode"])

    @task
    def land_meta_insights(extracted: list[dict], data_interval_start=None, run_id=None) -> dict:
        from socialpulse.jobs.meta_ads import land

        return land(lake_root(), data_interval_start.date().isoformat(), run_id, list(extracted))

    @task
    def clean_meta_insights(landed: dict, data_interval_start=None, run_id=None, params=None) -> dict:
        from socialpulse.jobs.meta_ads import clean

        return audited(clean(lake_root(), data_interval_start.date().isoformat(), **currency_kwargs()), run_id, params)

    @task
    def load_campaign_metrics(cleaned: dict, run_id=None) -> dict:
        from socialpulse.jobs.meta_ads import load

        return {**in_warehouse(load, cleaned["clean_path"], run_id), "since": cleaned["since"],
                "until": cleaned["until"]}

    @task
    def organic_accounts() -> list[str]:
        from socialpulse.connectors.meta.connection import GraphSources
        from socialpulse.connectors.x.connection import XSettings

        graph = connection_settings(META_GRAPH_CONN_ID, GraphSources)
        x = connection_settings(X_API_CONN_ID, XSettings)
        return ([f"{platform}:{account}" for platform, account in graph.sources] if graph else []) + \
            ([f"x:{user}" for user in x.user_ids] if x else [])

    @task(map_index_template="{{ task.op_kwargs['source'] }}")
    def extract_organic(source: str, data_interval_start=None, run_id=None, params=None) -> dict:
        from socialpulse.connectors.meta import GraphClient
        from socialpulse.connectors.meta.connection import GraphSources
        from socialpulse.connectors.x import XClient
        from socialpulse.connectors.x.connection import XSettings
        from socialpulse.jobs.organic import extract_account

        platform, account = source.split(":", 1)
        if platform == "x":
            x = connection_settings(X_API_CONN_ID, XSettings)
            client = XClient(x.base_url, x.bearer_token)
        else:
            graph = connection_settings(META_GRAPH_CONN_ID, GraphSources)
            client = GraphClient(graph.base_url, graph.token, graph.api_version)
        return extract_account(client, platform, account, data_interval_start.date().isoformat(),
                               int(params["post_lookback_days"]), lake_root(), run_id)

    @task(trigger_rule="all_done")
    def land_organic(extracted: list[dict], sources: list[str], data_interval_start=None, run_id=None) -> dict:
        """Land each platform whose accounts all extracted; name the others."""
        from socialpulse.jobs.landing import land
        from socialpulse.jobs.organic import ENTITY, platforms_ready

        ready, failed = platforms_ready(sources, list(extracted or []))
        ds = data_interval_start.date().isoformat()
        for platform in ready:
            land(lake_root(), platform, ENTITY, ds, run_id, list(extracted))
        return {"landed": ready, "failed": failed}

    @task(trigger_rule="all_done")  # after extract_crm whatever its fate: its CRM links join people across platforms
    def clean_organic(data_interval_start=None, run_id=None, params=None, ti=None) -> dict:
        from airflow.sdk.exceptions import AirflowFailException, AirflowSkipException

        from socialpulse.jobs.organic import clean

        landed = ti.xcom_pull(task_ids="land_organic")
        if landed is None:
            raise AirflowFailException("land_organic did not finish: see its log")
        if not landed["landed"]:
            raise AirflowSkipException("no organic platform landed today")
        cleaned = clean(lake_root(), data_interval_start.date().isoformat(), landed["landed"], pseudonymization_key())
        return audited(cleaned, run_id, params)

    @task
    def load_post_metrics(cleaned: dict, run_id=None) -> dict:
        from socialpulse.jobs.organic import load

        return in_warehouse(load, cleaned["clean_path"], run_id)

    @task
    def extract_crm(data_interval_start=None, run_id=None) -> dict:
        from airflow.sdk import Variable
        from airflow.sdk.exceptions import AirflowSkipException

        from socialpulse.jobs.first_party import extract

        source = Variable.get(CRM_SOURCE_VARIABLE, default=None)
        if not source:
            raise AirflowSkipException(f"variable '{CRM_SOURCE_VARIABLE}' is not set: no CRM drop today")
        return extract(source, lake_root(), data_interval_start.date().isoformat(), run_id)

    @task
    def clean_crm(extracted: dict, data_interval_start=None, run_id=None, params=None) -> dict:
        from socialpulse.jobs.first_party import clean

        ds = data_interval_start.date().isoformat()
        return audited(clean(lake_root(), ds, pseudonymization_key(), **currency_kwargs()), run_id, params)

    @task
    def credit_orders(cleaned: dict, data_interval_start=None) -> dict:
        from socialpulse.jobs.first_party import credit

        return in_warehouse(credit, cleaned["orders"]["clean_path"], data_interval_start.date().isoformat())

    @task
    def check_campaign_metrics_volume(loaded: dict, params=None) -> list[str]:
        """Each loaded day's rows and spend against its trailing 7-day median; short history only warns."""
        import logging
        from datetime import date

        from airflow.sdk.exceptions import AirflowFailException

        from socialpulse.warehouse.volume import check_volume

        findings = in_warehouse(check_volume, date.fromisoformat(loaded["since"]), date.fromisoformat(loaded["until"]),
                                 float(params["volume_tolerance"]))
        for finding in findings:
            logging.getLogger(__name__).warning("%s", finding.describe())
        failed = [f.describe() for f in findings if f.failed]
        if failed:
            raise AirflowFailException(f"days off their trailing median by more than a factor of "
                                       f"{1 + params['volume_tolerance']:g}: {failed}")
        return [f.describe() for f in findings]

    @task
    def enforce_raw_retention(data_interval_start=None) -> dict:
        """Delete raw and quarantine partitions older than the retention period (variable, default 90 days)."""
        from airflow.sdk import Variable

        from socialpulse.jobs.privacy import DEFAULT_RAW_RETENTION_DAYS, enforce_retention

        days = int(Variable.get(RAW_RETENTION_VARIABLE, default=DEFAULT_RAW_RETENTION_DAYS))
        return enforce_retention(lake_root(), data_interval_start.date().isoformat(), days)

    @task(trigger_rule="all_done")
    def report_sources(ad_accounts: list[str] | None, sources: list[str] | None) -> None:
        """Fail the run naming every source that failed, once the healthy ones have loaded."""
        from airflow.sdk import get_current_context

        from socialpulse.jobs.organic import failed_sources

        ti = get_current_context()["ti"]
        meta = [e for e in ti.xcom_pull(task_ids="extract_meta_insights", default=[]) or [] if e]
        organic = [e for e in ti.xcom_pull(task_ids="extract_organic", default=[]) or [] if e]
        failures = failed_sources([f"meta_ads:{a}" for a in ad_accounts or []] + list(sources or []),
                                  [*({**e, "platform": "meta_ads"} for e in meta), *organic])
        if failures:
            raise RuntimeError(f"sources that failed today (the others loaded): {failures}; "
                               "see the extract task of each for why")

    migrated = apply_warehouse_migrations()
    ad_accounts = meta_ad_accounts()
    extracted = extract_meta_insights.expand(account_id=ad_accounts)
    ads_cleaned = clean_meta_insights(land_meta_insights(extracted))
    loaded = load_campaign_metrics(ads_cleaned)

    sources = organic_accounts()
    organic = extract_organic.expand(source=sources)
    crm_extracted = extract_crm()
    organic_cleaned = clean_organic()
    [land_organic(organic, sources), crm_extracted] >> organic_cleaned
    posts_loaded = load_post_metrics(organic_cleaned)

    crm_cleaned = clean_crm(crm_extracted)
    credited = credit_orders(crm_cleaned)
    loaded >> credited
    migrated >> [ads_cleaned, organic_cleaned, crm_cleaned]  # their audit goes to pipeline_audit
    enforce_raw_retention()

    reported = report_sources(ad_accounts, sources)
    [loaded, posts_loaded, credited] >> reported

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
                                                 "cost_per_conversion", "roas", "spend_reporting",
                                                 "conversion_value_reporting", "fx_rate")},
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
            "keys_unique": {"check_statement": "COUNT(*) = COUNT(DISTINCT metric_date || '|' || platform || '|' || "
                                               "account_id || '|' || campaign_id)"},
            "reach_within_impressions": {"check_statement": "SUM(CASE WHEN reach > impressions THEN 1 "
                                                            "ELSE 0 END) = 0"},
            "link_clicks_within_clicks": {"check_statement": "SUM(CASE WHEN link_clicks > clicks THEN 1 "
                                                             "ELSE 0 END) = 0"},
        },
    )
    loaded >> [column_checks, table_checks, check_campaign_metrics_volume(loaded)]

    post_checks = SQLColumnCheckOperator(
        task_id="check_post_metrics_columns",
        conn_id=WAREHOUSE_CONN_ID,
        table="post_metrics_daily",
        partition_clause=RUN_DAY,
        column_mapping={
            **{key: NOT_NULL for key in ("metric_date", "platform", "account_id", "post_id", "created_at")},
            **{count: NON_NEGATIVE for count in ("impressions", "reach", "likes", "comments", "shares", "saves",
                                                 "clicks", "engagement_rate")},
        },
    )
    posts_loaded >> post_checks

    @task(trigger_rule="none_failed")
    def run_complete() -> None:
        """A leaf that fails (upstream_failed) when any step did, so the run is marked failed; skips are fine."""

    [reported, credited, posts_loaded, post_checks, column_checks, table_checks] >> run_complete()


social_marketing_daily()
