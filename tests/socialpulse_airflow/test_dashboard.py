"""The Marketing dashboard in Airflow's own api-server app: Airflow's login on every route, the warehouse's figures."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from socialpulse.dashboard import queries
from socialpulse.lake import files as lake_files
from socialpulse.warehouse import apply_migrations
from socialpulse_airflow.dashboard.warehouse import WarehouseUnavailableError, open_read_only
from tests.socialpulse.jobs.test_experiments import load_campaign_days

PREFIX = "/socialpulse"
DAYS = ("2026-10-20", "2026-11-03")


@pytest.fixture(scope="module")
def client(migrated_airflow):
    from airflow.api_fastapi.app import create_app
    from fastapi.testclient import TestClient

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIRFLOW__API_AUTH__JWT_SECRET", "dashboard-test-secret-" * 4)  # 88 bytes: HS512 wants 64
        with TestClient(create_app()) as test_client:
            yield test_client


def token(role: str | None) -> str:
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    return get_auth_manager().generate_jwt(SimpleAuthManagerUser(username=f"a-{role}", role=role))


CHART = b"\x89PNG\r\n\x1a\n chart"
MODEL = {
    "tensorflow": {
        "roc_auc": 0.71,
        "pr_auc": 0.2,
        "log_loss": 0.3,
        "brier": 0.1,
        "top_decile_lift": 2.5,
        "calibration": [{"decile": 10, "mean_score": 0.31, "observed": 0.29, "people": 50}],
    },
    "logistic_regression": {"roc_auc": 0.69, "pr_auc": 0.19, "log_loss": 0.31, "brier": 0.11, "top_decile_lift": 2.2},
}


def seed_warehouse(tmp_path) -> tuple[Path, Path]:
    """Campaign days, one audience run with its report's chart in the lake, one audited run: (warehouse, lake)."""
    path = tmp_path / "warehouse.db"
    with sqlite3.connect(path) as conn:
        apply_migrations(conn)
        load_campaign_days(conn, date.fromisoformat(DAYS[1]))
        conn.execute(
            "INSERT INTO audience_segments (as_of_date, segment_id, size, share, description, "
            "conversion_rate) VALUES (?, 0, 1234, 0.4, 'young travellers on Instagram', 0.052)",
            (DAYS[1],),
        )
        conn.execute(
            "INSERT INTO model_registry (model_version, model_name, as_of_date, trained_at, rows_train, "
            "rows_eval, metrics, decision) VALUES ('propensity-1', 'propensity', ?, '2026-11-04T01:00', "
            "4000, 1000, ?, 'promoted propensity-1: the first model, no champion before it')",
            (DAYS[1], json.dumps(MODEL)),
        )
        criteria = {str(k): {"bic": 5e4 - 1000 * k, "icl": 5.2e4 - 900 * k, "silhouette": 0.2 / k} for k in (2, 3, 4)}
        conn.execute(
            "INSERT INTO model_registry (model_version, model_name, as_of_date, metrics, decision) "
            "VALUES ('segments-1', 'segments', ?, ?, 'k=3 declared')",
            (DAYS[1], json.dumps({"k": 3, "criteria": criteria})),
        )
        conn.execute(
            "INSERT INTO target_audience_summaries (as_of_date, brief, goal, account_id, campaign_ids, markets, "
            "eligible, excluded, size, holdout_size, expected_conversions) "
            "VALUES (?, 'spring_sale', 'win_back', '1001', '10011', 'US', 900, 40, 321, 30, 17.5)",
            (DAYS[1],),
        )
        conn.execute(
            "INSERT INTO target_audience_summaries (as_of_date, brief, goal, account_id, campaign_ids, eligible, "
            "size, reason) VALUES (?, 'tiny', 'loyalty', '1001', '10012', 12, 0, '12 eligible people, under its "
            "min_size of 100')",
            (DAYS[1],),
        )
        conn.execute(
            "INSERT INTO pipeline_audit (ds, entity, run_id, rows_in, rows_clean, rows_quarantined, "
            "quarantined_share, top_reasons, loaded_at) VALUES (?, 'campaign_metrics', 'scheduled__x', "
            "40, 38, 2, 0.05, 'spend: negative (2)', '2026-11-04T05:00:00+00:00')",
            (DAYS[1],),
        )
        conn.execute(
            "INSERT INTO pipeline_audit (ds, entity, run_id, rows_in, rows_quarantined, top_reasons) "
            "VALUES (?, 'crm_users', 'scheduled__x', 9, 9, 'another DAG, same run id')",
            (DAYS[1],),
        )
    report = tmp_path / "lake" / "reports" / "audience" / f"ds={DAYS[1]}"
    report.mkdir(parents=True)
    (report / "segments.png").write_bytes(CHART)
    return path, tmp_path / "lake"


