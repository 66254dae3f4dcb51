"""The package as a user installs it: a wheel in a venv of its own, run from outside the checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from datetime import date

import pytest

from socialpulse_dev.devenv import PROJECT_ROOT, pipeline_env
from socialpulse_dev.simulator.crm_drop import write_drop

pytestmark = [pytest.mark.airflow, pytest.mark.integration]

RUN_CRM_DAILY = """
import sys
from datetime import datetime, UTC
import socialpulse
from airflow.dag_processing.dagbag import DagBag
print("LIBRARY", socialpulse.__file__)
run = DagBag(dag_folder="dags").dags["crm_daily"].test(logical_date=datetime(2026, 11, 3, tzinfo=UTC))
print("RUN STATE", run.state)
"""


def test_the_wheel_runs_a_dag_from_outside_the_checkout_with_the_default_lake(migrated_airflow, simulator, tmp_path):
    source, wheels = tmp_path / "source", tmp_path / "wheels"  # built from a copy: setuptools writes build/ beside it
    shutil.copytree(PROJECT_ROOT / "include", source / "include", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(PROJECT_ROOT / "pyproject.toml", source / "pyproject.toml")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(wheels),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = wheels.glob("socialpulse-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    new_site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # The project's dependencies, seen after the wheel: the checkout's own packages (an editable install) are not.
    (venv / new_site / "project-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    user = tmp_path / "user"  # a deployment: its DAG folder and working directory, no checkout
    shutil.copytree(PROJECT_ROOT / "dags", user / "dags", ignore=shutil.ignore_patterns("__pycache__"))
    day = date(2026, 11, 2)
    crm = tmp_path / "crm"
    write_drop(crm, day)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(pipeline_env(simulator(as_of=date(2026, 11, 5)), tmp_path / "warehouse.db", "unused", crm))
    del env["AIRFLOW_VAR_SOCIALPULSE_LAKE_ROOT"]  # the embedded default: ./data/lake of the working directory
    done = subprocess.run(
        [str(python), "-c", RUN_CRM_DAILY], cwd=user, env=env, capture_output=True, text=True, timeout=600
    )
    assert "RUN STATE success" in done.stdout, done.stdout[-3000:] + done.stderr[-3000:]
    library = next(line for line in done.stdout.splitlines() if line.startswith("LIBRARY")).split()[1]
    assert library.startswith(str(venv)), library  # the installed wheel ran, not the checkout
    clean = user / "data" / "lake" / "clean" / "crm_users" / "ds=2026-11-02"
    assert clean.is_dir(), "the default lake is data/lake of the working directory, wherever the package is"
