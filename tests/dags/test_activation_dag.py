"""activate_audiences as Airflow runs it: dag.test() when no one need approve, a scheduler when someone must."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
import requests

from socialpulse.jobs.audience import write_features
from socialpulse.jobs.crm import read_match_keys
from socialpulse.lake import Lake
from tests.dags.conftest import task_states

AS_OF = date(2026, 11, 5)
LOGICAL_DATE = datetime(2026, 11, 3, tzinfo=UTC)  # the data interval is 2026-11-02
DAY = date(2026, 11, 2)
BRIEFS = """
audiences:
  - {name: approved, account_id: "1001", campaign_ids: ["10010001"], goal: retarget, max_size: 300}
  - {name: rejected, account_id: "1001", campaign_ids: ["10010002"], goal: loyalty, max_size: 300}
  - {name: unanswered, account_id: "1002", campaign_ids: ["10020001"], goal: loyalty, max_size: 300}
  - {name: tiny, account_id: "1002", campaign_ids: ["10020002"], goal: win_back, max_size: 300}
"""
SIZES = {"approved": 150, "rejected": 120, "unanswered": 110, "tiny": 40}


def meta_state() -> dict[str, int]:
    """Each audience on the simulated Meta, by name, with its members' count."""
    base = json.loads(os.environ["AIRFLOW_CONN_META_MARKETING"])["host"]
    state = requests.get(f"{base}/_simulator/custom_audiences", timeout=10).json()
    assert state["raw_values_received"] == 0  # only hashes ever reached Meta
    return {a["name"]: len(a["members"]) for a in state["audiences"].values()}


def prepare(dags, pipeline, tmp_path, monkeypatch) -> tuple:
    """The CRM's day landed and cleaned (matching keys), the briefs declared, their lists published for the day."""
    warehouse, lake = pipeline(DAY, AS_OF)
    briefs = tmp_path / "audiences.yaml"
    briefs.write_text(BRIEFS)
    monkeypatch.setenv("AIRFLOW_VAR_SOCIALPULSE_AUDIENCES_FILE", str(briefs))
    assert dags["crm_daily"].test(logical_date=LOGICAL_DATE).state == "success"
    people = iter(sorted(read_match_keys(Lake.at(lake), DAY.isoformat())["person_id"]))
    rows = [
        {"as_of_date": DAY, "brief": brief, "campaign_id": "c", "person_id": next(people), "in_holdout": i < 10}
        for brief, size in SIZES.items()
        for i in range(size)
    ]  # ten of each held out: never sent
    write_features(Lake.at(lake), "target_audiences", DAY.isoformat(), pd.DataFrame(rows))
    return warehouse, lake


def syncs(warehouse) -> dict[str, tuple]:
    with sqlite3.connect(warehouse) as conn:
        rows = conn.execute("SELECT brief, status, intended, rows_sent, approximate_count, detail FROM audience_syncs")
        return {r[0]: r[1:] for r in rows.fetchall()}


def test_without_approval_every_audience_big_enough_is_sent_and_a_dry_run_sends_nothing(
    dags, pipeline, tmp_path, monkeypatch
):
    warehouse, _ = prepare(dags, pipeline, tmp_path, monkeypatch)
    monkeypatch.setenv("AIRFLOW_VAR_SOCIALPULSE_ACTIVATION_DRY_RUN", "true")
    run = dags["activate_audiences"].test(logical_date=LOGICAL_DATE)
    assert run.state == "success", task_states(run)
    assert meta_state() == {} and {b: s[0] for b, s in syncs(warehouse).items()} == {
        "approved": "dry_run",
        "rejected": "dry_run",
        "unanswered": "dry_run",
        "tiny": "too_small",
    }
    assert syncs(warehouse)["approved"][4] == "dry run: would send 140 adds and 0 removes (diff)"
    monkeypatch.setenv("AIRFLOW_VAR_SOCIALPULSE_ACTIVATION_DRY_RUN", "false")
    monkeypatch.setenv("AIRFLOW_VAR_SOCIALPULSE_ACTIVATION_REQUIRES_APPROVAL", "false")
    run = dags["activate_audiences"].test(logical_date=LOGICAL_DATE)
    assert run.state == "success", task_states(run)
    assert meta_state() == {"socialpulse:approved": 140, "socialpulse:rejected": 110, "socialpulse:unanswered": 100}
    sent = syncs(warehouse)
    assert sent["approved"][:4] == ("synced", 140, 140, 140) and sent["tiny"][0] == "too_small"
    assert sent["approved"][4] == "created; no approval needed"