@pytest.fixture
def warehouse(tmp_path, monkeypatch):
    path, lake = seed_warehouse(tmp_path)
    monkeypatch.setenv("AIRFLOW_CONN_MARKETING_WAREHOUSE", json.dumps({"conn_type": "sqlite", "host": str(path)}))
    monkeypatch.setenv("AIRFLOW_VAR_SOCIALPULSE_LAKE_ROOT", str(lake))
    return path


def every_route() -> list[str]:
    from fastapi.routing import APIRoute

    from socialpulse_airflow.dashboard.app import app

    assert all(isinstance(r, APIRoute) for r in app.routes)  # no mount, no docs route: each passes the login
    examples = {
        "/static/{name}": "/static/dashboard.css",
        "/audience/{day}/{name}.png": f"/audience/{DAYS[1]}/segments.png",
        "/run": "/run?dag_id=meta_ads_daily&run_id=scheduled__x",
    }
    return [PREFIX + examples.get(r.path, r.path) for r in app.routes]


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


def test_a_run_s_page_needs_read_access_to_its_dag_too(client, warehouse, monkeypatch):
    from airflow.api_fastapi.app import get_auth_manager

    manager = type(get_auth_manager())
    allowed = manager.is_authorized_dag
    monkeypatch.setattr(
        manager,
        "is_authorized_dag",
        lambda self, *, method, access_entity=None, details=None, user: (
            details.id != "meta_ads_daily"
            and allowed(self, method=method, access_entity=access_entity, details=details, user=user)
        ),
    )
    path = f"{PREFIX}/run?dag_id={{}}&run_id=scheduled__x"
    assert client.get(path.format("meta_ads_daily"), headers=viewer()).status_code == 403
    assert client.get(path.format("crm_daily"), headers=viewer()).status_code == 200
    assert client.get(f"{PREFIX}/", headers=viewer()).status_code == 200  # the other pages need plugins only


def test_a_lake_that_cannot_be_read_is_a_message_beside_the_warehouse_s_figures(client, warehouse, monkeypatch):
    def refuse(path) -> bool:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(lake_files, "partition_exists", refuse)
    page = client.get(f"{PREFIX}/audience", headers=viewer())
    assert page.status_code == 200 and "young travellers on Instagram" in page.text
    assert (
        "the audience report&#39;s charts could not be read from the lake: PermissionError; the api-server&#39;s "
        "log has the details"
        in page.text
        and "Permission denied" not in page.text
    )
    chart = client.get(f"{PREFIX}/audience/{DAYS[1]}/segments.png", headers=viewer())
    assert chart.status_code == 503 and "PermissionError" in chart.text


def test_the_plugin_is_in_the_navigation_with_a_relative_link(client):
    views = client.get("/api/v2/plugins", headers={"Authorization": f"Bearer {token('viewer')}"}).json()
    ours = next(p for p in views["plugins"] if p["name"] == "socialpulse_dashboard")
    assert ours["external_views"][0]["href"] == "socialpulse/" and ours["external_views"][0]["destination"] == "nav"
    run_view = ours["external_views"][1]
    assert run_view["destination"] == "dag_run" and run_view["href"].startswith("socialpulse/run?")


def viewer() -> dict:
    return {"Authorization": f"Bearer {token('viewer')}"}


