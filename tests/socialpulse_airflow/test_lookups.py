"""The lake's credentials come from the `socialpulse_lake` connection, only for a lake on an object store."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from airflow.exceptions import AirflowNotFoundException

from socialpulse import lake as lake_zone
from socialpulse_airflow.lookups import configured_lake


@pytest.fixture(autouse=True)
def no_storage_options():
    yield
    lake_zone.configure_storage("s3", {})


def test_an_object_store_lake_takes_its_storage_options_from_the_connection():
    asked = []

    def connection(conn_id: str):
        asked.append(conn_id)
        return SimpleNamespace(login="AKIA", password="s3cret", extra_dejson={"endpoint_url": "http://minio:9000"})

    assert configured_lake("s3://bucket/lake", connection) == "s3://bucket/lake"
    assert asked == ["socialpulse_lake"]
    path = lake_zone.lake_path("s3://bucket/lake")
    assert (path.storage_options["key"], path.storage_options["endpoint_url"]) == ("AKIA", "http://minio:9000")


def test_a_local_lake_asks_for_no_connection_and_a_missing_one_leaves_the_machine_credentials():
    def missing(conn_id: str):
        raise AirflowNotFoundException(conn_id)

    assert configured_lake("/data/lake", lambda conn_id: pytest.fail("asked for a connection")) == "/data/lake"
    assert configured_lake("s3://bucket/lake", missing) == "s3://bucket/lake"
    assert "key" not in lake_zone.lake_path("s3://bucket/lake").storage_options
