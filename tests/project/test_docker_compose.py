"""docker-compose.yaml is checked by parsing: no Docker engine runs here."""

import json

import yaml

from socialpulse.config import (
    CRM_SOURCE_VARIABLE,
    FX_RATES_SOURCE_VARIABLE,
    LAKE_ROOT_VARIABLE,
    META_GRAPH_CONN_ID,
    META_MARKETING_CONN_ID,
    PROJECT_ROOT,
    PSEUDONYMIZATION_CONN_ID,
    RAW_RETENTION_VARIABLE,
    REPORTING_CURRENCY_VARIABLE,
    WAREHOUSE_CONN_ID,
    X_API_CONN_ID,
)

AIRFLOW_SERVICES = ("airflow-init", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
                    "airflow-triggerer")


def compose() -> dict:
    return yaml.safe_load((PROJECT_ROOT / "docker-compose.yaml").read_text())


def test_services_and_commands():
    services = compose()["services"]
    assert set(services) == {"postgres", "simulator", *AIRFLOW_SERVICES}
    assert [services[s]["command"][0] for s in AIRFLOW_SERVICES] == ["db", "api-server", "scheduler", "dag-processor",
                                                                     "triggerer"]
    for name in AIRFLOW_SERVICES[1:]:
        assert services[name]["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"


def test_airflow_services_mount_the_project_and_name_the_documented_connections():
    services = compose()["services"]
    for name in AIRFLOW_SERVICES:
        service = services[name]
        assert {"./dags:/opt/airflow/dags", "./plugins:/opt/airflow/plugins",
                "./include:/opt/airflow/include"} <= set(service["volumes"])
        env = service["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "LocalExecutor"
        meta = json.loads(env[f"AIRFLOW_CONN_{META_MARKETING_CONN_ID.upper()}"])
        assert meta["host"] == "http://simulator:8765" and meta["extra"]["ad_account_ids"]
        assert env[f"AIRFLOW_CONN_{WAREHOUSE_CONN_ID.upper()}"].startswith("postgres://")
        assert f"AIRFLOW_VAR_{LAKE_ROOT_VARIABLE.upper()}" in env
        assert f"AIRFLOW_VAR_{CRM_SOURCE_VARIABLE.upper()}" in env
        graph = json.loads(env[f"AIRFLOW_CONN_{META_GRAPH_CONN_ID.upper()}"])
        assert graph["extra"]["page_ids"] and graph["extra"]["ig_user_ids"]
        assert json.loads(env[f"AIRFLOW_CONN_{X_API_CONN_ID.upper()}"])["extra"]["user_ids"]
        assert len(json.loads(env[f"AIRFLOW_CONN_{PSEUDONYMIZATION_CONN_ID.upper()}"])["password"]) >= 16
        assert env[f"AIRFLOW_VAR_{FX_RATES_SOURCE_VARIABLE.upper()}"].startswith("http://simulator:8765/service/")
        for variable in (REPORTING_CURRENCY_VARIABLE, RAW_RETENTION_VARIABLE):
            assert f"AIRFLOW_VAR_{variable.upper()}" in env


def test_files_it_refers_to_exist():
    assert (PROJECT_ROOT / "Dockerfile").read_text().startswith("#")
    assert "FROM apache/airflow:3.3.2" in (PROJECT_ROOT / "Dockerfile").read_text()
    assert (PROJECT_ROOT / "docker" / "postgres-init.sql").exists()
    assert compose()["services"]["simulator"]["command"][:2] == ["--host", "0.0.0.0"]
    assert compose()["services"]["simulator"]["entrypoint"] == ["python", "-m", "socialpulse_dev.simulator"]
