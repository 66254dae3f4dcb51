"""Migrations and upserts into a real SQLite file and a real Postgres (each test runs on both)."""

from datetime import date

import pandas as pd
import pytest

from socialpulse.transforms.entities import CAMPAIGN_METRICS_DAILY
from socialpulse.warehouse import apply_migrations, upsert_frame
from socialpulse.warehouse.dialect import dialect_of
from socialpulse.warehouse.load import _sqlite_value, merge_sql
from socialpulse.warehouse.migrations import MIGRATIONS
from tests.payloads import INSIGHTS_PAGE, insights


def frame(extracted_at: str = "2026-11-02T06:00:00+00:00", **overrides) -> pd.DataFrame:
    rows = [{**row, **overrides} for row in INSIGHTS_PAGE["data"]]
    clean, _ = insights([({"extracted_at": extracted_at}, {"data": rows})])
    return clean


def table(conn) -> list[tuple]:
    cursor = conn.cursor()
    cursor.execute(
        f"SELECT {', '.join(CAMPAIGN_METRICS_DAILY.column_names)} FROM campaign_metrics_daily ORDER BY campaign_id"
    )
    rows = cursor.fetchall()
    cursor.close()
    return rows


def test_migrations_apply_once(warehouse_conn):
    assert apply_migrations(warehouse_conn) == [m.version for m in MIGRATIONS]
    assert apply_migrations(warehouse_conn) == []


def test_loading_twice_changes_nothing(warehouse_conn):
    apply_migrations(warehouse_conn)
    first = upsert_frame(warehouse_conn, CAMPAIGN_METRICS_DAILY, frame(), "run-1")
    before = table(warehouse_conn)
    again = upsert_frame(warehouse_conn, CAMPAIGN_METRICS_DAILY, frame("2026-11-03T06:00:00+00:00"), "run-2")
    assert (first.inserted, first.updated, first.unchanged) == (2, 0, 0)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    assert table(warehouse_conn) == before  # lineage too: run-1 stays the first extraction seen


def test_values_survive_the_round_trip(warehouse_conn):
    apply_migrations(warehouse_conn)
    upsert_frame(warehouse_conn, CAMPAIGN_METRICS_DAILY, frame(), "run-1")
    row = dict(zip(CAMPAIGN_METRICS_DAILY.column_names, table(warehouse_conn)[0], strict=True))
    assert str(row["metric_date"]) == "2026-11-01"
    assert (row["impressions"], row["conversions"], row["run_id"]) == (2466, 2, "run-1")
    assert float(row["spend"]) == pytest.approx(18.37)
    assert row["ctr"] == pytest.approx(51 / 2466)
    second = dict(zip(CAMPAIGN_METRICS_DAILY.column_names, table(warehouse_conn)[1], strict=True))
    assert second["reach"] is None and second["cpc"] is None  # nulls stay null


def test_a_missing_timestamp_binds_as_null_in_sqlite():
    stamps = pd.DataFrame({"at": pd.to_datetime(["2026-11-02T06:00:00+00:00", None], utc=True)}).astype(object)
    assert [_sqlite_value(v) for v in stamps["at"]] == ["2026-11-02T06:00:00+00:00", None]  # not the text 'NaT'


def test_restated_day_updates_in_place(warehouse_conn):
    apply_migrations(warehouse_conn)
    upsert_frame(warehouse_conn, CAMPAIGN_METRICS_DAILY, frame(), "run-1")
    restated = frame("2026-11-20T06:00:00+00:00", impressions="2500")
    result = upsert_frame(warehouse_conn, CAMPAIGN_METRICS_DAILY, restated, "run-2")
    assert (result.inserted, result.updated) == (0, 2)
    rows = table(warehouse_conn)
    assert len(rows) == 2
    assert [r[CAMPAIGN_METRICS_DAILY.column_names.index("impressions")] for r in rows] == [2500, 2500]


def test_an_older_extraction_never_overwrites_a_newer_one(warehouse_conn):
    apply_migrations(warehouse_conn)
    upsert_frame(warehouse_conn, CAMPAIGN_METRICS_DAILY, frame("2026-11-20T00:00:00+00:00", clicks="60"), "new")
    result = upsert_frame(warehouse_conn, CAMPAIGN_METRICS_DAILY, frame("2026-11-02T00:00:00+00:00"), "old")
    assert result.updated == 0
    run_id = CAMPAIGN_METRICS_DAILY.column_names.index("run_id")
    assert {r[run_id] for r in table(warehouse_conn)} == {"new"}


def test_failed_load_leaves_the_table_as_it_was(warehouse_conn):
    apply_migrations(warehouse_conn)
    upsert_frame(warehouse_conn, CAMPAIGN_METRICS_DAILY, frame(), "run-1")
    before = table(warehouse_conn)
    broken = frame("2026-11-20T00:00:00+00:00", impressions="9")
    broken.loc[1, "metric_date"] = None  # a null key: the database refuses the whole batch
    with pytest.raises(Exception, match=r"(?i)null"):
        upsert_frame(warehouse_conn, CAMPAIGN_METRICS_DAILY, broken, "run-2")
    assert table(warehouse_conn) == before


def test_duplicate_keys_are_refused_before_touching_the_database(warehouse_conn):
    doubled = pd.concat([frame(), frame()])
    with pytest.raises(ValueError, match="deduplicate"):
        upsert_frame(warehouse_conn, CAMPAIGN_METRICS_DAILY, doubled, "run-1")


def test_large_batch_goes_through_copy_chunks(pg_conn):
    apply_migrations(pg_conn)
    campaigns, days = 2_000, pd.date_range("2020-01-01", periods=225, freq="D").date
    big = frame().iloc[[0] * (campaigns * len(days))].reset_index(drop=True)  # 450,000 rows: 3 COPY chunks
    big["metric_date"] = [days[i // campaigns] for i in range(len(big))]
    big["campaign_id"] = pd.Series(range(len(big))).mod(campaigns).astype(str).astype("string")
    result = upsert_frame(pg_conn, CAMPAIGN_METRICS_DAILY, big, "bulk")
    assert result.inserted == len(big) == 450_000
    cursor = pg_conn.cursor()
    cursor.execute("SELECT count(*), count(DISTINCT metric_date), min(metric_date) FROM campaign_metrics_daily")
    assert cursor.fetchone() == (450_000, 225, date(2020, 1, 1))


def test_merge_sql_is_null_safe_in_each_dialect():
    assert "IS DISTINCT FROM" in merge_sql(CAMPAIGN_METRICS_DAILY, "postgres")
    assert "IS NOT excluded.impressions" in merge_sql(CAMPAIGN_METRICS_DAILY, "sqlite")
    with pytest.raises(TypeError, match="unsupported warehouse connection"):
        dialect_of(object())
