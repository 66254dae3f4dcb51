"""Airflow's CeleryExecutor for real, natively: Postgres metadata, Redis broker, two workers on their own queues.

The topology of docker-compose.yaml without Docker: api-server, scheduler and dag-processor, a worker
for the `default` queue and one for `ml`, each in its own working directory and Airflow home (so its
own task logs), the lake on a local S3 server reached through the `socialpulse_lake` connection.
Three dates of every source DAG are backfilled, then the downstream DAGs, and the warehouse must hold
the same rows as `dag.test()` runs of the same dates leave in another one, on a local lake.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from socialpulse import lake as lake_zone
from socialpulse_dev.devenv import airflow_home_env, pipeline_env
from socialpulse_dev.local_airflow import (
    ALL_DAGS,
    IN_ORDER,
    Service,
    backfill,
    pipeline_steps,
    running,
    service_env,
    set_paused,
    wait_for_dags,
)
from socialpulse_dev.simulator.crm_drop import write_drop
from tests.conftest import free_port, require_service
from tests.dags.conftest import task_states
from tests.lake_reads import differences as lake_differences

BIN = Path(sys.executable).parent
DATES = ["2026-11-01", "2026-11-02", "2026-11-03"]
AS_OF = date(2026, 11, 5)  # the simulator's today
REDIS_URL = os.environ.get("SOCIALPULSE_TEST_REDIS", "redis://127.0.0.1:6379/0")
ML_TASKS = {"segment_audience", "train_propensity"}
# Columns that name the run or the moment that wrote a row, not what the row says.
LINEAGE = {"run_id", "extracted_at", "found_at", "trained_at", "loaded_at", "applied_at"}
PER_RUN_TABLES = {"pipeline_audit", "data_quality_findings"}  # one row per run: different runs, different rows


def redis_reachable() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        require_service(f"Redis is not reachable at {REDIS_URL}: {exc}")


def crm_drops(folder: Path) -> Path:
    for day in DATES:  # a full export first, then daily increments, as the demo has them
        write_drop(folder, date.fromisoformat(day), history_days=365 if day == DATES[0] else 0)
    return folder


def warehouse_rows(dsn: str, lake_root: str) -> dict[str, list[tuple]]:
    """Every table's rows as text, sorted, without lineage columns; the lake's root written as <lake>."""
    import psycopg

    with psycopg.connect(dsn) as conn:
        tables = [
            t
            for (t,) in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"
            )
        ]
        found = {}
        for table in tables:
            if table in PER_RUN_TABLES:
                continue
            cursor = conn.execute(f'SELECT * FROM "{table}"')
            keep = [(i, column.name) for i, column in enumerate(cursor.description) if column.name not in LINEAGE]
            found[table] = sorted(
                tuple((name, str(row[i]).replace(lake_root, "<lake>")) for i, name in keep) for row in cursor.fetchall()
            )
    return found


def differences(celery: dict, reference: dict) -> dict[str, list[str]]:
    """The tables whose rows differ, with the columns whose values differ (or how many rows each has)."""

    def values(rows: list[tuple], column: str) -> list[str]:
        return sorted(value for row in rows for name, value in row if name == column)

    found = {}
    for table, rows in celery.items():
        theirs = reference[table]
        if rows != theirs:
            columns = [name for name, _ in (rows or theirs)[0]]
            found[table] = [c for c in columns if values(rows, c) != values(theirs, c)] or [
                f"{len(rows)} rows against {len(theirs)}"
            ]
    return found


def celery_backfill(
    tmp_path: Path, simulator_url: str, metadata_uri: str, warehouse_uri: str, s3_lake: tuple[str, dict]
) -> dict:
    """Every step backfilled through Celery workers; the API's task instances of the ml DAG and the run times."""
    home, port = tmp_path / "airflow", free_port()
    lake_root, options = s3_lake
    env = {
        **os.environ,
        **airflow_home_env(home, metadata_uri.replace("postgresql://", "postgresql+psycopg://", 1)),
        **service_env(home, port),
        **pipeline_env(simulator_url, warehouse_uri, lake_root, crm_drops(tmp_path / "crm")),
        "AIRFLOW_CONN_SOCIALPULSE_LAKE": json.dumps(
            {
                "conn_type": "aws",
                "login": options["key"],
                "password": options["secret"],
                "extra": {"endpoint_url": options["endpoint_url"]},
            }
        ),
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__CELERY__BROKER_URL": REDIS_URL,
        # this test's keys only, in a Redis others may use
        "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__GLOBAL_KEYPREFIX": f"socialpulse-test-{uuid.uuid4().hex[:8]}:",
    }
    started = time.monotonic()
    for command in (["db", "migrate"], ["pools", "set", "tensorflow", "1", "TensorFlow trainings"]):
        subprocess.run([BIN / "airflow", *command], env=env, check=True, capture_output=True, timeout=600)
    timings = {"metadata DB migrated": time.monotonic() - started}

    def worker(queue: str, concurrency: int) -> Service:
        workdir = tmp_path / f"worker-{queue}"
        workdir.mkdir()
        return Service(
            f"worker-{queue}",
            (
                "celery",
                "worker",
                "--queues",
                queue,
                "--concurrency",
                str(concurrency),
                "--celery-hostname",
                f"{queue}@%h",
            ),
            env={"AIRFLOW_HOME": str(workdir), "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port())},
            cwd=workdir,
        )

    services = ("api-server", "scheduler", "dag-processor", worker("default", 2), worker("ml", 1))
    first, last = DATES[0], DATES[-1]
    with running(env, home, port, services) as (api, processes):
        wait_for_dags(api, ALL_DAGS, processes)
        for dag_ids, since in pipeline_steps(first, last):
            set_paused(api, list(dag_ids), False)
            step_started = time.monotonic()
            runs = backfill(api, list(dag_ids), since, last, processes, in_order=IN_ORDER)
            timings[f"backfill {', '.join(dag_ids)}"] = time.monotonic() - step_started
            set_paused(api, list(dag_ids), True)
            assert len(runs) == len(dag_ids) * len(DATES[DATES.index(since) :])
        (run,) = api.get("/api/v2/dags/audience_intelligence/dagRuns")["dag_runs"]
        instances = api.get(f"/api/v2/dags/audience_intelligence/dagRuns/{run['dag_run_id']}/taskInstances")
    timings["total"] = time.monotonic() - started
    return {
        "instances": instances["task_instances"],
        "timings": timings,
        "homes": {queue: tmp_path / f"worker-{queue}" for queue in ("default", "ml")},
    }


def dag_test_reference(dags, monkeypatch, tmp_path: Path, simulator_url: str, warehouse_uri: str) -> None:
    """The same dates with dag.test(), in this process, into another warehouse and lake."""
    for name, value in pipeline_env(
        simulator_url, warehouse_uri, tmp_path / "lake", crm_drops(tmp_path / "crm")
    ).items():
        monkeypatch.setenv(name, value)
    for dag_ids, since in pipeline_steps(DATES[0], DATES[-1]):
        for day in DATES[DATES.index(since) :]:
            for dag_id in dag_ids:
                # dag.test's logical date is when the run happens: its data interval is the day before
                logical = datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(days=1)
                run = dags[dag_id].test(logical_date=logical)
                assert run.state == "success", (dag_id, day, task_states(run))


@pytest.mark.slow
def test_celery_workers_backfill_every_dag_into_the_same_rows_as_dag_test(
    tmp_path, simulator, postgres_databases, s3_lake, dags, monkeypatch, run_times
):
    redis_reachable()
    url = simulator(as_of=AS_OF, x_rate_limit=10_000, app_budget=100_000)  # as lenient as the demo's
    metadata, (celery_uri, celery_dsn), (reference_uri, reference_dsn) = (
        postgres_databases()[0],
        postgres_databases(),
        postgres_databases(),
    )
    result = celery_backfill(tmp_path / "celery", url, metadata, celery_uri, s3_lake)
    run_times.update(result["timings"])

    queues = {ti["task_id"]: ti["queue"] for ti in result["instances"]}
    assert {t for t, q in queues.items() if q == "ml"} == ML_TASKS
    assert set(queues.values()) == {"ml", "default"}
    ran = {
        queue: {p.name.removeprefix("task_id=") for p in (home / "logs").glob("dag_id=*/run_id=*/task_id=*")}
        for queue, home in result["homes"].items()
    }
    assert ran["ml"] == ML_TASKS  # each worker logs in its own home: the ml worker ran these and only these
    assert (
        ML_TASKS.isdisjoint(ran["default"])
        and {"extract_meta_ads", "profile_people", "commit_profiles"} <= ran["default"]
    )

    started = time.monotonic()
    dag_test_reference(dags, monkeypatch, tmp_path / "reference", url, reference_uri)
    run_times["reference: the same runs with dag.test(), in-process, local lake"] = time.monotonic() - started
    import psycopg

    lake = lake_zone.Lake.at(*s3_lake)
    zones = {p.name for p in lake.root.iterdir()}
    assert zones >= {"raw", "clean", "features", "models", "reports", "reference"}, zones
    assert DATES[-1] in lake.clean("engagement_events").snapshot().days()
    with psycopg.connect(celery_dsn) as conn:  # DuckDB reads the S3 lake's tables: the rows the warehouse holds
        assert lake_differences(lake, lambda sql: conn.execute(sql).fetchall()) == {}
    assert not any((tmp_path / "celery").glob("*/lake")) and not (tmp_path / "celery" / "lake").exists()
    celery = warehouse_rows(celery_dsn, s3_lake[0])
    reference = warehouse_rows(reference_dsn, str(tmp_path / "reference" / "lake"))
    assert celery.keys() == reference.keys()
    assert all(
        celery[t]
        for t in (
            "campaign_metrics_daily",
            "post_metrics_daily",
            "propensity_scores",
            "experiment_results",
            "model_registry",
        )
    )
    assert differences(celery, reference) == {}  # names tables and columns, not thousands of rows
