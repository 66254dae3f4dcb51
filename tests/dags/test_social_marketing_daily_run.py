"""social_marketing_daily end to end with dag.test(): simulator over HTTP, real lake, SQLite warehouse."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, date, datetime

import pytest

from socialpulse.devenv import pipeline_env
from socialpulse.simulator import meta_data
from socialpulse.simulator.crm_drop import daily_orders, write_drop
from socialpulse.warehouse.migrations import MIGRATIONS

AS_OF = date(2026, 11, 5)
# A manual run's data interval is the last whole day before the date given: this run covers 2026-11-02.
LOGICAL_DATE = datetime(2026, 11, 3, tzinfo=UTC)
DAY = date(2026, 11, 2)


@pytest.fixture
def daily_dag(migrated_airflow, dagbag):
    return dagbag.dags["social_marketing_daily"]


@pytest.fixture
def pipeline(simulator, tmp_path, monkeypatch):
    """Point the connections and the lake variable at a simulator and temporary files."""

    def configure(**simulator_config) -> tuple[str, str]:
        warehouse, lake, crm = tmp_path / "warehouse.db", tmp_path / "lake", tmp_path / "crm"
        write_drop(crm, DAY)
        url = simulator(as_of=AS_OF, async_seconds=0.05, **simulator_config)
        for name, value in pipeline_env(url, warehouse, lake, crm).items():
            monkeypatch.setenv(name, value)
        return warehouse, lake

    return configure


def warehouse_rows(path, table: str = "campaign_metrics_daily") -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3, 4").fetchall()


def task_states(run) -> dict[str, str]:
    return {f"{ti.task_id}[{ti.rendered_map_index or ti.map_index}]": ti.state for ti in run.get_task_instances()}


def test_daily_run_lands_cleans_and_loads_every_account(daily_dag, pipeline):
    warehouse, lake = pipeline()
    run = daily_dag.test(logical_date=LOGICAL_DATE, run_conf={"report_mode": "async"})
    assert run.state == "success", [(ti.task_id, ti.state) for ti in run.get_task_instances()]

    extract_names = sorted(ti.rendered_map_index for ti in run.get_task_instances()
                           if ti.task_id == "extract_meta_insights")
    assert extract_names == ["act_1001", "act_1002", "act_1003"]

    rows = warehouse_rows(warehouse)
    campaigns = sum(len(meta_data.campaigns(7, a)) for a in meta_data.ACCOUNTS)
    assert len(rows) == 29 * campaigns  # the run's day and 28 days of look-back
    assert {r[0] for r in rows} == {f"2026-10-{d:02d}" for d in range(5, 32)} | {"2026-11-01", "2026-11-02"}
    raw = lake / "raw" / "meta_marketing" / "ads_insights" / "ds=2026-11-02"
    assert sorted(p.name for p in raw.iterdir()) == [
        "_manifest.json", "account_id=1001", "account_id=1002", "account_id=1003"]
    assert (lake / "clean" / "campaign_metrics" / "ds=2026-11-02" / "part-0000.parquet").exists()


def test_every_source_lands_and_loads(daily_dag, pipeline):
    warehouse, lake = pipeline()
    run = daily_dag.test(logical_date=LOGICAL_DATE, run_conf={"report_mode": "sync"})
    assert run.state == "success", task_states(run)
    organic = sorted(ti.rendered_map_index for ti in run.get_task_instances() if ti.task_id == "extract_organic")
    assert organic == ["facebook:110000000000001", "instagram:17841400000000001", "x:1597000000000000001",
                       "x:1597000000000000002"]
    with sqlite3.connect(warehouse) as conn:
        per_platform = dict(conn.execute("SELECT platform, count(*) FROM post_metrics_daily GROUP BY platform"))
        credited = conn.execute("SELECT sum(attributed_orders) FROM campaign_metrics_daily "
                                "WHERE metric_date = '2026-11-02'").fetchone()[0]
    assert set(per_platform) == {"facebook", "instagram", "x"} and all(per_platform.values())
    assert credited == sum(1 for o in daily_orders(7, DAY) if o["utm_campaign"])
    for entity in ("post_metrics", "engagement_events", "crm_users", "crm_orders"):
        assert (lake / "clean" / entity / "ds=2026-11-02" / "part-0000.parquet").exists()
    for platform, entity in (("facebook", "posts"), ("instagram", "posts"), ("x", "posts"), ("crm", "orders")):
        assert (lake / "raw" / platform / entity / "ds=2026-11-02" / "_manifest.json").exists()


def test_one_platform_failing_spares_the_others_and_the_run_names_it(daily_dag, pipeline, monkeypatch):
    warehouse, _ = pipeline(x_token="another-token")  # X refuses our bearer token
    for task in daily_dag.tasks:
        monkeypatch.setattr(task, "retries", 0)
    run = daily_dag.test(logical_date=LOGICAL_DATE, run_conf={"report_mode": "sync"})
    states = task_states(run)
    assert run.state == "failed"
    assert states["extract_organic[x:1597000000000000001]"] == "failed"
    assert states["extract_organic[facebook:110000000000001]"] == "success"
    assert states["load_post_metrics[-1]"] == "success" and states["credit_orders[-1]"] == "success"
    assert states["report_sources[-1]"] == "failed"
    with sqlite3.connect(warehouse) as conn:
        platforms = {r[0] for r in conn.execute("SELECT DISTINCT platform FROM post_metrics_daily")}
    assert platforms == {"facebook", "instagram"}


def test_unconfigured_sources_are_skipped(daily_dag, pipeline, monkeypatch):
    warehouse, _ = pipeline()
    for name in ("AIRFLOW_CONN_X_API", "AIRFLOW_CONN_META_GRAPH", "AIRFLOW_VAR_SOCIALPULSE_CRM_SOURCE"):
        monkeypatch.delenv(name)
    run = daily_dag.test(logical_date=LOGICAL_DATE, run_conf={"report_mode": "sync"})
    states = task_states(run)
    assert run.state == "success", states
    assert states["extract_crm[-1]"] == "skipped" and states["load_post_metrics[-1]"] == "skipped"
    assert len(warehouse_rows(warehouse)) > 0


def test_running_a_date_twice_changes_nothing(daily_dag, pipeline):
    warehouse, lake = pipeline()
    assert daily_dag.test(logical_date=LOGICAL_DATE, run_conf={"report_mode": "sync"}).state == "success"
    first = warehouse_rows(warehouse)
    assert daily_dag.test(logical_date=LOGICAL_DATE, run_conf={"report_mode": "sync"}).state == "success"
    assert warehouse_rows(warehouse) == first
    assert not any((lake / "_staging").rglob("*.jsonl.gz"))  # staging emptied by landing


def test_a_bad_token_fails_the_run_and_keeps_the_warehouse_untouched(daily_dag, pipeline, monkeypatch):
    warehouse, _ = pipeline(invalid_token=True)
    for task in daily_dag.tasks:
        monkeypatch.setattr(task, "retries", 0)  # dag.test really waits retry_delay between tries
    run = daily_dag.test(logical_date=LOGICAL_DATE)
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert run.state == "failed"
    assert states["extract_meta_insights"] == "failed"
    assert states["load_campaign_metrics"] == "upstream_failed"
    with sqlite3.connect(warehouse) as conn:
        assert conn.execute("SELECT count(*) FROM campaign_metrics_daily").fetchone() == (0,)


@pytest.fixture
def postgres_database():
    """A fresh Postgres database for the warehouse connection, dropped afterwards."""
    import psycopg

    from tests.conftest import PG_DSN, require_service

    name = f"sp_dag_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(PG_DSN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        require_service(f"PostgreSQL is not reachable at '{PG_DSN}': {exc}")
    admin.execute(f"CREATE DATABASE {name}")
    info = admin.info
    yield f"postgresql://{info.user}@{info.host}:{info.port}/{name}", psycopg.conninfo.make_conninfo(PG_DSN,
                                                                                                      dbname=name)
    admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
    admin.close()


def test_daily_run_into_a_postgres_warehouse(daily_dag, simulator, tmp_path, monkeypatch, postgres_database):
    """PostgresHook's psycopg 3 connection, COPY + ON CONFLICT and the common-sql checks on Postgres."""
    import psycopg

    uri, dsn = postgres_database
    write_drop(tmp_path / "crm", DAY)
    for name, value in pipeline_env(simulator(as_of=AS_OF, async_seconds=0.05), uri, tmp_path / "lake",
                                    tmp_path / "crm").items():
        monkeypatch.setenv(name, value)
    for _ in range(2):
        run = daily_dag.test(logical_date=LOGICAL_DATE, run_conf={"report_mode": "sync"})
        assert run.state == "success", [(ti.task_id, ti.state) for ti in run.get_task_instances()]
    with psycopg.connect(dsn) as conn:
        count, dates, newest = conn.execute(
            "SELECT count(*), count(DISTINCT metric_date), max(metric_date) FROM campaign_metrics_daily").fetchone()
        versions = conn.execute("SELECT version FROM socialpulse_schema_migrations ORDER BY 1").fetchall()
        history = conn.execute("SELECT count(*) FROM campaign_metrics_history").fetchone()[0]
        audit = conn.execute("SELECT entity, count(DISTINCT run_id), sum(rows_in) FROM pipeline_audit "
                             "GROUP BY entity ORDER BY entity").fetchall()
    campaigns = sum(len(meta_data.campaigns(7, a)) for a in meta_data.ACCOUNTS)
    assert (count, dates, newest) == (29 * campaigns, 29, date(2026, 11, 2))
    assert versions == [(m.version,) for m in MIGRATIONS]
    assert history == count  # the second run saw the same values: no new versions
    assert [(entity, runs) for entity, runs, _ in audit] == [
        (e, 2) for e in ("campaign_metrics", "crm_orders", "crm_users", "engagement_events", "post_metrics")]
    assert all(rows_in > 0 for _, _, rows_in in audit)


