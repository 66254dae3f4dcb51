"""Tasks of meta_ads_daily: Meta ads insights per ad account, landed, cleaned, loaded and checked."""

from __future__ import annotations

import logging

from socialpulse.config import META_MARKETING_CONN_ID
from socialpulse_airflow.assets import CAMPAIGN_METRICS, mark_days
from socialpulse_airflow.findings import audited, check_api_version
from socialpulse_airflow.lineage import lineage
from socialpulse_airflow.lookups import currency_kwargs, lake, required_connection
from socialpulse_airflow.retries import fail_fast
from socialpulse_airflow.warehouse import in_warehouse, published

log = logging.getLogger(__name__)
# The ads' raw zone, and where it was before it was named meta_ads like everywhere else: retention ages both.
RAW_FOLDERS = ["meta_ads", "meta_marketing"]


def _connection():
    from socialpulse.connectors.meta.connection import MetaAdsConnection

    return required_connection(META_MARKETING_CONN_ID, MetaAdsConnection, "Meta ads")


@fail_fast
def ad_accounts(ds: str, run_id: str) -> list[str]:
    """The connection's ad accounts; a Marketing API version past Meta's end of life is a warning and a finding."""
    from socialpulse.connectors.meta.versions import MARKETING

    connection = _connection()
    check_api_version(connection, MARKETING, ds, run_id)
    return list(connection.account_ids)


@fail_fast
def extract(account_id: str, ds: str, run_id: str, params: dict) -> dict:
    from socialpulse.jobs.meta_ads import Window, extract_account

    window = Window.for_run(ds, int(params["lookback_days"]))
    return extract_account(_connection().client(), account_id, window, lake(), ds, run_id, params["report_mode"])


@fail_fast
@lineage(outputs=["lake:raw/meta_ads/ads_insights"])
def land(extracted: list[dict], ds: str, run_id: str) -> dict:
    from socialpulse.jobs.meta_ads import land

    return land(lake(), ds, run_id, list(extracted))


@fail_fast
@lineage(
    inputs=["lake:raw/meta_ads/ads_insights"],
    outputs=[
        "lake:clean/campaign_metrics",
        "lake:quarantine/campaign_metrics",
        "lake:reference/fx_rates",
        "warehouse:pipeline_audit",
        "warehouse:data_quality_findings",
    ],
)
def clean(ds: str, run_id: str, params: dict) -> dict:
    from socialpulse.jobs.meta_ads import clean

    return audited(clean(lake(), ds, **currency_kwargs()), run_id, params)


@fail_fast
@lineage(
    inputs=["lake:clean/campaign_metrics"],
    outputs=["warehouse:campaign_metrics_daily", "warehouse:campaign_metrics_history", "warehouse:pipeline_audit"],
)
def load(cleaned: dict, ds: str, run_id: str, outlet_events) -> dict:
    """Upsert the clean partition; the asset event names the days loaded; the run's day counts as loaded."""
    from socialpulse.jobs.meta_ads import load

    mark_days(outlet_events, [CAMPAIGN_METRICS], cleaned["since"], cleaned["until"])
    loaded = in_warehouse(load, lake(), cleaned["clean_path"], run_id)
    published("meta_ads_daily", run_id, ds)
    return {**loaded, "since": cleaned["since"], "until": cleaned["until"]}


@fail_fast
@lineage(inputs=["warehouse:campaign_metrics_daily"], outputs=["warehouse:data_quality_findings"])
def check_volume(loaded: dict, ds: str, run_id: str, params: dict) -> int:
    """Record rows and spend anomalies once each, as warnings; fail only on a missing day or a spend stop."""
    from datetime import date

    from airflow.sdk.exceptions import AirflowFailException

    from socialpulse.warehouse.volume import check_volume

    new, errors = in_warehouse(
        check_volume,
        date.fromisoformat(ds),
        date.fromisoformat(loaded["since"]),
        date.fromisoformat(loaded["until"]),
        run_id,
        float(params["volume_tolerance"]),
        float(params["stop_spend_share"]),
    )
    for finding in new:
        log.warning("data quality %s (%s): %s", finding.severity, finding.check_name, finding.detail)
    if errors:
        raise AirflowFailException("; ".join(e.detail for e in errors))
    return len(new)
