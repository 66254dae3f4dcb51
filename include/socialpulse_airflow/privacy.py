"""Privacy tasks: the daily erasure of the people a CRM drop asks to forget (privacy_erasure), and raw retention."""

from __future__ import annotations

from socialpulse.config import CRM_SOURCE_VARIABLE
from socialpulse_airflow.lineage import lineage
from socialpulse_airflow.lookups import lake, pseudonymization_secret, retention_days, variable
from socialpulse_airflow.retries import fail_fast
from socialpulse_airflow.warehouse import in_warehouse


@fail_fast
@lineage(outputs=["lake:raw/crm/erasure_requests"])
def land_requests(ds: str) -> dict:
    """The erasure_requests.csv of the look-back's drops into the raw zone; skipped without a CRM source."""
    from airflow.sdk.exceptions import AirflowSkipException

    from socialpulse.jobs.erasure import land_requests

    source = variable(CRM_SOURCE_VARIABLE)
    if not source:
        raise AirflowSkipException(f"variable '{CRM_SOURCE_VARIABLE}' is not set: no CRM drop, no erasure requests")
    return land_requests(source, lake(), ds)


@fail_fast
@lineage(inputs=["lake:raw/crm/erasure_requests"], outputs=["warehouse:privacy_erasures"])
def erase(ds: str, run_id: str) -> dict:
    """Everyone the landed requests name, erased from the lake and the warehouse; counts per outcome only."""
    from socialpulse.jobs.erasure import erase_requests

    return in_warehouse(erase_requests, lake(), pseudonymization_secret(), ds, run_id)


@fail_fast
@lineage(
    inputs=["warehouse:audience_sync_rows"],
    outputs=["warehouse:audience_syncs", "warehouse:audience_sync_rows"],
)
def forget_on_platforms(run_id: str) -> dict:
    """Everyone erased removed from every audience sent to Meta, then their rows there; counts only."""
    from socialpulse.jobs.activation import forget_erased

    return in_warehouse(forget_erased, _meta_client, lake(), run_id)


def _meta_client():
    """The Meta client, when erased people are on audiences sent to it: without the connection, the task fails."""
    from airflow.sdk.exceptions import AirflowFailException

    from socialpulse.config import META_MARKETING_CONN_ID
    from socialpulse.connectors.meta.connection import MetaAdsConnection
    from socialpulse_airflow.lookups import platform_connection

    connection = platform_connection(META_MARKETING_CONN_ID, MetaAdsConnection)
    if connection is None:
        raise AirflowFailException(
            f"people erased on request are on audiences sent to Meta, but connection '{META_MARKETING_CONN_ID}' is "
            "not configured: configure it, then run privacy_erasure again to remove them there"
        )
    return connection.client()


@fail_fast
def enforce_retention(ds: str, platforms: list[str], entities: list[str]) -> dict:
    """Delete this source's raw and quarantine partitions older than the retention period (default 90 days)."""
    from socialpulse.jobs.retention import enforce_retention

    return enforce_retention(lake(), ds, retention_days(), platforms, entities)
