"""Fixtures for running the DAGs: a migrated metadata DB in the session's private Airflow home."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
def migrated_airflow(airflow_home: Path) -> Path:
    """`airflow db migrate` once per session, in the private home conftest chose."""
    subprocess.run([BIN / "airflow", "db", "migrate"], env=os.environ.copy(), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return airflow_home


@pytest.fixture
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    from socialpulse.config import PROJECT_ROOT

    return DagBag(dag_folder=str(PROJECT_ROOT / "dags"))
