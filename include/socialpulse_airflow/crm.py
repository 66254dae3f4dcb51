"""Tasks of crm_daily: the first-party drop of users and orders, landed and cleaned."""

from __future__ import annotations

from socialpulse.config import CRM_SOURCE_VARIABLE
from socialpulse_airflow.assets import CRM_ORDERS, CRM_USERS, mark_days
from socialpulse_airflow.findings import audited
from socialpulse_airflow.lineage import lineage
from socialpulse_airflow.lookups import currency_kwargs, lake, pseudonymization_secret, variable
from socialpulse_airflow.retries import fail_fast
from socialpulse_airflow.warehouse import published


@fail_fast
@lineage(outputs=["lake:raw/crm/users", "lake:raw/crm/orders"])
def extract(ds: str, run_id: str) -> dict:
    from airflow.sdk.exceptions import AirflowSkipException

    from socialpulse.jobs.crm import extract

    source = variable(CRM_SOURCE_VARIABLE)
    if not source:
        raise AirflowSkipException(f"variable '{CRM_SOURCE_VARIABLE}' is not set: no CRM drop today")
    return extract(source, lake(), ds, run_id)


@fail_fast
@lineage(
    inputs=["lake:raw/crm/users", "lake:raw/crm/orders"],
    outputs=[
        "lake:clean/crm_users",
        "lake:clean/crm_orders",
        "lake:quarantine/crm_users",
        "lake:quarantine/crm_orders",
        "lake:restricted/match_keys",
        "lake:reference/fx_rates",
        "warehouse:pipeline_audit",
        "warehouse:data_quality_findings",
    ],
)
def clean(ds: str, run_id: str, params: dict, outlet_events) -> dict:
    """Users and orders into the clean zone; their asset events name the day."""
    from socialpulse.jobs.crm import clean

    cleaned = audited(clean(lake(), ds, pseudonymization_secret(), **currency_kwargs()), run_id, params)
    mark_days(outlet_events, [CRM_USERS, CRM_ORDERS], ds, ds)
    published("crm_daily", run_id, ds)  # the clean zone is what the CRM publishes
    return cleaned
