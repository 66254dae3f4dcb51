"""campaign_metrics_history, pipeline_audit, privacy erasure and the volume check on SQLite and Postgres."""

from datetime import date, timedelta

import pandas as pd
import pytest

from socialpulse.warehouse import CAMPAIGN_METRICS_DAILY, apply_migrations, upsert_frame
from socialpulse.warehouse.audit import record_audit
from socialpulse.warehouse.dialect import SQLITE, dialect_of
from socialpulse.warehouse.erasure import erase_from_warehouse, record_erasure
from socialpulse.warehouse.schema import CAMPAIGN_METRICS_HISTORY
from socialpulse.warehouse.volume import check_volume
from tests.payloads import INSIGHTS_PAGE, insights

T1, T2, T3 = "2026-11-02T06:00:00+00:00", "2026-11-03T06:00:00+00:00", "2026-11-04T06:00:00+00:00"


def frame(extracted_at: str, **overrides) -> pd.DataFrame:
    rows = [{**row, **overrides} for row in INSIGHTS_PAGE["data"]]
    clean, _ = insights([({"extracted_at": extracted_at}, {"data": rows})])
    return clean


def execute(conn, sql: str, params: tuple = (), fetch: bool = False) -> list[tuple]:
    sql = sql.replace("%s", "?") if dialect_of(conn) == SQLITE else sql
    cursor = conn.cursor()
    cursor.execute(sql, params)
    rows = cursor.fetchall() if fetch else []
    cursor.close()
    conn.commit()
    return rows


def query(conn, sql: str, params: tuple = ()) -> list[tuple]:
    return execute(conn, sql, params, fetch=True)


AS_OF = ("SELECT h.campaign_id, h.impressions FROM campaign_metrics_history h WHERE h.extracted_at = "
         "(SELECT max(v.extracted_at) FROM campaign_metrics_history v WHERE v.campaign_id = h.campaign_id "
         "AND v.metric_date = h.metric_date AND v.extracted_at <= %s) ORDER BY 1")


def test_history_keeps_every_distinct_version_and_answers_as_of(warehouse_conn):
    apply_migrations(warehouse_conn)
    def load(rows: pd.DataFrame, run: str) -> None:
        upsert_frame(warehouse_conn, CAMPAIGN_METRICS_DAILY, rows, run, history=CAMPAIGN_METRICS_HISTORY)

    load(frame(T1), "r1")
    load(frame(T2, impressions="9999"), "r2")  # restated
    load(frame(T3, impressions="9999"), "r3")  # same values again: no new version
    load(frame(T1), "r1")  # a retry of the first run: older than what is stored, changes nothing
    versions = query(warehouse_conn, "SELECT campaign_id, impressions, run_id FROM campaign_metrics_history "
                                     "ORDER BY campaign_id, extracted_at")
    first, second = (r["campaign_id"] for r in INSIGHTS_PAGE["data"])
    assert versions == [(first, 2466, "r1"), (first, 9999, "r2"), (second, 800, "r1"), (second, 9999, "r2")]
    as_of = "2026-11-02T12:00:00+00:00"
    assert [r[1] for r in query(warehouse_conn, AS_OF, (as_of,))] == [2466, 800]
    assert {r[1] for r in query(warehouse_conn, AS_OF, (T3,))} == {9999}
    assert {r[0] for r in query(warehouse_conn, "SELECT impressions FROM campaign_metrics_daily")} == {9999}


def test_migration_seeds_history_from_rows_loaded_before_it(warehouse_conn):
    apply_migrations(warehouse_conn)
    upsert_frame(warehouse_conn, CAMPAIGN_METRICS_DAILY, frame(T1), "r1")  # no history written
    execute(warehouse_conn, "DELETE FROM socialpulse_schema_migrations WHERE version = %s", (6,))
    execute(warehouse_conn, "DROP TABLE campaign_metrics_history")
    assert apply_migrations(warehouse_conn) == [6]
    assert len(query(warehouse_conn, "SELECT * FROM campaign_metrics_history")) == 2


def audit_entry(entity: str, quarantined: int) -> dict:
    return {"ds": "2026-11-02", "entity": entity, "rows_in": 100, "rows_clean": 100 - quarantined,
            "rows_quarantined": quarantined, "duplicates_dropped": 0, "quarantined_share": quarantined / 100,
            "top_reasons": '{"age outside 13-100": 1}', "pages": 3, "bytes": 1000, "quarantine_path": None,
            "extracted_at": T1, "clean_path": "/lake/clean/x"}


