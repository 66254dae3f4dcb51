"""The Airflow side the SocialPulse DAGs share: connections and variables, the warehouse, the audit gate.

Kept apart from `socialpulse`, which knows nothing of Airflow. Plain functions
called inside tasks; they import Airflow and the library lazily, so DAG files
that import this stay light to parse.
"""

from __future__ import annotations

from socialpulse.config import (  # light: names only
    DEFAULT_LAKE_ROOT,
    FX_RATES_SOURCE_VARIABLE,
    LAKE_ROOT_VARIABLE,
    META_MARKETING_CONN_ID,
    PSEUDONYMIZATION_CONN_ID,
    REPORTING_CURRENCY_VARIABLE,
    WAREHOUSE_CONN_ID,
)


def lake_root() -> str:
    from airflow.sdk import Variable

    return Variable.get(LAKE_ROOT_VARIABLE, default=str(DEFAULT_LAKE_ROOT))


def connection_settings(conn_id: str, settings_class):
    """The library's settings object for a connection, or None (logged) when it is not configured."""
    import logging

    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        conn = BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        logging.getLogger(__name__).warning("connection '%s' is not configured: skipping its source", conn_id)
        return None
    return settings_class.from_fields(conn.host, conn.port, conn.schema, conn.password, conn.extra_dejson)


def meta_connection():
    from airflow.sdk.exceptions import AirflowSkipException

    from socialpulse.connectors.meta.connection import MetaConnection

    settings = connection_settings(META_MARKETING_CONN_ID, MetaConnection)
    if settings is None:
        raise AirflowSkipException(f"connection '{META_MARKETING_CONN_ID}' is not configured: no Meta ads today")
    return settings


def pseudonymization_key() -> str:
    """The HMAC key of connection socialpulse_pseudonymization; without it no person may leave the raw zone."""
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowFailException, AirflowNotFoundException

    try:
        key = BaseHook.get_connection(PSEUDONYMIZATION_CONN_ID).password
    except AirflowNotFoundException:
        key = None
    if not key:
        raise AirflowFailException(f"connection '{PSEUDONYMIZATION_CONN_ID}' has no password: set it to a random "
                                   "secret of at least 16 bytes; user ids are pseudonymised under it")
    return key


def currency_kwargs() -> dict:
    """Keyword arguments of the clean steps that convert amounts."""
    from airflow.sdk import Variable

    return {"rates_source": Variable.get(FX_RATES_SOURCE_VARIABLE, default=None),
            "reporting": Variable.get(REPORTING_CURRENCY_VARIABLE, default="USD")}


def audited(cleaned: dict, run_id: str, params: dict) -> dict:
    """Record a clean step's audit entries in pipeline_audit, then fail the task if too much was quarantined."""
    from airflow.sdk.exceptions import AirflowFailException

    from socialpulse.jobs.quality import QualityGateError, check_quarantine_share
    from socialpulse.warehouse.audit import record_audit

    audit = cleaned.pop("audit")
    in_warehouse(record_audit, run_id, audit)
    try:
        check_quarantine_share(audit, float(params["max_quarantine_share"]))
    except QualityGateError as exc:  # bad data does not get better on retry
        raise AirflowFailException(str(exc)) from exc
    return cleaned


def in_warehouse(job, *args):
    """Call job(connection, *args) on a fresh warehouse connection, closed afterwards."""
    from airflow.sdk import BaseHook

    conn = BaseHook.get_connection(WAREHOUSE_CONN_ID).get_hook().get_conn()
    try:
        return job(conn, *args)
    finally:
        conn.close()


def migrate_warehouse() -> list[int]:
    """Apply the warehouse migrations not yet applied; every DAG that writes the warehouse starts with this."""
    from socialpulse.warehouse import apply_migrations

    return in_warehouse(apply_migrations)
