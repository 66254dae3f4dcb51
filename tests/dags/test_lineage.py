"""OpenLineage: a task's events name the lake and warehouse tables it read and wrote."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from socialpulse_airflow.lineage import dataset_name, lineage
from socialpulse_dev.devenv import PROJECT_ROOT
from tests.dags.test_source_dags_run import AS_OF, DAY, LOGICAL_DATE

# The listener registers when Airflow loads its plugins, so the run gets a process of its own with the transport set.
RUN_ONE_DAG = """
import sys
from datetime import datetime
from airflow.dag_processing.dagbag import DagBag
dag = DagBag(dag_folder=sys.argv[1]).dags[sys.argv[2]]
print("RUN STATE", dag.test(logical_date=datetime.fromisoformat(sys.argv[3]), run_conf={"report_mode": "sync"}).state)
"""


class Connection:
    def __init__(self, conn_type, host, port=None, schema=None):
        self.conn_type, self.host, self.port, self.schema = conn_type, host, port, schema


def test_tables_are_named_by_the_openlineage_naming_convention(tmp_path):
    postgres, sqlite = Connection("postgres", "db.internal", 5433, "marketing"), Connection("sqlite", "/w/wh.db")
    assert dataset_name("lake:clean/campaign_metrics", "s3://bucket/lake/", None) == (
        "s3://bucket",
        "lake/clean/campaign_metrics",
    )
    assert dataset_name("lake:raw/crm/users", str(tmp_path), None) == ("file", f"{tmp_path}/raw/crm/users")
    assert dataset_name("lake:raw/crm/users", f"file://{tmp_path}", None) == ("file", f"{tmp_path}/raw/crm/users")
    assert dataset_name("warehouse:campaign_metrics_daily", "", postgres) == (
        "postgres://db.internal:5433",
        "marketing.public.campaign_metrics_daily",
    )
    assert dataset_name("warehouse:campaign_metrics_daily", "", sqlite) == (
        "sqlite:///w/wh.db",
        "main.campaign_metrics_daily",
    )
    with pytest.raises(ValueError, match="names no table"):
        lineage(inputs=["clean/campaign_metrics"])


@pytest.mark.airflow
def test_load_campaign_metrics_reports_its_lake_input_and_its_warehouse_output(dags, pipeline, tmp_path):
    warehouse, lake = pipeline(DAY, AS_OF)
    events_file = tmp_path / "openlineage.jsonl"
    env = {
        **os.environ,
        "PYTHONPATH": str(PROJECT_ROOT / "include"),
        "AIRFLOW__OPENLINEAGE__NAMESPACE": "socialpulse",
        "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(
            {"type": "file", "log_file_path": str(events_file), "append": True}
        ),
        "AIRFLOW__OPENLINEAGE__EXECUTE_IN_THREAD": "true",
    }
    done = subprocess.run(
        [sys.executable, "-c", RUN_ONE_DAG, str(PROJECT_ROOT / "dags"), "meta_ads_daily", LOGICAL_DATE.isoformat()],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0 and "RUN STATE success" in done.stdout, done.stdout[-3000:] + done.stderr[-3000:]

    events = [json.loads(line) for line in events_file.read_text().splitlines() if line.strip()]
    load = [e for e in events if e["job"]["name"] == "meta_ads_daily.load_campaign_metrics"]
    assert {e["eventType"] for e in load} >= {"START", "RUNNING", "COMPLETE"}
    assert {e["job"]["namespace"] for e in load} == {"socialpulse"}
    reads = {(d["namespace"], d["name"]) for e in load for d in e.get("inputs", [])}
    writes = {(d["namespace"], d["name"]) for e in load for d in e.get("outputs", [])}
    assert reads == {("file", f"{lake.resolve()}/clean/campaign_metrics")}
    assert writes == {
        (f"sqlite://{warehouse}", f"main.{table}")
        for table in ("campaign_metrics_daily", "campaign_metrics_history", "pipeline_audit")
    }
    clean = {
        (d["namespace"], d["name"])
        for e in events
        if e["job"]["name"] == "meta_ads_daily.clean_meta_ads"
        for d in e.get("inputs", [])
    }
    assert clean == {("file", f"{lake.resolve()}/raw/meta_ads/ads_insights")}  # the lineage joins up: raw -> clean