def test_audit_rows_per_run_date_and_entity_and_retries_replace_their_own(warehouse_conn):
    apply_migrations(warehouse_conn)
    record_audit(warehouse_conn, "r1", [audit_entry("crm_users", 1), audit_entry("crm_orders", 0)])
    record_audit(warehouse_conn, "r1", [audit_entry("crm_users", 2)])  # a retry of the same run
    record_audit(warehouse_conn, "r2", [audit_entry("crm_users", 0)])
    rows = query(warehouse_conn, "SELECT run_id, entity, rows_quarantined, top_reasons FROM pipeline_audit "
                                 "ORDER BY run_id, entity")
    assert rows == [("r1", "crm_orders", 0, '{"age outside 13-100": 1}'),
                    ("r1", "crm_users", 2, '{"age outside 13-100": 1}'),
                    ("r2", "crm_users", 0, '{"age outside 13-100": 1}')]


def test_erasure_deletes_from_every_person_table_and_records_no_personal_data(warehouse_conn):
    apply_migrations(warehouse_conn)
    execute(warehouse_conn, "CREATE TABLE user_segments (person_id TEXT, segment TEXT)")
    for person, segment in (("p1", "a"), ("p2", "b"), ("p1x", "c")):
        execute(warehouse_conn, "INSERT INTO user_segments VALUES (%s, %s)", (person, segment))
    assert erase_from_warehouse(warehouse_conn, {"p1", "p1x"}) == 2
    counts = {"clean_rows": 5, "feature_rows": 0, "warehouse_rows": 2, "files_rewritten": 3}
    record_erasure(warehouse_conn, "p1", "manual-1", counts)
    record_erasure(warehouse_conn, "p1", "manual-1", {**counts, "clean_rows": 0})  # a retry keeps the first
    assert query(warehouse_conn, "SELECT person_id FROM user_segments") == [("p2",)]
    assert query(warehouse_conn, "SELECT pseudonym, clean_rows, warehouse_rows FROM privacy_erasures") == \
        [("p1", 5, 2)]


def test_volume_check_fails_a_day_off_its_median_and_only_warns_on_short_history(warehouse_conn):
    apply_migrations(warehouse_conn)
    base = frame(T1)
    days = [date(2026, 10, 20) + timedelta(days=i) for i in range(10)]
    frames = [base.assign(metric_date=day) for day in days[:-1]]
    frames.append(base.assign(metric_date=days[-1], spend_reporting=base["spend_reporting"] * 3))
    upsert_frame(warehouse_conn, CAMPAIGN_METRICS_DAILY, pd.concat(frames, ignore_index=True), "r1")
    findings = check_volume(warehouse_conn, days[0], days[-1], tolerance=0.5)
    failed = [f for f in findings if f.failed]
    assert [(f.day, f.measure) for f in failed] == [(days[-1], "spend_reporting")]
    assert "+200%" in failed[0].describe()
    warned = {f.day for f in findings if not f.failed}
    assert warned == set(days[:7])  # fewer than 7 earlier days: a warning each, no failure
    assert check_volume(warehouse_conn, days[7], days[8]) == []


def test_quarantine_gate_passes_a_share_within_the_threshold():
    from socialpulse.jobs.quality import check_quarantine_share

    check_quarantine_share([audit_entry("crm_users", 2)], 0.05)


def test_quarantine_gate_names_reasons_and_path():
    from socialpulse.jobs.quality import QualityGateError, check_quarantine_share

    entry = {**audit_entry("crm_users", 20), "quarantine_path": "/lake/quarantine/crm_users/ds=x"}
    with pytest.raises(QualityGateError, match=r"crm_users 2026-11-02: 20 of 100 rows quarantined \(20.0% > 5.0%\), "
                                               r"top reasons \{'age outside 13-100': 1\}, rows and originals at "
                                               r"/lake/quarantine/crm_users/ds=x"):
        check_quarantine_share([entry], 0.05)


def test_volume_check_catches_a_day_that_lost_half_its_rows(warehouse_conn):
    apply_migrations(warehouse_conn)
    base = frame(T1)
    days = [date(2026, 10, 20) + timedelta(days=i) for i in range(8)]
    frames = [base.assign(metric_date=day) for day in days[:-1]] + [base.iloc[:1].assign(metric_date=days[-1])]
    upsert_frame(warehouse_conn, CAMPAIGN_METRICS_DAILY, pd.concat(frames, ignore_index=True), "r1")
    failed = [f for f in check_volume(warehouse_conn, days[-1], days[-1], tolerance=0.75) if f.failed]
    assert ("rows", 1, 2) in [(f.measure, f.value, f.median) for f in failed]
