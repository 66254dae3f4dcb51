"""The source DAGs end to end with dag.test(): simulator over HTTP, real lake, SQLite or Postgres warehouse."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime

from socialpulse.lake import Lake
from socialpulse.transforms.entities import CAMPAIGN_METRICS_DAILY
from socialpulse.warehouse.migrations import MIGRATIONS
from socialpulse_dev.simulator import meta_data
from socialpulse_dev.simulator.crm_drop import daily_orders
from tests.dags.conftest import no_retries, task_states

AS_OF = date(2026, 11, 5)
# A manual run's data interval is the last whole day before the date given: these runs cover 2026-11-02.
LOGICAL_DATE = datetime(2026, 11, 3, tzinfo=UTC)
DAY = date(2026, 11, 2)
SOURCES = ("crm_daily", "meta_ads_daily", "organic_social_daily", "attribution_daily")
CONF = {"meta_ads_daily": {"report_mode": "sync"}}
# The run's day and 28 days of look-back: every campaign's, and the planted split tests' from their start.
CAMPAIGN_DAYS = sum(len(meta_data.insight_rows(7, a, date(2026, 10, 5), DAY, AS_OF)) for a in meta_data.ACCOUNTS)


def run(dag, **conf):
    return dag.test(logical_date=LOGICAL_DATE, run_conf=conf or None)


def warehouse_rows(path, table: str = "campaign_metrics_daily") -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3, 4").fetchall()


def test_meta_ads_lands_cleans_and_loads_every_account(dags, pipeline):
    warehouse, lake = pipeline(DAY, AS_OF)
    ads = run(dags["meta_ads_daily"], report_mode="async")
    assert ads.state == "success", task_states(ads)
    assert sorted(ti.rendered_map_index for ti in ads.get_task_instances() if ti.task_id == "extract_meta_ads") == [
        "act_1001",
        "act_1002",
        "act_1003",
    ]
    rows = warehouse_rows(warehouse)
    assert len(rows) == CAMPAIGN_DAYS
    assert {r[0] for r in rows} == {f"2026-10-{d:02d}" for d in range(5, 32)} | {"2026-11-01", "2026-11-02"}
    raw = lake / "raw" / "meta_ads" / "ads_insights" / "ds=2026-11-02"
    assert sorted(p.name for p in raw.iterdir()) == [
        "_manifest.json",
        "account_id=1001",
        "account_id=1002",
        "account_id=1003",
    ]
    assert (lake / "reference" / "fx_rates" / "ds=2026-11-02" / "rates.csv.gz").exists()
    assert not (lake / "raw" / "x").exists() and not (lake / "raw" / "crm").exists()  # one source only


def test_every_source_lands_and_attribution_credits_the_orders(dags, pipeline):
    warehouse, lake = pipeline(DAY, AS_OF)
    for dag_id in SOURCES:
        result = run(dags[dag_id], **CONF.get(dag_id, {}))
        assert result.state == "success", (dag_id, task_states(result))
    with sqlite3.connect(warehouse) as conn:
        per_platform = dict(conn.execute("SELECT platform, count(*) FROM post_metrics_daily GROUP BY platform"))
        credited = conn.execute(
            "SELECT sum(attributed_orders) FROM campaign_metrics_daily WHERE metric_date = '2026-11-02'"
        ).fetchone()[0]
    assert set(per_platform) == {"facebook", "instagram", "x"} and all(per_platform.values())
    assert credited == sum(1 for o in daily_orders(7, DAY) if o["utm_campaign"])
    for entity in ("post_metrics", "engagement_events", "crm_users", "crm_orders"):
        assert "2026-11-02" in Lake.at(lake).clean(entity).snapshot().days()
    for platform, entity in (("facebook", "posts"), ("instagram", "posts"), ("x", "posts"), ("crm", "orders")):
        assert (lake / "raw" / platform / entity / "ds=2026-11-02" / "_manifest.json").exists()
    with sqlite3.connect(warehouse) as conn:
        refused = conn.execute(
            "SELECT entity, metric, severity FROM data_quality_findings WHERE check_name = 'metric_refused'"
        ).fetchall()
    # carousels have no views: told once, not lost
    assert refused == [("post_metrics", "instagram CAROUSEL_ALBUM/FEED: views", "warning")]


def test_a_meta_api_version_past_its_end_of_life_is_a_warning_and_a_finding(dags, pipeline, monkeypatch):
    import json
    import os

    warehouse, _ = pipeline(DAY, AS_OF)
    meta = json.loads(os.environ["AIRFLOW_CONN_META_MARKETING"])
    monkeypatch.setenv(
        "AIRFLOW_CONN_META_MARKETING", json.dumps({**meta, "extra": {**meta["extra"], "api_version": "v21.0"}})
    )
    assert run(dags["meta_ads_daily"], report_mode="sync").state == "success"
    with sqlite3.connect(warehouse) as conn:
        found = conn.execute(
            "SELECT entity, metric, detail FROM data_quality_findings WHERE check_name = 'api_version_expired'"
        ).fetchall()
    assert [(entity, metric) for entity, metric, _ in found] == [("meta_marketing", "api_version")]
    assert "Marketing API v21.0 was available until 2025-09-09" in found[0][2]


def test_crediting_does_not_depend_on_which_source_loaded_first(dags, pipeline, tmp_path):
    results = []
    for order in (
        ("crm_daily", "attribution_daily", "meta_ads_daily", "attribution_daily"),
        ("meta_ads_daily", "attribution_daily", "crm_daily", "attribution_daily"),
    ):
        warehouse = tmp_path / f"{order[0]}-first.db"
        pipeline(DAY, AS_OF, warehouse=warehouse)
        for dag_id in order:
            assert run(dags[dag_id], **CONF.get(dag_id, {})).state == "success", dag_id
        results.append([r for r in warehouse_rows(warehouse) if r[0] == "2026-11-02"])
    crm_first, ads_first = results
    columns = list(CAMPAIGN_METRICS_DAILY.column_names)
    attributed = [columns.index("attributed_orders"), columns.index("attributed_revenue")]
    assert [[r[i] for i in attributed] for r in crm_first] == [[r[i] for i in attributed] for r in ads_first]
    assert sum(r[attributed[0]] for r in crm_first) > 0


def test_one_platform_failing_spares_the_others_and_the_run_names_it(dags, pipeline, monkeypatch):
    warehouse, _ = pipeline(DAY, AS_OF, x_token="another-token")  # X refuses our bearer token
    no_retries(dags["organic_social_daily"], monkeypatch)
    organic = run(dags["organic_social_daily"])
    states = task_states(organic)
    assert organic.state == "failed"
    assert states["extract_organic[x:1597000000000000001]"] == "failed"
    assert states["extract_organic[facebook:110000000000001]"] == "success"
    assert states["load_post_metrics[-1]"] == "success" and states["summarize_failures[-1]"] == "failed"
    with sqlite3.connect(warehouse) as conn:
        platforms = {r[0] for r in conn.execute("SELECT DISTINCT platform FROM post_metrics_daily")}
    assert platforms == {"facebook", "instagram"}


def test_unconfigured_sources_are_skipped(dags, pipeline, monkeypatch):
    warehouse, _ = pipeline(DAY, AS_OF)
    for name in ("AIRFLOW_CONN_X_API", "AIRFLOW_CONN_META_GRAPH", "AIRFLOW_VAR_SOCIALPULSE_CRM_SOURCE"):
        monkeypatch.delenv(name)
    organic, crm = run(dags["organic_social_daily"]), run(dags["crm_daily"])
    assert (organic.state, crm.state) == ("success", "success")
    assert task_states(organic)["load_post_metrics[-1]"] == "skipped"
    assert task_states(crm)["extract_crm[-1]"] == "skipped"
    assert run(dags["meta_ads_daily"], report_mode="sync").state == "success"
    assert len(warehouse_rows(warehouse)) > 0


def test_running_a_date_twice_changes_nothing(dags, pipeline):
    warehouse, lake = pipeline(DAY, AS_OF)
    assert run(dags["meta_ads_daily"], report_mode="sync").state == "success"
    first = warehouse_rows(warehouse)
    findings = warehouse_rows(warehouse, "data_quality_findings")
    assert run(dags["meta_ads_daily"], report_mode="sync").state == "success"
    assert warehouse_rows(warehouse) == first
    assert warehouse_rows(warehouse, "data_quality_findings") == findings
    assert not any((lake / "_staging").rglob("*.jsonl.gz"))  # staging emptied by landing


def test_a_bad_token_fails_the_run_and_keeps_the_warehouse_untouched(dags, pipeline, monkeypatch):
    warehouse, _ = pipeline(DAY, AS_OF, invalid_token=True)
    no_retries(dags["meta_ads_daily"], monkeypatch)
    ads = run(dags["meta_ads_daily"])
    states = {ti.task_id: ti.state for ti in ads.get_task_instances()}
    assert ads.state == "failed"
    assert states["extract_meta_ads"] == "failed" and states["load_campaign_metrics"] == "upstream_failed"
    with sqlite3.connect(warehouse) as conn:
        assert conn.execute("SELECT count(*) FROM campaign_metrics_daily").fetchone() == (0,)


def test_every_dag_into_a_postgres_warehouse(dags, pipeline, postgres_database):
    """PostgresHook's psycopg 3 connection, COPY + ON CONFLICT and the common-sql checks on Postgres, twice."""
    import psycopg

    uri, dsn = postgres_database
    pipeline(DAY, AS_OF, warehouse=uri)
    for _ in range(2):
        for dag_id in SOURCES:
            result = run(dags[dag_id], **CONF.get(dag_id, {}))
            assert result.state == "success", (dag_id, task_states(result))
    with psycopg.connect(dsn) as conn:
        count, dates, newest = conn.execute(
            "SELECT count(*), count(DISTINCT metric_date), max(metric_date) FROM campaign_metrics_daily"
        ).fetchone()
        versions = conn.execute("SELECT version FROM socialpulse_schema_migrations ORDER BY 1").fetchall()
        history = conn.execute("SELECT count(*) FROM campaign_metrics_history").fetchone()[0]
        credited = conn.execute(
            "SELECT sum(attributed_orders) FROM campaign_metrics_daily WHERE metric_date = %s", (DAY,)
        ).fetchone()[0]
        audit = conn.execute(
            "SELECT entity, count(DISTINCT run_id), sum(rows_in), count(loaded_at) "
            "FROM pipeline_audit GROUP BY entity ORDER BY entity"
        ).fetchall()
    assert (count, dates, newest) == (CAMPAIGN_DAYS, 29, DAY)
    assert versions == [(m.version,) for m in MIGRATIONS]
    assert history == count  # the second run saw the same values: no new versions
    assert credited == sum(1 for o in daily_orders(7, DAY) if o["utm_campaign"])
    assert [(entity, runs, loaded) for entity, runs, _, loaded in audit] == [
        (e, 2, 2)
        for e in ("campaign_metrics", "crm_match_keys", "crm_orders", "crm_users", "engagement_events", "post_metrics")
    ]
    assert all(rows_in > 0 for _, _, rows_in, _ in audit)