def test_campaigns_posts_audience_and_run_pages_show_the_warehouse_s_figures(client, warehouse):
    with sqlite3.connect(warehouse) as conn:
        campaign = queries.campaigns(conn, *DAYS)[0]
    page = client.get(f"{PREFIX}/campaigns?since={DAYS[0]}&until={DAYS[1]}", headers=viewer()).text
    assert f"<td>{campaign['campaign_id']}</td>" in page and f"{campaign['spend']:,.2f}" in page
    assert "No day in this range changed after it was first loaded" in page
    audience = client.get(f"{PREFIX}/audience", headers=viewer()).text
    assert "young travellers on Instagram" in audience and "1,234" in audience and "5.20%" in audience
    assert "0.7100" in audience and "0.6900" in audience and "(baseline)" in audience and "31.00%" in audience
    assert re.search(
        r'<td>spring_sale</td><td>win_back</td><td>1001</td><td class="text">10011</td><td class="text">US</td>\s*'
        r'<td data-value="900">900</td><td data-value="40">40</td>\s*'
        r'<td data-value="321">321</td><td data-value="30">30</td>\s*<td data-value="17.5">17.5</td>',
        audience,
    )  # a target audience: its size, never its people
    assert "<td>tiny</td>" in audience and "12 eligible people, under its min_size of 100" in audience
    assert "<td>3 (declared)</td><td>47,000</td><td>49,300</td><td>0.067</td>" in audience  # the fit at each k
    assert f'src="audience/{DAYS[1]}/segments.png"' in audience
    assert client.get(f"{PREFIX}/audience/{DAYS[1]}/segments.png", headers=viewer()).content == CHART
    for missing in (f"/audience/{DAYS[1]}/other.png", "/audience/2026-01-01/segments.png"):
        assert client.get(PREFIX + missing, headers=viewer()).status_code == 404
    run = client.get(f"{PREFIX}/run?dag_id=meta_ads_daily&run_id=scheduled__x", headers=viewer()).text
    assert "<td>campaign_metrics</td>" in run and "spend: negative (2)" in run and "5.00%" in run
    assert "another DAG" not in run and "in campaign_metrics_daily" in run and "post_metrics_daily" not in run
    other = client.get(f"{PREFIX}/run?dag_id=experiments_daily&run_id=scheduled__x", headers=viewer()).text
    assert "is not a source DAG" in other and "spend: negative" not in other
    assert client.get(f"{PREFIX}/posts", headers=viewer()).status_code == 200


def test_health_shows_each_source_against_its_freshness_target(client, warehouse):
    page = client.get(f"{PREFIX}/health", headers=viewer()).text
    freshness = {
        row[0]: row[1:]
        for row in re.findall(
            r'<tr class="(?:on_time|late)"><td>(\w+)</td><td>([^<]+)</td><td>([^<]+)</td>'
            r"<td>[^<]+</td>\s*<td>([^<]+)</td>",
            page,
        )
    }
    # The loaded campaign day; 2026-11-04 was due by 06:00 of 2026-11-05, so Meta is late since then.
    late = (datetime.now(UTC) - datetime(2026, 11, 5, 6, tzinfo=UTC)).total_seconds() / 3600
    assert freshness["meta_ads_daily"][:2] == (DAYS[1], "06:00 of D+1")
    assert (
        abs(int(re.fullmatch(r"late by ([\d,]+) h", freshness["meta_ads_daily"][2]).group(1).replace(",", "")) - late)
        <= 1
    )
    assert freshness["crm_daily"] == ("never", "08:00 of D+1", "no successful run yet")  # audited, never loaded
    assert freshness["organic_social_daily"][0] == "never"
    # Without a range, the audit shows the four weeks up to the newest audited day, whatever today is.
    assert f"since {date.fromisoformat(DAYS[1]) - timedelta(days=27)}" in page and "<td>campaign_metrics</td>" in page


def test_health_shows_the_targets_the_variable_sets_and_names_a_wrong_one(client, warehouse, monkeypatch):
    monkeypatch.setenv("AIRFLOW_VAR_SOCIALPULSE_FRESHNESS_HOURS", '{"crm_daily": 11}')
    page = client.get(f"{PREFIX}/health", headers=viewer()).text
    assert "11:00 of D+1" in page and "08:00 of D+1" not in page and "06:00 of D+1" in page
    monkeypatch.setenv("AIRFLOW_VAR_SOCIALPULSE_FRESHNESS_HOURS", '{"crm": 11}')
    answer = client.get(f"{PREFIX}/health", headers=viewer())
    assert answer.status_code == 200 and "of D+1</td>" not in answer.text
    assert "variable &#39;socialpulse_freshness_hours&#39; names 1 key that is not a source DAG" in answer.text
    assert 'id="audit"' in answer.text and 'id="findings"' in answer.text  # the rest of the page is still shown


def test_without_a_range_the_pages_show_the_four_weeks_up_to_the_newest_data(client, warehouse):
    first = date.fromisoformat(DAYS[1]) - timedelta(days=27)
    for path in ("/", "/campaigns"):
        assert f"Campaigns, {first} to {DAYS[1]}" in client.get(PREFIX + path, headers=viewer()).text, path


