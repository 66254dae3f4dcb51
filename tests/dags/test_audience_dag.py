"""audience_intelligence with dag.test() after the sources' first runs: day-one history, every table written."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime

from socialpulse.audience.entities import AUDIENCE_ENTITIES
from socialpulse.jobs import audience as jobs_audience
from socialpulse_dev.simulator.crm_drop import write_drop
from tests.dags.conftest import task_states

AS_OF = date(2026, 11, 5)
LOGICAL_DATE = datetime(2026, 11, 3, tzinfo=UTC)  # the data interval is 2026-11-02
DAY = date(2026, 11, 2)


def test_a_new_installation_models_its_audience_on_day_one(dags, pipeline, monkeypatch, tmp_path):
    warehouse, lake = pipeline(DAY, AS_OF, x_rate_limit=10_000)  # 90 days of X engagers in one window
    write_drop(tmp_path / "crm", DAY, history_days=365)  # the CRM's first export carries a year of orders
    monkeypatch.setenv("AIRFLOW_VAR_SOCIALPULSE_FIRST_RUN_LOOKBACK_DAYS", "90")
    for dag_id, conf in (
        ("crm_daily", None),
        ("meta_ads_daily", {"report_mode": "sync"}),
        ("organic_social_daily", None),
    ):
        result = dags[dag_id].test(logical_date=LOGICAL_DATE, run_conf=conf)
        assert result.state == "success", (dag_id, task_states(result))
    # the profiles' buckets dealt to two mapped tasks, as a deployment with several Celery workers would
    monkeypatch.setenv("AIRFLOW_VAR_SOCIALPULSE_PROFILE_TASKS", "2")
    monkeypatch.setattr(jobs_audience, "PROFILE_PEOPLE", 300)
    run = dags["audience_intelligence"].test(logical_date=LOGICAL_DATE)
    assert run.state == "success", task_states(run)
    states = task_states(run)
    for mapped in ("resolve_events", "profile_people"):
        assert [k for k in states if k.startswith(f"{mapped}[")] == [f"{mapped}[0]", f"{mapped}[1]"], states
    tasks = dags["audience_intelligence"].task_dict
    assert tasks["train_propensity"].pool == "tensorflow"
    # the holdouts are read from the lists the run built, and nothing waits on them but the failure summary
    assert tasks["read_audience_holdouts"].upstream_task_ids == {"build_target_audiences", "pick_as_of_date"}
    assert tasks["read_audience_holdouts"].downstream_task_ids == {"summarize_failures"}
    with sqlite3.connect(warehouse) as conn:
        counts = {
            s.table: conn.execute(
                f"SELECT count(*) FROM {s.table} WHERE as_of_date = ?", (DAY.isoformat(),)
            ).fetchone()[0]
            for s in AUDIENCE_ENTITIES
        }
        oldest_post = conn.execute("SELECT min(created_at) FROM post_metrics_daily").fetchone()[0]
    assert all(counts.values()), counts
    assert oldest_post < "2026-08-10"  # the first organic run reached 90 days back
    assert (lake / "reports" / "audience" / f"ds={DAY}" / "report.html").exists()