def test_a_messy_drop_fails_its_clean_step_with_the_reasons(dags, pipeline, monkeypatch, tmp_path):
    warehouse, lake = pipeline(DAY, AS_OF)
    users = tmp_path / "crm" / f"ds={DAY}" / "users.csv"
    lines = users.read_text().splitlines()
    age = lines[0].split(",").index("age")
    messy = [
        ",".join(v if i != age or n % 5 else "250" for i, v in enumerate(line.split(",")))
        for n, line in enumerate(lines[1:])
    ]
    users.write_text("\n".join([lines[0], *messy]) + "\n")
    no_retries(dags["crm_daily"], monkeypatch)
    crm = run(dags["crm_daily"])
    assert crm.state == "failed" and task_states(crm)["clean_crm[-1]"] == "failed"
    with sqlite3.connect(warehouse) as conn:
        share, reasons, path, loaded = conn.execute(
            "SELECT quarantined_share, top_reasons, quarantine_path, loaded_at FROM pipeline_audit "
            "WHERE entity = 'crm_users'"
        ).fetchone()
    assert share > 0.19 and "age outside 13-100" in reasons and loaded is None  # audited, not published
    assert path == str(lake / "quarantine" / "crm_users" / f"ds={DAY}")


def test_privacy_erasure_removes_the_people_a_drop_asks_to_forget(dags, pipeline, tmp_path):
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    from socialpulse.jobs import crm
    from socialpulse.transforms.privacy import Pseudonymizer
    from socialpulse_dev.devenv import DEMO_KEY
    from socialpulse_dev.simulator.audience import audience
    from socialpulse_dev.simulator.crm_drop import UNKNOWN_ID, write_drop, write_erasure_requests

    warehouse, lake = pipeline(DAY, AS_OF)
    write_drop(tmp_path / "crm", date(2026, 11, 1))  # the day before's drop links the platform ids
    crm.extract(str(tmp_path / "crm"), Lake.at(lake), "2026-11-01", "the-run-of-the-day-before")
    for dag_id in ("crm_daily", "organic_social_daily"):
        assert run(dags[dag_id]).state == "success"
    events = Lake.at(lake).clean("engagement_events").read_days([DAY.isoformat()])
    tokens = {Pseudonymizer(DEMO_KEY).token("crm", m.user_id): m for m in audience(7)}
    person = next(tokens[p] for p in events.person_id if p in tokens and tokens[p].x_id and tokens[p].facebook_id)
    pseudonym = Pseudonymizer(DEMO_KEY).token("crm", person.user_id)
    before = int((events.person_id == pseudonym).sum())
    assert before > 0

    # the documented route: the CRM's suppression list in the day's drop, by X id here; and a typo
    write_erasure_requests(
        tmp_path / "crm",
        DAY,
        [{"user_id": person.x_id, "id_namespace": "x"}, {"user_id": UNKNOWN_ID, "id_namespace": ""}],
    )
    erasure = run(dags["privacy_erasure"])
    assert erasure.state == "success", task_states(erasure)
    for dag_id in ("crm_daily", "organic_social_daily"):  # rerun the day: the person stays erased
        assert run(dags[dag_id]).state == "success"
    for entity in ("engagement_events", "crm_users", "crm_orders"):
        frame = Lake.at(lake).clean(entity).read_days([DAY.isoformat()])
        assert pseudonym not in set(frame.person_id), entity
    with sqlite3.connect(warehouse) as conn:
        record = conn.execute(
            "SELECT pseudonym, status, request_day, request_line, clean_rows FROM privacy_erasures "
            "ORDER BY request_line"
        ).fetchall()
    assert [r[1:4] for r in record] == [("erased", str(DAY), 2), ("not_found", str(DAY), 3)]
    assert record[0][0] == pseudonym and record[0][4] >= before  # clean_rows: at least the engagement events
    with create_session() as session:  # Airflow's metadata: neither the conf nor an XCom names anyone
        stored = [str(x.value) for x in session.query(XComModel).filter(XComModel.run_id == erasure.run_id)]
    assert (
        not erasure.conf
        and stored
        and not [s for s in stored if person.user_id in s or person.x_id in s or pseudonym in s or UNKNOWN_ID in s]
    )