def test_the_overview_shows_the_warehouse_s_figures(client, warehouse):
    page = client.get(
        f"{PREFIX}/?since={DAYS[0]}&until={DAYS[1]}", headers={"Authorization": f"Bearer {token('viewer')}"}
    ).text
    with sqlite3.connect(warehouse) as conn:
        accounts, daily = queries.overview(conn, *DAYS), queries.daily_totals(conn, *DAYS)
    for account in accounts:
        assert f"{account['spend']:,.2f}" in page and f"{account['ctr']:.2%}" in page
    trend = re.search(r'<div class="charts" id="trend-USD">(.*?)</div>', page, re.S).group(1)
    lines = re.findall(r'<polyline class="line" points="([^"]+)"', trend)
    assert {d["currency"] for d in daily} == {"USD"} and len(daily) > 1
    assert len(lines) == 6 and all(len(line.split()) == len(daily) for line in lines)
    assert "ROAS per day (USD)" in trend and f"{max(d['spend'] for d in daily):,.0f}" in trend
    assert 'href="static/dashboard.css"' in page and "http" not in re.sub(r"<!doctype[^>]*>", "", page)


def test_a_missing_warehouse_is_a_message_not_a_stack_trace(client, tmp_path, monkeypatch):
    missing = tmp_path / "nowhere.db"
    monkeypatch.setenv("AIRFLOW_CONN_MARKETING_WAREHOUSE", json.dumps({"conn_type": "sqlite", "host": str(missing)}))
    answer = client.get(f"{PREFIX}/health", headers={"Authorization": f"Bearer {token('viewer')}"})
    assert (
        answer.status_code == 503
        and "the SQLite warehouse of connection &#39;marketing_warehouse&#39; does not exist yet" in answer.text
    )
    assert "Traceback" not in answer.text and str(tmp_path) not in answer.text  # no server path for every viewer


@pytest.mark.parametrize(
    "query",
    [f"?until=0001-01-{day:02d}" for day in (1, 13, 27)]
    + ["?since=0001-01-01", "?until=9999-12-31", "?since=1969-12-31&until=2026-11-01"],
)
@pytest.mark.parametrize("page", ["", "campaigns", "posts"])
def test_a_day_outside_any_data_s_span_is_refused_with_422_not_a_500(client, warehouse, page, query):
    answer = client.get(f"{PREFIX}/{page}{query}", headers={"Authorization": f"Bearer {token('viewer')}"})
    assert answer.status_code == 422 and "a day from 1970-01-01 to 2999-12-31" in answer.text


def test_a_chart_of_a_day_outside_the_span_is_422(client, warehouse):
    answer = client.get(
        f"{PREFIX}/audience/0001-01-01/segments.png", headers={"Authorization": f"Bearer {token('viewer')}"}
    )
    assert answer.status_code == 422


@pytest.mark.parametrize("path", ["/", "/health", "/static/dashboard.css", "/nowhere", "/?until=0001-01-01"])
def test_every_answer_carries_the_security_headers(client, warehouse, path):
    from socialpulse_airflow.dashboard.app import SECURITY_HEADERS

    answer = client.get(f"{PREFIX}{path}", headers={"Authorization": f"Bearer {token('viewer')}"})
    assert {k: answer.headers.get(k) for k in SECURITY_HEADERS} == SECURITY_HEADERS
    assert (
        answer.headers["X-Frame-Options"] == "SAMEORIGIN"
        and "frame-ancestors 'self'" in answer.headers["Content-Security-Policy"]
    )


def test_the_dashboard_cannot_write(tmp_path, pg_conn):
    path = tmp_path / "warehouse.db"
    sqlite3.connect(path).close()
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        open_read_only("sqlite", str(path)).execute("CREATE TABLE t (x int)")
    import psycopg

    info = pg_conn.info
    conn = open_read_only(
        "postgres",
        info.host,
        info.port,
        info.dbname,
        info.user,
        info.password,
        {"application_name": "dashboard-test", "not_libpq": "ignored"},
    )
    assert conn.info.parameter_status("application_name") == "dashboard-test"
    assert conn.execute("SHOW statement_timeout").fetchone()[0] == "5s"  # a slow query ends in a message, not a hang
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        conn.execute("CREATE TABLE dashboard_write_probe (x int)")
    conn.close()
    with pytest.raises(WarehouseUnavailableError, match="reads postgres or sqlite"):
        open_read_only("mysql", "h")


