"""The warehouse connection, its migrations, and the audit gate every clean step passes."""

from __future__ import annotations

from socialpulse.config import WAREHOUSE_CONN_ID


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


def audited(cleaned: dict, run_id: str, params: dict) -> dict:
    """Record a clean step's audit entries in pipeline_audit, then fail if too much was quarantined.

    The QualityGateError fails the task at once: failures.fail_fast, around every clean task, says so.
    """
    from socialpulse.jobs.quality import check_quarantine_share
    from socialpulse.warehouse.audit import record_audit

    audit = cleaned.pop("audit")
    in_warehouse(record_audit, run_id, audit)
    check_quarantine_share(audit, float(params["max_quarantine_share"]))
    return cleaned
