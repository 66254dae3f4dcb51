"""pipeline_audit: one row per run date, entity and run; a retry of the run replaces its own."""

from socialpulse.warehouse import apply_migrations
from socialpulse.warehouse.audit import record_audit
from tests.socialpulse.warehouse.sql import query

T1 = "2026-11-02T06:00:00+00:00"


def audit_entry(entity: str, quarantined: int) -> dict:
    return {
        "ds": "2026-11-02",
        "entity": entity,
        "rows_in": 100,
        "rows_clean": 100 - quarantined,
        "rows_quarantined": quarantined,
        "duplicates_dropped": 0,
        "quarantined_share": quarantined / 100,
        "top_reasons": '{"age outside 13-100": 1}',
        "pages": 3,
        "bytes": 1000,
        "quarantine_path": None,
        "extracted_at": T1,
        "clean_path": "/lake/clean/x",
    }


def test_audit_rows_per_run_date_and_entity_and_retries_replace_their_own(warehouse_conn):
    apply_migrations(warehouse_conn)
    record_audit(warehouse_conn, "r1", [audit_entry("crm_users", 1), audit_entry("crm_orders", 0)])
    record_audit(warehouse_conn, "r1", [audit_entry("crm_users", 2)])  # a retry of the same run
    record_audit(warehouse_conn, "r2", [audit_entry("crm_users", 0)])
    rows = query(
        warehouse_conn,
        "SELECT run_id, entity, rows_quarantined, top_reasons FROM pipeline_audit ORDER BY run_id, entity",
    )
    assert rows == [
        ("r1", "crm_orders", 0, '{"age outside 13-100": 1}'),
        ("r1", "crm_users", 2, '{"age outside 13-100": 1}'),
        ("r2", "crm_users", 0, '{"age outside 13-100": 1}'),
    ]