def test_the_experiments_page_shows_each_decision_and_its_interval(client, warehouse, tmp_path):
    from socialpulse.jobs.experiments import evaluate_all
    from socialpulse.lake import Lake
    from socialpulse_dev.simulator import experiments as planted

    with sqlite3.connect(warehouse) as conn:
        evaluate_all(
            conn,
            Lake.at(tmp_path / "lake"),
            tuple(planted.declared()[name] for name in ("video_creative", "headline_copy")),
            DAYS[1],
            "run",
        )
        arms = {a["experiment"]: a for a in queries.experiments(conn)}
    page = client.get(f"{PREFIX}/experiments", headers={"Authorization": f"Bearer {token('viewer')}"}).text
    arm = arms["video_creative"]
    assert "winner (video)" in page and f"[{arm['lift_low']:+.1%}, {arm['lift_high']:+.1%}]" in page
    assert page.count('<polyline class="line"') == 2 and 'id="chart-video_creative-video"' in page
    srm = dict(re.findall(r'<tr class="\w+"><td>(\w+)</td>.*?<td class="srm">(.*?)</td>', page, re.S))
    assert srm["headline_copy"].startswith("<b>mismatch</b> (p ")  # the planted broken split
    assert srm["video_creative"] == f"as planned (p {arms['video_creative']['srm_p_value']:.2g})"
    # campaign arms have no person-level history: the page says so rather than showing an adjustment
    unadjusted = dict(re.findall(r'<tr class="\w+"><td>(\w+)</td>.*?<td class="unadjusted">(.*?)</td>', page, re.S))
    assert unadjusted["video_creative"] == "no person-level pre-period: not adjusted"
    plans = dict(re.findall(r'<tr class="\w+"><td>(\w+)</td>.*?<td class="plan">(.*?)</td>', page, re.S))
    assert plans["video_creative"].startswith(f"detects {arm['detectable_lift']:.1%} now; the minimum effect needs ")
    assert f"day {arm['decision_day']}" in page and arm["decision_day"] >= 1


def test_an_unreachable_warehouse_is_named_without_its_details(client, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_MARKETING_WAREHOUSE", "postgres://nobody:secret@127.0.0.1:1/nowhere")
    answer = client.get(f"{PREFIX}/", headers={"Authorization": f"Bearer {token('viewer')}"})
    assert answer.status_code == 503
    assert (
        "the warehouse (connection &#39;marketing_warehouse&#39;) could not be read: OperationalError; the "
        "api-server&#39;s log has the details" in answer.text
    )
    assert "secret" not in answer.text and "127.0.0.1" not in answer.text


def test_an_empty_sqlite_warehouse_says_to_run_the_pipeline(client, tmp_path, monkeypatch):
    sqlite3.connect(tmp_path / "empty.db").close()
    monkeypatch.setenv(
        "AIRFLOW_CONN_MARKETING_WAREHOUSE", json.dumps({"conn_type": "sqlite", "host": str(tmp_path / "empty.db")})
    )
    answer = client.get(f"{PREFIX}/", headers=viewer())
    assert answer.status_code == 503 and "has no SocialPulse tables yet: run the pipeline first" in answer.text


def test_an_unmigrated_warehouse_says_what_migrates_it(client, monkeypatch, postgres_database):
    import psycopg

    from socialpulse.warehouse import apply_migrations
    from socialpulse.warehouse.migrations import MIGRATIONS

    uri, conninfo = postgres_database
    monkeypatch.setenv("AIRFLOW_CONN_MARKETING_WAREHOUSE", uri)
    empty = client.get(f"{PREFIX}/health", headers=viewer())  # the failed probe is rolled back, the message shown
    assert empty.status_code == 503 and "has no SocialPulse tables yet: run the pipeline first" in empty.text
    with psycopg.connect(conninfo) as conn:  # migrated by an older SocialPulse: the newest migration is missing
        apply_migrations(conn)
        conn.execute("DELETE FROM socialpulse_schema_migrations WHERE version = %s", (MIGRATIONS[-1].version,))
    behind = client.get(f"{PREFIX}/health", headers=viewer())
    assert (
        behind.status_code == 503
        and (
            f"is at schema version {MIGRATIONS[-1].version - 1} and this SocialPulse reads version "
            f"{MIGRATIONS[-1].version}: the DAGs migrate it when they next run"
        )
        in behind.text
    )


def test_a_slow_sqlite_query_is_interrupted_at_the_time_limit(tmp_path, monkeypatch):
    from socialpulse_airflow.dashboard import warehouse

    monkeypatch.setattr(warehouse, "TIMEOUT_SECONDS", 0.2)
    sqlite3.connect(tmp_path / "w.db").close()
    conn = open_read_only("sqlite", str(tmp_path / "w.db"))
    with pytest.raises(sqlite3.OperationalError, match="interrupted"):
        conn.execute("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c")
