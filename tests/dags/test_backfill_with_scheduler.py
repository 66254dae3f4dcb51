"""Run as Airflow runs it: scheduler, dag-processor and api-server, then `airflow backfill create` of one source."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from contextlib import ExitStack
from datetime import date
from pathlib import Path

import pytest

from socialpulse_dev.devenv import airflow_home_env, pipeline_env
from socialpulse_dev.local_airflow import BUSY_TRIES, stop
from socialpulse_dev.simulator import meta_data
from socialpulse_dev.simulator.crm_drop import write_drop
from tests.conftest import free_port

BIN = Path(sys.executable).parent
DAG_ID = "meta_ads_daily"
OTHER_DAGS = ("organic_social_daily", "crm_daily", "attribution_daily", "experiments_daily", "privacy_erasure")
DATES = ["2026-11-01", "2026-11-02", "2026-11-03"]
AS_OF = date(2026, 11, 5)  # the simulator's today


def cli(env: dict, *args: str) -> str:
    """An airflow command; tried again while the SQLite metadata DB is locked by the scheduler (Airflow says
    SQLite does not support that concurrency: backfill creation, for one, may meet a lock)."""
    for attempt in range(1, BUSY_TRIES + 1):
        done = subprocess.run([BIN / "airflow", *args], env=env, capture_output=True, text=True, timeout=120)
        if done.returncode == 0 or "database is locked" not in done.stdout + done.stderr or attempt == BUSY_TRIES:
            break
        time.sleep(attempt)
    assert done.returncode == 0, f"airflow {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def json_lines(output: str) -> list[dict]:
    return json.loads(next((line for line in output.splitlines() if line.startswith("[")), "[]"))


def wait_for(what: str, check, timeout: float, processes: dict) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, process in processes.items():
            assert process.poll() is None, f"airflow {name} exited with {process.returncode}"
        result = check()
        if result:
            return result
        time.sleep(3)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.mark.slow
def test_backfilling_one_source_runs_only_that_source(tmp_path, simulator):
    home, port = tmp_path / "airflow", free_port()
    warehouse, lake = tmp_path / "warehouse.db", tmp_path / "lake"
    env = {
        **os.environ,
        **airflow_home_env(home),
        **pipeline_env(simulator(as_of=AS_OF, async_seconds=0.2), warehouse, lake, tmp_path / "crm"),
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__API_AUTH__JWT_SECRET": "socialpulse-test-secret",
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",  # only the backfill's runs, no catch-up run
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
    }
    for ds in DATES:
        write_drop(tmp_path / "crm", date.fromisoformat(ds))
    cli(env, "db", "migrate")
    processes: dict[str, subprocess.Popen] = {}
    with ExitStack() as cleanup:
        for name, args in (
            ("api-server", ["api-server", "--host", "127.0.0.1", "--port", str(port)]),
            ("scheduler", ["scheduler"]),
            ("dag-processor", ["dag-processor"]),
        ):
            log = cleanup.enter_context((tmp_path / f"{name}.log").open("w"))
            processes[name] = subprocess.Popen(
                [BIN / "airflow", *args], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
            cleanup.callback(stop, processes[name])

        wait_for(
            "the dag-processor to register the DAGs",
            lambda: {DAG_ID, *OTHER_DAGS} <= {d["dag_id"] for d in json_lines(cli(env, "dags", "list", "-o", "json"))},
            180,
            processes,
        )
        for other in OTHER_DAGS[:4]:  # unpaused too: only the backfill may start runs
            cli(env, "dags", "unpause", other)
        cli(env, "dags", "unpause", DAG_ID)
        cli(env, "backfill", "create", "--dag-id", DAG_ID, "--from-date", DATES[0], "--to-date", DATES[-1])

        def finished() -> list[dict] | None:
            runs = json_lines(cli(env, "dags", "list-runs", DAG_ID, "-o", "json"))
            failed = [r["run_id"] for r in runs if r["state"] == "failed"]
            assert not failed, f"runs failed: {failed}; logs under {home / 'logs'}"
            done = [r for r in runs if r["state"] == "success"]
            return runs if len(runs) == len(DATES) and len(done) == len(DATES) else None

        runs = wait_for("three successful backfill runs", finished, 600, processes)
        others = {other: json_lines(cli(env, "dags", "list-runs", other, "-o", "json")) for other in OTHER_DAGS}

    assert sorted(r["logical_date"][:10] for r in runs) == DATES
    assert all(r["run_id"].startswith("backfill__") for r in runs)
    assert all(p.poll() is not None for p in processes.values())
    assert others == {other: [] for other in OTHER_DAGS}

    campaigns = {
        d: sum(
            len(meta_data.insight_rows(7, a, date.fromisoformat(d), date.fromisoformat(d), AS_OF))
            for a in meta_data.ACCOUNTS
        )
        for d in DATES
    }  # the planted split tests' campaigns too
    with sqlite3.connect(warehouse) as conn:
        per_date = dict(
            conn.execute(
                "SELECT metric_date, count(*) FROM campaign_metrics_daily "
                "WHERE metric_date BETWEEN ? AND ? GROUP BY metric_date",
                (DATES[0], DATES[-1]),
            )
        )
        keys = conn.execute(
            "SELECT count(*), count(DISTINCT metric_date || account_id || campaign_id) FROM campaign_metrics_daily"
        ).fetchone()
    assert per_date == campaigns
    assert keys[0] == keys[1]
    for ds in DATES:
        assert (lake / "raw" / "meta_ads" / "ads_insights" / f"ds={ds}" / "_manifest.json").exists()
    assert sorted(p.name for p in (lake / "raw").iterdir()) == ["meta_ads"]  # no X post, page or drop re-pulled
    with sqlite3.connect(warehouse) as conn:
        assert conn.execute("SELECT count(*) FROM post_metrics_daily").fetchone() == (0,)
