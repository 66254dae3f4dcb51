"""The benchmarks run end to end on tiny sizes; their figures are read by people, not asserted."""

import os
import subprocess
import sys

import pytest

from socialpulse_dev.devenv import PROJECT_ROOT
from tests.conftest import PG_DSN, free_port

pytestmark = pytest.mark.integration  # runs each benchmark in a process of its own


def run(*args: str, timeout: float = 300) -> str:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT / "include")}  # as `make bench` runs them
    done = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, timeout=timeout, cwd=PROJECT_ROOT, env=env
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def test_load_warehouse_bench_runs(pg_conn):
    output = run("bench/load_warehouse.py", "--rows", "3000", "--dsn", PG_DSN)
    assert "socialpulse vs to_sql:" in output and "socialpulse vs bare COPY:" in output
    assert "with history vs bare COPY:" in output


def test_clean_bench_runs():
    output = run("bench/clean.py", "--rows", "5000", "--runs", "1")
    assert "cleaning costs" in output and "quarantined" in output


def test_extract_bench_runs():
    output = run("bench/extract.py", "--days", "2", "--latency-ms", "5")
    for connector in ("meta ads insights", "facebook page posts", "instagram media", "x posts and engagers"):
        assert connector in output


def test_scan_bench_runs():
    output = run("bench/scan.py", "--rows", "20000", "--columns", "3")
    assert "| batches, lake's reader | 20,000 |" in output and "| slow pass, no pre-buffering | 20,000 |" in output
    assert output.count("the lake's reader holds") == 3


def test_audience_bench_runs():
    output = run("bench/audience.py", "--sizes", "1500", "--profile-tasks", "2")
    assert "whole DAG" in output and "adjusted Rand index" in output and "| 1,500 |" in output
    assert "KMeans" in output and output.count("of the gap") == 6  # hit@3 and NDCG@3: everyone, history, cold start
    assert "    in 1 mapped task(s) at once: " in output and "commit profiles" in output  # one bucket: one share


def test_experiments_bench_runs():
    output = run("bench/experiments.py", "--experiments", "400", "--days", "7")
    row = next(line for line in output.splitlines() if line.startswith("| A/A (none) | always-valid interval"))
    assert float(row.split("|")[3].strip().rstrip("%")) <= 5.0  # the false winners stay within alpha
    assert "fixed z-test, once on day 7" in output and "on its first day of data" in output
    assert "SRM p = " in output and ": caught" in output


@pytest.mark.slow
def test_e2e_bench_runs_every_dag_and_records_each_tasks_memory(pg_conn):
    output = run(
        "bench/e2e.py",
        "--sizes",
        "3000",
        "--lookback-days",
        "3",
        "--dsn",
        PG_DSN,
        "--port",
        str(free_port()),
        timeout=1200,
    )
    assert "### 3,000 people:" in output and "below the issue's 1,000,000" in output
    rows = [line.split("|") for line in output.splitlines() if line.count("|") == 7]
    tasks = {(row[1].strip(), row[2].strip()): row[6].strip() for row in rows if row[3].strip().isdigit()}
    for dag_task in (
        ("crm_daily", "clean_crm"),
        ("organic_social_daily", "extract_organic"),
        ("audience_intelligence", "train_propensity"),
        ("experiments_daily", "evaluate_experiments"),
        ("source_freshness", "check_source_freshness"),
        ("privacy_erasure", "erase_requested_people"),
    ):
        assert dag_task in tasks, dag_task
    # Every task ran in a process of its own, the shortest (a tenth of a second) included, and recorded
    # its peak: a Python task holds more than 50 MiB.
    assert {
        dag_task: peak
        for dag_task, peak in tasks.items()
        if not peak.replace(",", "").isdigit() or int(peak.replace(",", "")) <= 50
    } == {}


def test_activation_bench_runs():
    output = run("bench/activation.py", "--people", "3000", "--change", "0.05")
    assert "the simulator's own rate (bare client, payloads prebuilt)" in output
    assert (
        "| full upload | 3,000 | 3000 3000 diff |" in output
        and "| diff (5% replaced) | 3,000 | 300 3000 diff |" in output
    )


def test_table_formats_bench_runs():
    """Without pyiceberg (not a dependency) it measures Delta alone and says how to add Iceberg."""
    output = run("bench/table_formats.py", "--rows", "2000", "--s3-rows", "1000", "--runs", "1")
    assert "local disk" in output and "S3 (moto server)" in output and "final day = one writer's frame" in output
    assert "pyiceberg" in output
