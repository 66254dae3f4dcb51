"""Privacy tasks: the daily erasure of the people a CRM drop asks to forget (privacy_erasure), and raw retention."""

from __future__ import annotations

from socialpulse.config import CRM_SOURCE_VARIABLE
from socialpulse_airflow.lineage import lineage
from socialpulse_airflow.lookups import lake_root, pseudonymization_secret, retention_days, variable
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
    return land_requests(source, lake_root(), ds)


@fail_fast
@lineage(inputs=["lake:raw/crm/erasure_requests"], outputs=["warehouse:privacy_erasures"])
def erase(ds: str, run_id: str) -> dict:
    """Everyone the landed requests name, erased from the lake and the warehouse; counts per outcome only."""
    from socialpulse.jobs.erasure import erase_requests

    return in_warehouse(erase_requests, lake_root(), pseudonymization_secret(), ds, run_id)


@fail_fast
def enforce_retention(ds: str, platforms: list[str], entities: list[str]) -> dict:
    """Delete this source's raw and quarantine partitions older than the retention period (default 90 days)."""
    from socialpulse.jobs.retention import enforce_retention

    return enforce_retention(lake_root(), ds, retention_days(), platforms, entities)