def test_a_messy_drop_fails_its_clean_step_with_the_reasons_and_spares_the_rest(daily_dag, pipeline, monkeypatch,
                                                                                 tmp_path):
    warehouse, lake = pipeline()
    users = tmp_path / "crm" / f"ds={DAY}" / "users.csv"
    lines = users.read_text().splitlines()
    header = lines[0].split(",")
    age = header.index("age")
    messy = [",".join(v if i != age or n % 5 else "250" for i, v in enumerate(line.split(",")))
             for n, line in enumerate(lines[1:])]
    users.write_text("\n".join([lines[0], *messy]) + "\n")
    for task in daily_dag.tasks:
        monkeypatch.setattr(task, "retries", 0)
    run = daily_dag.test(logical_date=LOGICAL_DATE, run_conf={"report_mode": "sync"})
    states = task_states(run)
    assert run.state == "failed"
    assert states["clean_crm[-1]"] == "failed" and states["credit_orders[-1]"] == "upstream_failed"
    assert states["load_campaign_metrics[-1]"] == "success" and states["load_post_metrics[-1]"] == "success"
    with sqlite3.connect(warehouse) as conn:
        share, reasons, path = conn.execute("SELECT quarantined_share, top_reasons, quarantine_path "
                                            "FROM pipeline_audit WHERE entity = 'crm_users'").fetchone()
    assert share > 0.19 and "age outside 13-100" in reasons
    assert path == str(lake / "quarantine" / "crm_users" / f"ds={DAY}")


