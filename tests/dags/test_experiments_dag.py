"""experiments_daily with dag.test() after the sources' runs: the planted experiments read, a bad declaration named."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime

from socialpulse_dev.simulator.crm_drop import write_drop
from tests.dags.conftest import causes, no_retries, task_states

AS_OF = date(2026, 11, 5)
LOGICAL_DATE = datetime(2026, 11, 3, tzinfo=UTC)  # the data interval is 2026-11-02
DAY = date(2026, 11, 2)


def test_the_planted_experiments_are_decided_and_a_malformed_declaration_stops_the_run(
    dags, pipeline, monkeypatch, tmp_path
):
    warehouse, lake = pipeline(DAY, AS_OF)
    write_drop(tmp_path / "crm", DAY, history_days=40)  # the holdout's orders since its start
    for dag_id, conf in (("crm_daily", None), ("meta_ads_daily", {"report_mode": "sync"})):
        result = dags[dag_id].test(logical_date=LOGICAL_DATE, run_conf=conf)
        assert result.state == "success", (dag_id, task_states(result))
    run = dags["experiments_daily"].test(logical_date=LOGICAL_DATE)
    assert run.state == "success", task_states(run)
    with sqlite3.connect(warehouse) as conn:
        decisions = dict(
            conn.execute(
                "SELECT experiment, decision FROM experiment_results WHERE as_of_date = ? AND "
                "is_control AND role = 'primary'",
                (DAY.isoformat(),),
            ).fetchall()
        )
        first_look = conn.execute("SELECT min(as_of_date) FROM experiment_results").fetchone()[0]
    assert decisions["video_creative"] == "winner" and decisions["headline_copy"] == "sample_ratio_mismatch"
    assert set(decisions) == {"video_creative", "lookalike_audience", "headline_copy", "retargeting_holdout"}
    assert first_look == "2026-10-08"  # every look since the start, from the ads load's 28-day look-back
    assert sorted(p.name for p in (lake / "reports" / "experiments" / f"ds={DAY}").iterdir())[0] == "headline_copy.png"

    monkeypatch.setenv("AIRFLOW_VAR_SOCIALPULSE_EXPERIMENTS", "experiments:\n  - name: typo\n    hypotesis: x\n")
    no_retries(dags["experiments_daily"], monkeypatch)
    failed = dags["experiments_daily"].test(logical_date=datetime(2026, 11, 4, tzinfo=UTC))
    states = task_states(failed)
    assert states["evaluate_experiments[-1]"] == "failed" and failed.state == "failed", states
    assert causes(failed) == [
        "evaluate_experiments: variable socialpulse_experiments:3: experiment 'typo': an "
        "unknown field (text of 9 characters, did you mean hypothesis?); expected one of [alpha, "
        "arms, crm_column, end_date, guardrail_metrics, hypothesis, minimum_effect, multiple_testing, name, "
        "pre_period_days, primary_metric, start_date]"
    ]
