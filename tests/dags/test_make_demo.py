"""`make demo`'s script, run as a new user would, twice: the second run leaves the same warehouse rows."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request

import pytest

from socialpulse import lake as lake_zone
from socialpulse_dev.devenv import PROJECT_ROOT
from tests.conftest import free_port, require_service


def run_demo(data_dir, airflow_home, port: int) -> str:
    """As `make demo` runs it: the development tools on the path, not installed."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT / "include")}
    done = subprocess.run(
        [
            sys.executable,
            str(PROJECT_ROOT / "scripts" / "demo.py"),
            "--data-dir",
            str(data_dir),
            "--airflow-home",
            str(airflow_home),
            "--port",
            str(port),
        ],
        capture_output=True,
        text=True,
        timeout=1200,
        env=env,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    return done.stdout


def check_make_ui(data, home, port: int) -> None:
    """`make ui` on the demo's data: the runs with their real durations, the dashboard behind the login; it stops."""
    from socialpulse_dev.local_airflow import Api

    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT / "include")}
    log = (home / "ui.log").open("w")
    ui = subprocess.Popen(
        [
            sys.executable,
            str(PROJECT_ROOT / "scripts" / "ui.py"),
            "--data-dir",
            str(data),
            "--airflow-home",
            str(home),
            "--port",
            str(port),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        while "Ctrl-C stops it" not in (home / "ui.log").read_text():
            assert ui.poll() is None and time.monotonic() < deadline, (home / "ui.log").read_text()[-3000:]
            time.sleep(1)
        api = Api(f"http://127.0.0.1:{port}", home)
        runs = api.get("/api/v2/dags/meta_ads_daily/dagRuns")["dag_runs"]
        assert len(runs) == 3 and all(r["run_type"] == "backfill" and r["state"] == "success" for r in runs)
        assert all(0 < r["duration"] < 600 for r in runs)  # as long as they took, not days from a logical date
        assert all(api.get(f"/api/v2/dags/{d}")["is_paused"] for d in ("meta_ads_daily", "experiments_daily"))
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/socialpulse/", headers={"Authorization": f"Bearer {api.token}"}
        )
        assert "Per platform and account" in urllib.request.urlopen(request, timeout=30).read().decode()
    finally:
        ui.send_signal(signal.SIGTERM)  # it stops the services it started, each in its own session
        try:
            assert ui.wait(timeout=60) == 0
        except subprocess.TimeoutExpired:
            os.killpg(ui.pid, signal.SIGKILL)
            raise
        finally:
            log.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple:
    """One `make demo` run: its data folder, Airflow home, port and printout."""
    root = tmp_path_factory.mktemp("demo")
    data, home, port = root / "data", root / "airflow", free_port()
    return data, home, port, run_demo(data, home, port)


@pytest.mark.slow
def test_the_dashboard_tour_opens_every_page_on_the_demo_s_data(demo, tmp_path):
    """docs/dashboard.md's page loads and screenshots: every page of the Marketing view opens on the demo's data."""
    from socialpulse_dev import browser

    if not browser.installed():
        require_service("Chromium is not installed: apt-get install chromium chromium-driver")
    data, home, port, _ = demo
    out = tmp_path / "screenshots"
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT / "include")}
    done = subprocess.run(
        [
            sys.executable,
            str(PROJECT_ROOT / "scripts" / "dashboard_tour.py"),
            "--data-dir",
            str(data),
            "--airflow-home",
            str(home),
            "--port",
            str(port),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    pages = re.findall(r"^(\w+) +(\d+) +(\d+)  (\S+)$", done.stdout, re.MULTILINE)
    assert [p[0] for p in pages] == ["overview", "campaigns", "posts", "audience", "experiments", "health"]
    for page, first, again, shot in pages:
        assert int(first) > 0 and int(again) > 0 and shot == str(out / f"dashboard-{page}.png")
        assert (out / f"dashboard-{page}.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_the_report_screenshot_is_the_whole_audience_report_of_the_demo(demo, tmp_path):
    """The README's screenshot: scripts/report_screenshot.py on the demo's newest audience report."""
    from socialpulse_dev import browser

    if not browser.installed():
        require_service("Chromium is not installed: apt-get install chromium chromium-driver")
    data = demo[0]
    report = lake_zone.Lake.at(str(data / "lake")).root / "reports" / "audience" / "ds=2026-11-03"
    out = tmp_path / "report.png"
    done = subprocess.run(
        [
            sys.executable,
            str(PROJECT_ROOT / "scripts" / "report_screenshot.py"),
            "--report",
            str(report / "report.html"),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT / "include")},
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    width, height = (int(v) for v in re.search(r"\((\d+) x (\d+) px\)", done.stdout).groups())
    assert out.read_bytes()[:4] == b"\x89PNG" and width == 1280 and height > 2000  # every table and chart


def duckdb_sees_the_warehouse_s_rows(data) -> dict[str, int]:
    from tests.lake_reads import differences

    with sqlite3.connect(data / "warehouse.db") as conn:
        return differences(lake_zone.Lake.at(data / "lake"), lambda sql: conn.execute(sql).fetchall())


def rows(path, table: str = "campaign_metrics_daily") -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3, 4").fetchall()


def rows_but_lineage(path, table: str) -> list[tuple]:
    """A table replaced whole by each run: every column but run_id, which names the run that wrote it."""
    with sqlite3.connect(path) as conn:
        cursor = conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3, 4")
        keep = [i for i, c in enumerate(cursor.description) if c[0] != "run_id"]
        return [tuple(row[i] for i in keep) for row in cursor.fetchall()]


def assert_the_erased_are_gone(data, home) -> None:
    """The three people the last drop asks to forget: no id, name, email or pseudonym of theirs in any file of the
    lake but the raw zone's exact payloads, in the Airflow home (metadata DB, every log), or in any warehouse table
    but privacy_erasures, which records them by pseudonym."""
    from datetime import date

    from tests.privacy_scan import erased_people, traces_in_files

    people, traces = erased_people(date(2026, 11, 3))
    assert len(people) == 3 and len(traces) >= 15
    lake, airflow = traces_in_files(data / "lake", traces, skip=("raw",)), traces_in_files(home, traces)
    read = int(lake.pop("")[0]) + int(airflow.pop("")[0])
    assert lake == {} and airflow == {} and read > 200  # every file was read: parquet, models, reports, logs, DB
    with sqlite3.connect(data / "warehouse.db") as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        held = {t: conn.execute(f'SELECT * FROM "{t}"').fetchall() for t in tables if t != "privacy_erasures"}
        erasures = conn.execute("SELECT pseudonym, status FROM privacy_erasures").fetchall()
    assert [t for t, rows in held.items() if any(trace in str(rows) for trace in traces)] == []
    assert sorted(status for pseudonym, status in erasures if pseudonym in traces) == ["erased"] * 3
    in_raw = traces_in_files(data / "lake" / "raw" / "crm", traces)
    assert in_raw.pop("") and in_raw  # the scan does find what the raw zone rightly holds


def assert_nothing_personal_leaves_raw(data, home) -> None:
    """No token, 'bearer', raw user id, name or email in the clean zone, quarantine, warehouse or task logs."""
    import gzip

    from tests.privacy_scan import findings, scan_lake_zone, scan_sqlite

    texts, values = {}, {}
    for zone in (
        scan_lake_zone(data / "lake" / "clean"),
        scan_lake_zone(data / "lake" / "quarantine"),
        scan_sqlite(data / "warehouse.db"),
    ):
        texts.update(zone[0])
        values.update(zone[1])
    # the features zone's copies run to megabytes: every cell is checked, not every substring of the whole file
    values.update(scan_lake_zone(data / "lake" / "features")[1])
    logs = {str(p): p.read_text() for p in (home / "logs").rglob("*.log")}  # the services' logs and every task's
    runs = {p.parent for p in (home / "logs").glob("dag_id=*/run_id=*/task_id=*")}
    assert len(runs) == 16 and any("engagement_events" in text for text in logs.values())  # 4 DAGs x 3 days + 4
    reports = {str(p): p.read_text() for p in (data / "lake" / "reports").rglob("*.html")}
    assert len(reports) == 1
    assert findings({**texts, **logs, **reports}, values) == []
    raw_users = gzip.decompress(
        (data / "lake" / "raw" / "crm" / "users" / "ds=2026-11-01" / "users.csv.gz").read_bytes()
    ).decode()
    assert findings({"raw users.csv": raw_users}, {})  # the scan does find what the raw zone rightly holds


@pytest.mark.slow
def test_demo_runs_three_days_and_the_audience_and_is_repeatable(demo):
    data, home, port, output = demo
    for day in ("2026-11-01", "2026-11-02", "2026-11-03"):
        for dag_id in ("crm_daily", "meta_ads_daily", "organic_social_daily", "attribution_daily"):
            assert re.search(rf"^{dag_id} +{day} +success +\d+\.\d s$", output, re.MULTILINE), (dag_id, day)
        assert f"ds={day}" in output
        assert day in lake_zone.Lake.at(data / "lake").clean("campaign_metrics").snapshot().days()
    first = rows(data / "warehouse.db")
    assert duckdb_sees_the_warehouse_s_rows(data) == {}
    assert {r[0] for r in first} >= {"2026-11-01", "2026-11-02", "2026-11-03"}
    assert f"campaign_metrics_daily in {data / 'warehouse.db'}: {len(first)} rows" in output
    for platform in ("facebook", "instagram", "x"):  # all four sources reach the printout
        assert f" {platform} " in output
    assert "orders" in output and "raw/crm/orders/ds=2026-11-03" in output

    posts = rows(data / "warehouse.db", "post_metrics_daily")
    assert posts
    audience = {
        t: rows_but_lineage(data / "warehouse.db", t)
        for t in (
            "user_profiles",
            "audience_segments",
            "propensity_scores",
            "target_audiences",
            "content_recommendations",
            "experiment_results",
        )
    }
    assert all(audience.values()) and "audience_segments as of 2026-11-03" in output
    assert "oracle (planted)" in output and "promoted propensity-2026-11-03" in output and "audience report:" in output
    ari = float(re.search(r"adjusted Rand index ([\d.]+)", output).group(1))
    assert ari >= 0.9, output  # the latent-class segments against the planted ones
    closed = re.findall(r"NDCG@3 [\d.]+ \(popularity [\d.]+, oracle [\d.]+, (-?\d+)% of the gap\)", output)
    assert len(closed) == 3 and int(closed[0]) >= 85, output  # everyone, with history, cold start
    assert "experiments as of 2026-11-03" in output
    assert "target audiences per campaign brief" in output
    built = re.findall(
        r"^  (\w+) +(?:retarget|win_back|loyalty|prospect) +[A-Z, ]+ +\d+ of +\d+ eligible", output, re.M
    )
    assert len(built) >= 2, output  # the simulator's briefs: one per campaign, the larger pools built
    scored = re.findall(r"incremental [\d.]+ \(oracle [\d.]+, random [\d.]+\): ", output)
    assert len(scored) == len(built), output  # each built list against the planted response
    assert "without marketing consent: 0, in the retargeting holdout's control group: 0" in output
    # every published audience approved through the REST API, then sent: Meta holds exactly it, hashes only
    activated = re.findall(
        r"^  (\w+) +synced +\d+ rows sent, Meta counts +\d+, 0 invalid; on Meta exactly the list "
        r"without its holdout: yes \((?:created; )?approved by admin\)$",  # a retried sync finds it created
        output,
        re.M,
    )
    assert sorted(activated) == sorted(built), output
    assert f"approved through the REST API: {len(built)} audiences" in output
    assert "raw emails or phones the simulated Meta received: 0" in output
    for planted in (
        r"video_creative +winner \(video\)",
        r"headline_copy +sample_ratio_mismatch, first on 2026-10-08",
        r"lookalike_audience +keep_running",
    ):
        assert re.search(planted, output), planted
    assert_nothing_personal_leaves_raw(data, home)
    assert_the_erased_are_gone(data, home)
    assert re.search(r"line 2  erased .*\n  line 3  erased .*\n  line 4  erased .*\n  line 5  not_found ", output)
    assert "backfilled through the scheduler" in output and "make ui" in output
    history = sorted(rows(data / "warehouse.db", "campaign_metrics_history"))
    assert len(history) == len(first)  # the simulator restates nothing between the demo's runs
    run_demo(data, home, port)
    assert rows(data / "warehouse.db") == first
    assert rows(data / "warehouse.db", "post_metrics_daily") == posts
    assert sorted(rows(data / "warehouse.db", "campaign_metrics_history")) == history
    changed = [t for t in audience if rows_but_lineage(data / "warehouse.db", t) != audience[t]]
    assert changed == []  # names the tables, not a diff of thousands of rows
    check_make_ui(data, home, port)