@pytest.mark.slow
def test_a_person_approves_or_rejects_through_the_rest_api_and_silence_times_out(
    dags, pipeline, tmp_path, monkeypatch, postgres_database
):
    """On Postgres metadata, as production runs: on SQLite a person's answer waits for the scheduler's and the
    triggerer's writes to let go of the one database lock (up to a minute, retried), so under a loaded machine the
    rejection could miss its timeout and be recorded as timed out."""
    from socialpulse_dev.devenv import PROJECT_ROOT, airflow_home_env
    from socialpulse_dev.local_airflow import answerable, running, service_env, wait_for_dags, wait_until
    from tests.conftest import free_port

    warehouse, _ = prepare(dags, pipeline, tmp_path, monkeypatch)
    home, port = tmp_path / "airflow", free_port()
    env = {
        **os.environ,
        **airflow_home_env(home, postgres_database[0].replace("postgresql://", "postgresql+psycopg://", 1)),
        **service_env(home, port),
        "AIRFLOW__SCHEDULER__TRIGGER_TIMEOUT_CHECK_INTERVAL": "2",  # the sweep that times out an approval
        "PYTHONPATH": str(PROJECT_ROOT / "include"),  # as the image sets it
    }
    subprocess.run([Path(sys.executable).parent / "airflow", "db", "migrate"], env=env, check=True, capture_output=True)
    with running(env, home, port) as (api, processes):
        wait_for_dags(api, ["activate_audiences"], processes)
        api.patch("/api/v2/dags/activate_audiences", {"is_paused": False})
        run_id = api.post(
            "/api/v2/dags/activate_audiences/dagRuns",
            {"logical_date": LOGICAL_DATE.isoformat(), "conf": {"approval_timeout_hours": 120 / 3600}},
        )["dag_run_id"]
        path = f"/api/v2/dags/activate_audiences/dagRuns/{run_id}"

        answered: dict[str, dict] = {}
        answered_at: dict[str, str] = {}  # when this test's answer went, to set beside what Airflow recorded

        def answer_each_as_it_asks() -> dict[str, dict] | None:
            """Answered as each asks, one a poll as a person clicks, not once all three do: the silent one's timeout
            runs meanwhile."""
            for detail in api.get(f"{path}/hitlDetails")["hitl_details"]:
                name, ti = detail["subject"].split()[2], detail["task_instance"]
                choice = {"socialpulse:approved": "Approve", "socialpulse:rejected": "Reject"}.get(name)
                if name in answered or not answerable(detail):  # a person answers what waits for them
                    continue
                if choice:
                    api.patch(
                        f"{path}/taskInstances/{ti['task_id']}/{ti['map_index']}/hitlDetails",
                        {"chosen_options": [choice], "params_input": {}},
                    )
                    answered_at[name] = datetime.now(UTC).isoformat()  # when the answer was accepted
                answered[name] = detail
                if choice:
                    break
            return answered if len(answered) == 3 else None

        by_brief = wait_until("three approvals", answer_each_as_it_asks, 180, processes)
        assert set(by_brief) == {"socialpulse:approved", "socialpulse:rejected", "socialpulse:unanswered"}
        assert "people to send: 140" in by_brief["socialpulse:approved"]["body"]
        state = wait_until(
            "the run",
            lambda: api.get(path)["state"] in ("success", "failed") and api.get(path)["state"],
            300,
            processes,
        )
        try:  # what Airflow recorded of each request, so that a failure below says whether an answer came in time
            recorded: object = [
                {k: d.get(k) for k in ("subject", "response_received", "chosen_options", "responded_at", "created_at")}
                | {"state": d["task_instance"]["state"], "answered_at": answered_at.get(d["subject"].split()[2])}
                for d in api.get(f"{path}/hitlDetails")["hitl_details"]
            ]
        except (OSError, RuntimeError, KeyError) as exc:  # evidence only: never the test's own failure
            recorded = f"the requests could not be read back: {exc!r}"
    assert state == "success", json.dumps(recorded, default=str)  # text: pytest would cut the repr of an object
    sent = syncs(warehouse)
    assert {b: s[0] for b, s in sent.items()} == {
        "approved": "synced",
        "rejected": "rejected",
        "unanswered": "timed_out",
        "tiny": "too_small",
    }, json.dumps({"sent": sent, "recorded": recorded}, default=str)
    assert sent["approved"][4] == "created; approved by admin" and sent["rejected"][4] == "rejected by admin"
    assert meta_state() == {"socialpulse:approved": 140}
