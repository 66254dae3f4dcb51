"""Every statement the library sends to the warehouse carries its values as bound parameters.

A recording psycopg cursor sees each statement and its parameters while the
load, history, credit, audit, volume check and erasure run for real on Postgres;
no statement may hold a quoted literal or any of the values it was given.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import pandas as pd
import psycopg
import pytest

from socialpulse.jobs import meta_ads
from socialpulse.lake import Lake
from socialpulse.transforms.crm import attribution
from socialpulse.warehouse import apply_migrations
from socialpulse.warehouse.attribution import credit_orders
from socialpulse.warehouse.audit import record_audit
from socialpulse.warehouse.erasure import erase_from_warehouse, record_erasure
from socialpulse.warehouse.volume import check_volume
from tests.conftest import PG_DSN, require_service
from tests.payloads import INSIGHTS_PAGE, insights

SEEN: list[tuple[str, object]] = []


class RecordingCursor(psycopg.Cursor):
    def execute(self, query, params=None, **kwargs):
        SEEN.append((str(query), params))
        return super().execute(query, params, **kwargs)

    def executemany(self, query, params_seq, **kwargs):
        params_seq = list(params_seq)
        SEEN.append((str(query), params_seq))
        return super().executemany(query, params_seq, **kwargs)

    def copy(self, statement, params=None, **kwargs):
        SEEN.append((str(statement), params))
        return super().copy(statement, params, **kwargs)


@pytest.fixture
def recording_conn():
    try:
        conn = psycopg.connect(PG_DSN, connect_timeout=3, cursor_factory=RecordingCursor)
    except psycopg.OperationalError as exc:
        require_service(f"PostgreSQL is not reachable at '{PG_DSN}': {exc}")
    schema = f"sp_bind_{uuid.uuid4().hex[:10]}"
    with conn.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {schema}")
        cursor.execute(f"SET search_path TO {schema}")
    conn.commit()
    SEEN.clear()
    yield conn
    conn.rollback()
    conn.execute(f"DROP SCHEMA {schema} CASCADE")
    conn.commit()
    conn.close()


def test_no_statement_holds_a_literal_value(recording_conn, tmp_path):
    conn = recording_conn
    run_id = "manual__2026-11-03T00:00:00+00:00"
    apply_migrations(conn)
    clean, _ = insights([({"extracted_at": "2026-11-02T06:00:00+00:00"}, INSIGHTS_PAGE)])
    lake = Lake.at(tmp_path / "lake")
    lake.clean("campaign_metrics").write_day(clean, "2026-11-02")
    meta_ads.load(conn, lake, lake.clean("campaign_metrics").day_path("2026-11-02"), run_id)
    day = clean.metric_date.iloc[0]
    campaign = clean.campaign_id.iloc[0]
    orders = pd.DataFrame(
        {"order_id": ["o1"], "order_date": [day], "utm_campaign": [campaign], "amount_reporting": [12.5]}
    )
    credit_orders(conn, day, attribution(orders))
    record_audit(
        conn,
        run_id,
        [
            {
                "ds": "2026-11-02",
                "entity": "crm_users",
                "rows_in": 9,
                "rows_clean": 8,
                "rows_quarantined": 1,
                "duplicates_dropped": 0,
                "quarantined_share": 1 / 9,
                "top_reasons": "{}",
                "pages": None,
                "bytes": 77,
                "quarantine_path": "/q",
                "extracted_at": "2026-11-02T06:00:00+00:00",
            }
        ],
    )
    check_volume(conn, day + timedelta(days=1), date(2026, 10, 25), day, run_id)  # its day missing: a finding
    conn.execute("CREATE TABLE profiles (person_id TEXT)")
    conn.commit()
    erase_from_warehouse(conn, {"pseudonym-of-someone"})
    record_erasure(
        conn,
        "pseudonym-of-someone",
        run_id,
        {"clean_rows": 1, "feature_rows": 0, "warehouse_rows": 0, "files_rewritten": 1},
    )
    library = [(sql, params) for sql, params in SEEN if not sql.startswith("CREATE TABLE profiles")]
    assert len(library) > 20
    values = {run_id, campaign, str(day), "pseudonym-of-someone", "meta_ads", "/q", "crm_users", "2026-10-25"}
    for sql, _ in library:
        assert not re.search(r"'[^']*'", sql), f"a quoted literal in: {sql}"
        assert not [v for v in values if v in sql], f"a value in: {sql}"
    bound = {str(v) for _, params in library for v in flat(params)}
    assert {"pseudonym-of-someone", "meta_ads", run_id, campaign} <= bound  # they went as parameters


def flat(params: object) -> list:
    """The values of one statement's parameters, or of every row of an executemany."""
    if not isinstance(params, (tuple, list)):
        return []
    return [v for p in params for v in (p if isinstance(p, (tuple, list)) else (p,))]
