"""Every warehouse check derived from the declarations can fail: each is run on a row that breaks it."""

import sqlite3

import pytest
from airflow.providers.common.sql.operators.sql import SQLColumnCheckOperator, SQLTableCheckOperator

from socialpulse.transforms.entities import CAMPAIGN_METRICS, POST_METRICS
from socialpulse.warehouse import apply_migrations
from socialpulse_airflow.checks import CAMPAIGN_TABLE_CHECKS, column_mapping

VALID = {
    "campaign_metrics_daily": {
        "metric_date": "2026-11-02",
        "platform": "meta_ads",
        "account_id": "1",
        "campaign_id": "c1",
        "currency": "USD",
        "impressions": 10,
        "reach": 5,
        "clicks": 2,
        "link_clicks": 1,
        "extracted_at": "2026-11-03T00:00:00+00:00",
    },
    "post_metrics_daily": {
        "metric_date": "2026-11-02",
        "platform": "x",
        "account_id": "1",
        "post_id": "p1",
        "created_at": "2026-11-01T00:00:00+00:00",
        "extracted_at": "2026-11-03T00:00:00+00:00",
    },
}
BREAK = {
    "null_check": lambda bound: None,
    "min": lambda bound: bound["geq_to"] - 1,
    "max": lambda bound: bound["leq_to"] + 1,
}


def warehouse_with(tmp_path, table: str, row: dict) -> sqlite3.Connection:
    conn = sqlite3.connect(tmp_path / "w.db")
    apply_migrations(conn)
    conn.execute(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values()))
    conn.commit()
    return conn


def column_check_passes(conn, table: str, column: str, check: str, bound: dict) -> bool:
    operator = SQLColumnCheckOperator(task_id="t", table=table, column_mapping={column: {check: dict(bound)}})
    ((_, _, result),) = conn.execute(operator.sql).fetchall()
    return operator._get_match(bound, result)


CASES = [
    (schema.table, column, check, bound)
    for schema in (CAMPAIGN_METRICS, POST_METRICS)
    for column, checks in column_mapping(schema).items()
    for check, bound in checks.items()
]


@pytest.mark.parametrize(("table", "column", "check", "bound"), CASES, ids=lambda v: str(v))
def test_each_column_check_passes_on_a_valid_row_and_fails_on_a_breaking_one(tmp_path, table, column, check, bound):
    valid = warehouse_with(tmp_path, table, VALID[table])
    assert column_check_passes(valid, table, column, check, bound)
    valid.close()
    (tmp_path / "w.db").unlink()
    broken = warehouse_with(tmp_path, table, {**VALID[table], column: BREAK[check](bound)})
    assert not column_check_passes(broken, table, column, check, bound)


def test_checks_leave_what_the_primary_key_enforces_to_it():
    for schema in (CAMPAIGN_METRICS, POST_METRICS):
        assert not set(schema.key) & set(column_mapping(schema))
    assert "keys_unique" not in CAMPAIGN_TABLE_CHECKS
    assert {"null_check", "min", "max"} == {check for _, _, check, _ in CASES}


@pytest.mark.parametrize(
    ("name", "breaking"),
    [
        ("rows_loaded", None),
        ("reach_within_impressions", {"reach": 11}),
        ("link_clicks_within_clicks", {"link_clicks": 3}),
    ],
)
def test_each_table_check_can_fail(tmp_path, name, breaking):
    operator = SQLTableCheckOperator(
        task_id="t", table="campaign_metrics_daily", checks={name: CAMPAIGN_TABLE_CHECKS[name]}
    )
    conn = warehouse_with(tmp_path, "campaign_metrics_daily", VALID["campaign_metrics_daily"])
    assert dict((n, r) for n, r in conn.execute(operator.sql).fetchall()) == {name: 1}
    if breaking is None:
        conn.execute("DELETE FROM campaign_metrics_daily")
    else:
        conn.execute(f"UPDATE campaign_metrics_daily SET {next(iter(breaking))} = ?", list(breaking.values()))
    assert dict((n, r) for n, r in conn.execute(operator.sql).fetchall()) == {name: 0}
