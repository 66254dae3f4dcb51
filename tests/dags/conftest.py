"""Fixtures for running the DAGs: a migrated metadata DB in the session's private Airflow home."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from socialpulse_dev.devenv import pipeline_env
from socialpulse_dev.simulator.crm_drop import write_drop

BIN = Path(sys.executable).parent


@pytest.fixture
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    from socialpulse_dev.devenv import PROJECT_ROOT

    return DagBag(dag_folder=str(PROJECT_ROOT / "dags"))


@pytest.fixture
def dags(migrated_airflow, dagbag) -> dict:
    return dagbag.dags


@pytest.fixture
def pipeline(simulator, tmp_path, monkeypatch):
    """Point the connections and variables at a simulator and temporary files: configure(day, **sim) -> paths."""

    def configure(day, as_of, warehouse=None, **simulator_config) -> tuple[Path, Path]:
        lake, crm = tmp_path / "lake", tmp_path / "crm"
        warehouse = warehouse or tmp_path / "warehouse.db"
        write_drop(crm, day)
        # Meta's usage header reaches the client's slow-down point (75%) at 450 calls a minute of the simulator's
        # default budget, and a first run's 90 days of Instagram insights make more: the client then pauses up to a
        # minute per call, as it should against Meta. The tests of that pause set their own budget.
        simulator_config.setdefault("app_budget", 100_000)
        url = simulator(as_of=as_of, async_seconds=0.05, **simulator_config)
        for name, value in pipeline_env(url, warehouse, lake, crm).items():
            monkeypatch.setenv(name, value)
        # a first run's 90 days of posts are for the audience models: the demo's test pulls them, these need not
        monkeypatch.setenv("AIRFLOW_VAR_SOCIALPULSE_FIRST_RUN_LOOKBACK_DAYS", "0")
        return warehouse, lake

    return configure


def no_retries(dag, monkeypatch) -> None:
    """dag.test really waits retry_delay between tries: tests that expect a failure take it at once."""
    for task in dag.tasks:
        monkeypatch.setattr(task, "retries", 0)


def task_states(run) -> dict[str, str]:
    return {f"{ti.task_id}[{ti.rendered_map_index or ti.map_index}]": ti.state for ti in run.get_task_instances()}


def failed_tries(run, task_id: str) -> dict[str, int]:
    """Each failed instance of a task (by map index) and the try it failed on."""
    return {
        ti.rendered_map_index or str(ti.map_index): ti.try_number
        for ti in run.get_task_instances()
        if ti.task_id == task_id and ti.state == "failed"
    }


def causes(run) -> list[str]:
    """What the run's failure summary names: each failed task's cause, kept by its failure callback."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        return sorted(
            x.value["cause"]
            for x in session.query(XComModel).filter(
                XComModel.dag_id == run.dag_id, XComModel.run_id == run.run_id, XComModel.key == "failure"
            )
        )
