"""campaign_metrics_history: every distinct version of a campaign day, on SQLite and Postgres."""

import pandas as pd

from socialpulse.transforms.entities import CAMPAIGN_METRICS_DAILY, CAMPAIGN_METRICS_HISTORY
from socialpulse.warehouse import apply_migrations, upsert_frame
from tests.payloads import INSIGHTS_PAGE, insights
from tests.socialpulse.warehouse.sql import execute, query

T1, T2, T3 = "2026-11-02T06:00:00+00:00", "2026-11-03T06:00:00+00:00", "2026-11-04T06:00:00+00:00"


def frame(extracted_at: str, **overrides) -> pd.DataFrame:
    rows = [{**row, **overrides} for row in INSIGHTS_PAGE["data"]]
    clean, _ = insights([({"extracted_at": extracted_at}, {"data": rows})])
    return clean


AS_OF = (
    "SELECT h.campaign_id, h.impressions FROM campaign_metrics_history h WHERE h.extracted_at = "
    "(SELECT max(v.extracted_at) FROM campaign_metrics_history v WHERE v.campaign_id = h.campaign_id "
    "AND v.metric_date = h.metric_date AND v.extracted_at <= %s) ORDER BY 1"
)


def test_history_keeps_every_distinct_version_and_answers_as_of(warehouse_conn):
    apply_migrations(warehouse_conn)

    def load(rows: pd.DataFrame, run: str) -> None:
        upsert_frame(warehouse_conn, CAMPAIGN_METRICS_DAILY, rows, run, history=CAMPAIGN_METRICS_HISTORY)

    load(frame(T1), "r1")
    load(frame(T2, impressions="9999"), "r2")  # restated
    load(frame(T3, impressions="9999"), "r3")  # same values again: no new version
    load(frame(T1), "r1")  # a retry of the first run: older than what is stored, changes nothing
    versions = query(
        warehouse_conn,
        "SELECT campaign_id, impressions, run_id FROM campaign_metrics_history ORDER BY campaign_id, extracted_at",
    )
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
