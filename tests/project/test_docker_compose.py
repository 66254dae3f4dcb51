"""docker-compose.yaml is checked by parsing: no Docker engine runs here."""

import json

import yaml

from socialpulse.config import (
    CRM_SOURCE_VARIABLE,
    FX_RATES_SOURCE_VARIABLE,
    LAKE_CONN_ID,
    LAKE_ROOT_VARIABLE,
    META_GRAPH_CONN_ID,
    META_MARKETING_CONN_ID,
    PSEUDONYMIZATION_CONN_ID,
    RAW_RETENTION_VARIABLE,
    REPORTING_CURRENCY_VARIABLE,
    WAREHOUSE_CONN_ID,
    X_API_CONN_ID,
)
from socialpulse_dev.devenv import PROJECT_ROOT

AIRFLOW_SERVICES = (
    "airflow-init",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-worker",
    "airflow-worker-ml",
)


def compose() -> dict:
    return yaml.safe_load((PROJECT_ROOT / "docker-compose.yaml").read_text())


def test_services_and_commands_on_the_official_celery_layout():
    services = compose()["services"]
    assert set(services) == {"postgres", "redis", "minio", "minio-init", "simulator", *AIRFLOW_SERVICES}
    assert [services[s]["command"][0].split()[0] for s in AIRFLOW_SERVICES] == [
        "airflow",
        "api-server",
        "scheduler",
        "dag-processor",
        "triggerer",
        "celery",
        "celery",
    ]
    assert "airflow db migrate" in services["airflow-init"]["command"][0]
    assert "airflow pools set tensorflow 1" in services["airflow-init"]["command"][0]
    for name in AIRFLOW_SERVICES[1:]:
        assert services[name]["depends_on"]["airflow-init"]["condition"] == "service_completed_successfully"
        assert services[name]["depends_on"]["redis"]["condition"] == "service_healthy"
        assert services[name]["depends_on"]["minio-init"]["condition"] == "service_completed_successfully"
    assert "redis-cli" in services["redis"]["healthcheck"]["test"]


def test_the_ml_queue_has_its_own_worker_and_the_dags_send_the_ml_tasks_to_it():
    from airflow.dag_processing.dagbag import DagBag

    from socialpulse_airflow.dag_defaults import ML_QUEUE

    services = compose()["services"]

    def queues(name: str) -> str:
        command = services[name]["command"]
        return command[command.index("--queues") + 1]

    assert (queues("airflow-worker"), queues("airflow-worker-ml")) == ("default", ML_QUEUE)
    bag = DagBag(dag_folder=str(PROJECT_ROOT / "dags"))
    on_ml = {(d.dag_id, t.task_id) for d in bag.dags.values() for t in d.tasks if t.queue == ML_QUEUE}
    others = {t.queue for d in bag.dags.values() for t in d.tasks if t.queue != ML_QUEUE}
    assert on_ml == {("audience_intelligence", "segment_audience"), ("audience_intelligence", "train_propensity")}
    assert others == {"default"}


def test_airflow_services_mount_the_project_and_name_the_documented_connections():
    services = compose()["services"]
    for name in AIRFLOW_SERVICES:
        service = services[name]
        assert {"./dags:/opt/airflow/dags", "./plugins:/opt/airflow/plugins", "./include:/opt/airflow/include"} <= set(
            service["volumes"]
        )
        env = service["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        assert env["AIRFLOW__CELERY__BROKER_URL"] == "redis://redis:6379/0"
        assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql+psycopg://")
        assert env["AIRFLOW__API_AUTH__JWT_SECRET"] and "AIRFLOW__CORE__FERNET_KEY" in env
        meta = json.loads(env[f"AIRFLOW_CONN_{META_MARKETING_CONN_ID.upper()}"])
        assert meta["host"] == "http://simulator:8765" and meta["extra"]["ad_account_ids"]
        assert env[f"AIRFLOW_CONN_{WAREHOUSE_CONN_ID.upper()}"].startswith("postgres://")
        bucket = env[f"AIRFLOW_VAR_{LAKE_ROOT_VARIABLE.upper()}"].removeprefix("s3://").split("/")[0]
        assert f"lake/{bucket}" in services["minio-init"]["command"][0]
        lake = json.loads(env[f"AIRFLOW_CONN_{LAKE_CONN_ID.upper()}"])
        assert lake["extra"]["endpoint_url"] == "http://minio:9000"
        assert (lake["login"], lake["password"]) == (
            services["minio"]["environment"]["MINIO_ROOT_USER"],
            services["minio"]["environment"]["MINIO_ROOT_PASSWORD"],
        )
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
