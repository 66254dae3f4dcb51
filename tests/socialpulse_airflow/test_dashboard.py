"""The Marketing dashboard in Airflow's own api-server app: Airflow's login on every route, the warehouse's figures."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import date

import pytest

from socialpulse.dashboard import queries
from socialpulse.warehouse import apply_migrations
from socialpulse_airflow.dashboard.warehouse import WarehouseUnavailableError, open_read_only
from tests.socialpulse.jobs.test_experiments import load_campaign_days

PREFIX = "/socialpulse"
DAYS = ("2026-10-20", "2026-11-03")


@pytest.fixture(scope="module")
def client():
    from airflow import settings
    from airflow.api_fastapi.app import create_app
    from airflow.models.revoked_token import RevokedToken
    from fastapi.testclient import TestClient

    RevokedToken.__table__.create(settings.engine, checkfirst=True)  # checked on every token
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIRFLOW__API_AUTH__JWT_SECRET", "dashboard-test-secret-" * 4)  # 88 bytes: HS512 wants 64
        with TestClient(create_app()) as test_client:
            yield test_client


def token(role: str | None) -> str:
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    return get_auth_manager().generate_jwt(SimpleAuthManagerUser(username=f"a-{role}", role=role))


@pytest.fixture
def warehouse(tmp_path, monkeypatch):
    path = tmp_path / "warehouse.db"
    with sqlite3.connect(path) as conn:
        apply_migrations(conn)
        load_campaign_days(conn, date.fromisoformat(DAYS[1]))
    monkeypatch.setenv("AIRFLOW_CONN_MARKETING_WAREHOUSE", json.dumps({"conn_type": "sqlite", "host": str(path)}))
    return path


def every_route() -> list[str]:
    from fastapi.routing import APIRoute

    from socialpulse_airflow.dashboard.app import app

    assert all(isinstance(r, APIRoute) for r in app.routes)  # no mount, no docs route: each passes the login
    return [PREFIX + r.path.replace("{name}", "dashboard.css") for r in app.routes]


def test_every_route_needs_an_airflow_user_allowed_to_see_plugins(client, warehouse):
    for path in every_route():
        assert client.get(path).status_code == 401, path  # a mounted app inherits no login: the app requires it
        assert client.get(path, headers={"Authorization": "Bearer not-a-token"}).status_code == 403, path
        assert client.get(path, headers={"Authorization": f"Bearer {token(None)}"}).status_code == 403, path
        assert client.get(path, headers={"Authorization": f"Bearer {token('viewer')}"}).status_code == 200, path
    for undocumented in ("docs", "redoc", "openapi.json"):  # FastAPI's own pages would skip the login
        assert client.get(f"{PREFIX}/{undocumented}").status_code in (401, 404)
    client.cookies.set("_token", token("viewer"))  # what the UI's login leaves in the browser
    try:
        assert client.get(f"{PREFIX}/").status_code == 200
    finally:
        client.cookies.clear()


def test_the_plugin_is_in_the_navigation_with_a_relative_link(client):
    views = client.get("/api/v2/plugins", headers={"Authorization": f"Bearer {token('viewer')}"}).json()
    ours = next(p for p in views["plugins"] if p["name"] == "socialpulse_dashboard")
    assert ours["external_views"][0]["href"] == "socialpulse/" and ours["external_views"][0]["destination"] == "nav"


def test_the_overview_shows_the_warehouse_s_figures(client, warehouse):
    page = client.get(f"{PREFIX}/?since={DAYS[0]}&until={DAYS[1]}",
                      headers={"Authorization": f"Bearer {token('viewer')}"}).text
    with sqlite3.connect(warehouse) as conn:
        accounts = queries.overview(conn, *DAYS)
    for account in accounts:
        assert f"{account['spend']:,.2f}" in page and f"{account['ctr']:.2%}" in page
    assert 'href="static/dashboard.css"' in page and "http" not in re.sub(r"<!doctype[^>]*>", "", page)


def test_a_missing_warehouse_is_a_message_not_a_stack_trace(client, tmp_path, monkeypatch):
    missing = tmp_path / "nowhere.db"
    monkeypatch.setenv("AIRFLOW_CONN_MARKETING_WAREHOUSE", json.dumps({"conn_type": "sqlite", "host": str(missing)}))
    answer = client.get(f"{PREFIX}/health", headers={"Authorization": f"Bearer {token('viewer')}"})
    assert answer.status_code == 503 and f"the SQLite warehouse {missing} does not exist yet" in answer.text
    assert "Traceback" not in answer.text


def test_the_dashboard_cannot_write(tmp_path, pg_conn):
    path = tmp_path / "warehouse.db"
    sqlite3.connect(path).close()
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        open_read_only("sqlite", str(path)).execute("CREATE TABLE t (x int)")
    import psycopg

    info = pg_conn.info
    conn = open_read_only("postgres", info.host, info.port, info.dbname, info.user, info.password,
                          {"application_name": "dashboard-test", "not_libpq": "ignored"})
    assert conn.info.parameter_status("application_name") == "dashboard-test"
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        conn.execute("CREATE TABLE dashboard_write_probe (x int)")
    conn.close()
    with pytest.raises(WarehouseUnavailableError, match="reads postgres or sqlite"):
        open_read_only("mysql", "h")


def test_the_experiments_page_shows_each_decision_and_its_interval(client, warehouse, tmp_path):
    from socialpulse.jobs.experiments import evaluate_all
    from socialpulse_dev.simulator import experiments as planted

    with sqlite3.connect(warehouse) as conn:
        evaluate_all(conn, str(tmp_path / "lake"), (planted.declared()["video_creative"],), DAYS[1], "run")
        arm = queries.experiments(conn)[0]
    page = client.get(f"{PREFIX}/experiments", headers={"Authorization": f"Bearer {token('viewer')}"}).text
    assert "winner (video)" in page and f"[{arm['lift_low']:+.1%}, {arm['lift_high']:+.1%}]" in page


@pytest.mark.parametrize("uri", ["postgres://nobody:secret@127.0.0.1:1/nowhere", "sqlite-empty"])
def test_an_unreachable_or_unmigrated_warehouse_is_named_without_its_details(client, tmp_path, monkeypatch, uri):
    if uri == "sqlite-empty":
        sqlite3.connect(tmp_path / "empty.db").close()
        uri = json.dumps({"conn_type": "sqlite", "host": str(tmp_path / "empty.db")})
    monkeypatch.setenv("AIRFLOW_CONN_MARKETING_WAREHOUSE", uri)
    answer = client.get(f"{PREFIX}/", headers={"Authorization": f"Bearer {token('viewer')}"})
    assert answer.status_code == 503
    assert "the warehouse (connection &#39;marketing_warehouse&#39;) could not be read: OperationalError; the " \
           "api-server&#39;s log has the details" in answer.text
    assert "secret" not in answer.text and "127.0.0.1" not in answer.text and "no such table" not in answer.text


def test_a_slow_sqlite_query_is_interrupted_at_the_time_limit(tmp_path, monkeypatch):
    from socialpulse_airflow.dashboard import warehouse

    monkeypatch.setattr(warehouse, "TIMEOUT_SECONDS", 0.2)
    sqlite3.connect(tmp_path / "w.db").close()
    conn = open_read_only("sqlite", str(tmp_path / "w.db"))
    with pytest.raises(sqlite3.OperationalError, match="interrupted"):
        conn.execute("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c")
