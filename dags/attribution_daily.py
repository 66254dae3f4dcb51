"""
### attribution_daily

Credits each day's CRM orders (by `utm_campaign`) and their revenue in the reporting
currency to `campaign_metrics_daily.attributed_orders` / `attributed_revenue`.

Scheduled on the **Assets `campaign_metrics_daily` or `crm_orders`**, and daily on the
time schedule too (so it can be backfilled): it needs both sources, which load on their
own schedules and may be backfilled apart. A run triggered by a load credits exactly the
days that load changed (its asset event names them); a run on the time schedule credits
its own day. Every day is recomputed whole from what both sources hold at that moment,
so the result is the same whichever source loaded first; a day whose orders have not
landed is left null until they do. Several loads queued before it runs collapse into one
run that credits all their days.
"""

from __future__ import annotations

from airflow.sdk import AssetOrTimeSchedule, dag, task

from socialpulse_airflow.assets import CAMPAIGN_METRICS, CRM_ORDERS
from socialpulse_airflow.dag_defaults import DEFAULT_ARGS, START_DATE, daily, failure_summary, warehouse_migrations


@dag(
    schedule=AssetOrTimeSchedule(timetable=daily(), assets=(CAMPAIGN_METRICS | CRM_ORDERS)),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,  # credits rewrite the same rows: one at a time
    default_args=DEFAULT_ARGS,
    tags=["socialpulse", "attribution"],
    doc_md=__doc__,
)
def attribution_daily():
    @task
    def credit_orders(data_interval_start=None, triggering_asset_events=None) -> dict:
        from socialpulse_airflow import attribution

        return attribution.credit(data_interval_start, triggering_asset_events)

    warehouse_migrations() >> credit_orders() >> failure_summary()


attribution_daily()
