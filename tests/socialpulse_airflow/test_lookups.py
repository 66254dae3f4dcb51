"""The lake's credentials come from the `socialpulse_lake` connection, only for a lake on an object store."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from airflow.exceptions import AirflowNotFoundException

from socialpulse.lake import storage as lake_storage
from socialpulse_airflow.lookups import configured_lake


def test_an_object_store_lake_takes_its_storage_options_from_the_connection():
    asked = []

    def connection(conn_id: str):
        asked.append(conn_id)
        return SimpleNamespace(login="AKIA", password="s3cret", extra_dejson={"endpoint_url": "http://minio:9000"})

    lake = configured_lake("s3://bucket/lake", connection)
    assert asked == ["socialpulse_lake"] and str(lake.root) == "s3://bucket/lake"
    options = lake.root.storage_options
    assert (options["key"], options["endpoint_url"]) == ("AKIA", "http://minio:9000")
    clean = lake.path(lake.clean("crm_users").day_path("2026-11-01"))  # a path an XCom brought: the same store
    assert clean.storage_options == options


def test_a_local_lake_asks_for_no_connection_and_a_missing_one_leaves_the_machine_credentials():
    def missing(conn_id: str):
        raise AirflowNotFoundException(conn_id)

    local = configured_lake("/data/lake", lambda conn_id: pytest.fail("asked for a connection"))
    assert not lake_storage.on_object_store(local.root) and str(local.root) == "/data/lake"
    assert "key" not in configured_lake("s3://bucket/lake", missing).root.storage_options


@pytest.mark.parametrize(("value", "number"), [(None, 1), ("3", 3), ("two", None), ("0", None), ("1.5", None)])
def test_a_whole_number_variable_is_checked_and_a_wrong_one_named(monkeypatch, value, number):
    """The mapped tasks of the profiles (as the raw zone's retention): unset gives the default, a wrong value fails
    the task at once, naming the variable and what to set."""
    from airflow.sdk.exceptions import AirflowFailException

    from socialpulse_airflow.lookups import whole_number

    if value is not None:
        monkeypatch.setenv("AIRFLOW_VAR_SOCIALPULSE_PROFILE_TASKS", value)
    if number is not None:
        assert whole_number("socialpulse_profile_tasks", 1, "mapped tasks") == number
        return
    with pytest.raises(AirflowFailException) as failed:
        whole_number("socialpulse_profile_tasks", 1, "mapped tasks")
    assert str(failed.value) == (
        f"variable 'socialpulse_profile_tasks' is {value!r}: set it to a whole number of mapped tasks, 1 or more "
        "(default 1)"
    )
