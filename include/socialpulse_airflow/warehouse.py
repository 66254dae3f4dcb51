"""The warehouse connection, its migrations, and the audit gate every clean step passes."""

from __future__ import annotations

from socialpulse.config import WAREHOUSE_CONN_ID

# The entities each source DAG audits in pipeline_audit: the source's day is loaded when all of them are.
SOURCE_ENTITIES = {
    "meta_ads_daily": ("campaign_metrics",),
    "organic_social_daily": ("post_metrics", "engagement_events"),
    "crm_daily": ("crm_users", "crm_orders", "crm_match_keys"),
}


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


def published(dag_id: str, run_id: str, ds: str) -> None:
    """The source DAG's publishing step loaded the run's audited day of its entities: freshness now counts it."""
    from socialpulse.warehouse.audit import mark_loaded

    in_warehouse(mark_loaded, run_id, ds, list(SOURCE_ENTITIES[dag_id]))