def test_privacy_erasure_removes_a_person_for_good(daily_dag, dagbag, pipeline):
    import pandas as pd

    from socialpulse.devenv import DEMO_KEY
    from socialpulse.simulator.audience import audience
    from socialpulse.transforms.privacy import Pseudonymizer

    warehouse, lake = pipeline()
    assert daily_dag.test(logical_date=LOGICAL_DATE, run_conf={"report_mode": "sync"}).state == "success"
    events = pd.read_parquet(lake / "clean" / "engagement_events" / f"ds={DAY}")
    tokens = {Pseudonymizer(DEMO_KEY).token("crm", m.user_id): m for m in audience(7)}
    person = next(tokens[p] for p in events.person_id if p in tokens and tokens[p].x_id and tokens[p].facebook_id)
    pseudonym = Pseudonymizer(DEMO_KEY).token("crm", person.user_id)
    before = int((events.person_id == pseudonym).sum())
    assert before > 0

    erasure = dagbag.dags["privacy_erasure"].test(run_conf={"user_id": person.user_id})
    assert erasure.state == "success"
    assert daily_dag.test(logical_date=LOGICAL_DATE, run_conf={"report_mode": "sync"}).state == "success"  # rerun
    for entity in ("engagement_events", "crm_users", "crm_orders"):
        frame = pd.read_parquet(lake / "clean" / entity / f"ds={DAY}")
        assert pseudonym not in set(frame.person_id), entity
    with sqlite3.connect(warehouse) as conn:
        record = conn.execute("SELECT * FROM privacy_erasures").fetchall()
    assert len(record) == 1 and record[0][0] == pseudonym and person.user_id not in str(record)
    assert record[0][3] >= before  # clean_rows: at least the engagement events
