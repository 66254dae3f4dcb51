"""`make demo`'s script, run as a new user would, twice: the second run leaves the same warehouse rows."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys

import pytest

from socialpulse.config import PROJECT_ROOT


def run_demo(data_dir, airflow_home) -> str:
    """As `make demo` runs it: the development tools on the path, not installed."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT / "include")}
    done = subprocess.run([sys.executable, str(PROJECT_ROOT / "scripts" / "demo.py"), "--data-dir", str(data_dir),
                           "--airflow-home", str(airflow_home)], capture_output=True, text=True, timeout=1200, env=env)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    return done.stdout


def rows(path, table: str = "campaign_metrics_daily") -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3, 4").fetchall()


def rows_but_lineage(path, table: str) -> list[tuple]:
    """A table replaced whole by each run: every column but run_id, which names the run that wrote it."""
    with sqlite3.connect(path) as conn:
        cursor = conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3, 4")
        keep = [i for i, c in enumerate(cursor.description) if c[0] != "run_id"]
        return [tuple(row[i] for i in keep) for row in cursor.fetchall()]


def assert_nothing_personal_leaves_raw(data, home) -> None:
    """No token, 'bearer', raw user id, name or email in the clean zone, quarantine, warehouse or task logs."""
    import gzip

    from tests.privacy_scan import findings, scan_lake_zone, scan_sqlite

    texts, values = {}, {}
    for zone in (scan_lake_zone(data / "lake" / "clean"), scan_lake_zone(data / "lake" / "quarantine"),
                 scan_sqlite(data / "warehouse.db")):
        texts.update(zone[0])
        values.update(zone[1])
    # the features zone's copies run to megabytes: every cell is checked, not every substring of the whole file
    values.update(scan_lake_zone(data / "lake" / "features")[1])
    logs = {str(p): p.read_text() for p in (home / "logs").rglob("*.log")}
    assert len(logs) == 14 and any("engagement_events" in text for text in logs.values())  # 4 DAGs x 3 days + 2
    reports = {str(p): p.read_text() for p in (data / "lake" / "reports").rglob("*.html")}
    assert len(reports) == 1
    assert findings({**texts, **logs, **reports}, values) == []
    raw_users = gzip.decompress((data / "lake" / "raw" / "crm" / "users" / "ds=2026-11-01" / "users.csv.gz")
                                .read_bytes()).decode()
    assert findings({"raw users.csv": raw_users}, {})  # the scan does find what the raw zone rightly holds


@pytest.mark.slow
def test_demo_runs_three_days_and_the_audience_and_is_repeatable(tmp_path):
    data, home = tmp_path / "data", tmp_path / "airflow"
    output = run_demo(data, home)
    for day in ("2026-11-01", "2026-11-02", "2026-11-03"):
        assert f"run for {day}: success" in output
        assert f"ds={day}" in output
        assert (data / "lake" / "clean" / "campaign_metrics" / f"ds={day}" / "part-0000.parquet").exists()
    first = rows(data / "warehouse.db")
    assert {r[0] for r in first} >= {"2026-11-01", "2026-11-02", "2026-11-03"}
    assert f"campaign_metrics_daily in {data / 'warehouse.db'}: {len(first)} rows" in output
    for platform in ("facebook", "instagram", "x"):  # all four sources reach the printout
        assert f" {platform} " in output
    assert "orders" in output and "raw/crm/orders/ds=2026-11-03" in output

    posts = rows(data / "warehouse.db", "post_metrics_daily")
    assert posts
    audience = {t: rows_but_lineage(data / "warehouse.db", t) for t in (
        "user_profiles", "audience_segments", "propensity_scores", "target_audiences", "content_recommendations",
        "experiment_results")}
    assert all(audience.values()) and "audience_segments as of 2026-11-03" in output
    assert "oracle (planted)" in output and "promoted: no champion yet" in output and "audience report:" in output
    assert "experiments as of 2026-11-03" in output
    for planted in (r"video_creative +winner \(video\)", r"headline_copy +sample_ratio_mismatch, first on 2026-10-08",
                    r"lookalike_audience +keep_running"):
        assert re.search(planted, output), planted
    assert_nothing_personal_leaves_raw(data, home)
    history = sorted(rows(data / "warehouse.db", "campaign_metrics_history"))
    assert len(history) == len(first)  # the simulator restates nothing between the demo's runs
    run_demo(data, home)
    assert rows(data / "warehouse.db") == first
    assert rows(data / "warehouse.db", "post_metrics_daily") == posts
    assert sorted(rows(data / "warehouse.db", "campaign_metrics_history")) == history
    changed = [t for t in audience if rows_but_lineage(data / "warehouse.db", t) != audience[t]]
    assert changed == []  # names the tables, not a diff of thousands of rows
