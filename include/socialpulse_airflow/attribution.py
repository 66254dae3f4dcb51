"""Tasks of attribution_daily: crediting CRM orders to the campaigns they came through."""

from __future__ import annotations

from datetime import datetime

from socialpulse_airflow.assets import days_of_events
from socialpulse_airflow.lineage import lineage
from socialpulse_airflow.lookups import day_of, lake
from socialpulse_airflow.retries import fail_fast
from socialpulse_airflow.warehouse import in_warehouse


@fail_fast
@lineage(inputs=["lake:clean/crm_orders"], outputs=["warehouse:campaign_metrics_daily"])
def credit(data_interval_start: datetime | None, triggering_asset_events) -> dict:
    """Credit every day the triggering loads changed, and the run's own day on the time schedule."""
    import logging

    from socialpulse.jobs.attribution import credit_days

    days = days_of_events(triggering_asset_events)
    if data_interval_start is not None:
        days.add(day_of(data_interval_start))
    log = logging.getLogger(__name__)
    if not days:
        log.warning("no day to credit: this run has neither a data interval nor triggering asset events")
    log.info("crediting %d days: %s", len(days), sorted(days))
    return in_warehouse(credit_days, lake(), sorted(days))
