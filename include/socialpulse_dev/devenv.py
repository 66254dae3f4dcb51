"""Environment for running the project's Airflow locally against the simulator.

Used by `make demo` and the DAG tests. Only builds strings: Airflow reads
connections and variables from AIRFLOW_CONN_* / AIRFLOW_VAR_* variables.
"""

from __future__ import annotations

import json
from pathlib import Path

from socialpulse_dev.simulator.experiments import PLANTED_FILE
from socialpulse_dev.simulator.fx_rates import ECB_PATH_PREFIX
from socialpulse_dev.simulator.graph_organic import IG_USER_IDS, PAGE_IDS
from socialpulse_dev.simulator.meta_data import ACCOUNTS, BRIEFS_FILE
from socialpulse_dev.simulator.server import DEFAULT_TOKEN, DEFAULT_X_TOKEN
from socialpulse_dev.simulator.x_data import X_ACCOUNTS

# The checkout the development tools run from (the installed package has no such place).
PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Only for the simulator: a real deployment sets its own random key (docs/privacy.md).
DEMO_KEY = "socialpulse-demo-key-not-for-production"


def airflow_home_env(home: Path, metadata_url: str | None = None) -> dict[str, str]:
    """Settings of a self-contained Airflow home using this checkout's dags/ and plugins/.

    Without `metadata_url` the metadata DB is SQLite in the home, whose connections wait up to a
    minute for a lock (Python's default is 5 s): with a scheduler and an api-server both writing,
    five seconds ran out in CI and a backfill was half created.
    """
    env = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url or f"sqlite:///{home.resolve()}/airflow.db?timeout=60",
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
    }
    return env


def pipeline_env(
    simulator_url: str, warehouse: str | Path, lake_root: str | Path, crm_source: str | Path, token: str = DEFAULT_TOKEN
) -> dict[str, str]:
    """Connections and variables pointing the pipeline at the simulator, a warehouse, a lake and a CRM folder.

    `warehouse` is a SQLite file path or a postgresql:// URI.
    """
    meta = {
        "conn_type": "http",
        "host": simulator_url,
        "password": token,
        "extra": {"ad_account_ids": [a.account_id for a in ACCOUNTS]},
    }
    graph = {
        "conn_type": "http",
        "host": simulator_url,
        "password": token,
        "extra": {"page_ids": list(PAGE_IDS), "ig_user_ids": list(IG_USER_IDS)},
    }
    x = {
        "conn_type": "http",
        "host": simulator_url,
        "password": DEFAULT_X_TOKEN,
        "extra": {"user_ids": [a.user_id for a in X_ACCOUNTS]},
    }
    text = str(warehouse)
    if text.startswith(("postgres://", "postgresql://")):
        warehouse_conn = text.replace("postgresql://", "postgres://", 1)
    else:
        warehouse_conn = json.dumps({"conn_type": "sqlite", "host": str(Path(text).resolve())})
    return {
        "AIRFLOW_CONN_META_MARKETING": json.dumps(meta),
        "AIRFLOW_CONN_META_GRAPH": json.dumps(graph),
        "AIRFLOW_CONN_X_API": json.dumps(x),
        "AIRFLOW_VAR_SOCIALPULSE_CRM_SOURCE": str(crm_source),
        "AIRFLOW_CONN_MARKETING_WAREHOUSE": warehouse_conn,
        "AIRFLOW_CONN_SOCIALPULSE_PSEUDONYMIZATION": json.dumps({"conn_type": "generic", "password": DEMO_KEY}),
        "AIRFLOW_VAR_SOCIALPULSE_LAKE_ROOT": str(lake_root),
        "AIRFLOW_VAR_SOCIALPULSE_FX_RATES_SOURCE": f"{simulator_url}{ECB_PATH_PREFIX}D..EUR.SP00.A",
        "AIRFLOW_VAR_SOCIALPULSE_EXPERIMENTS_FILE": str(PLANTED_FILE),  # the simulator's planted experiments
        "AIRFLOW_VAR_SOCIALPULSE_AUDIENCES_FILE": str(BRIEFS_FILE),  # and its campaign briefs
    }
