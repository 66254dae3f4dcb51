"""The pipeline steps without Airflow: extract per account, land, clean, load."""

from datetime import date

import pytest

from socialpulse.connectors.meta import GraphClient
from socialpulse.connectors.meta.versions import DEFAULT_API_VERSION
from socialpulse.jobs import meta_ads
from socialpulse.jobs.meta_ads import Window
from socialpulse.warehouse import apply_migrations
from socialpulse_dev.simulator.server import DEFAULT_TOKEN

DS = "2026-11-02"


def test_window_covers_the_day_and_its_lookback():
    assert Window.for_run(DS, 28) == Window(date(2026, 10, 5), date(2026, 11, 2))
    with pytest.raises(ValueError, match="lookback_days"):
        Window.for_run(DS, -1)


def test_steps_from_api_to_warehouse(simulator, tmp_path, sqlite_conn):
    client = GraphClient(simulator(as_of=date(2026, 11, 5)), DEFAULT_TOKEN, DEFAULT_API_VERSION)
    window, lake = Window.for_run(DS, 2), str(tmp_path / "lake")
    extracted = [meta_ads.extract_account(client, a, window, lake, DS, "run-1", mode="sync")
                 for a in ("1001", "act_1002")]
    assert [e["account_id"] for e in extracted] == ["1001", "1002"]
    landed = meta_ads.land(lake, DS, "run-1", extracted)
    assert landed["rows"] == sum(e["rows"] for e in extracted)
    cleaned = meta_ads.clean(lake, DS)
    assert (cleaned["rows"], cleaned["quarantined"]) == (landed["rows"], 0)
    assert (cleaned["since"], cleaned["until"]) == ("2026-10-31", DS)
    apply_migrations(sqlite_conn)
    assert meta_ads.load(sqlite_conn, cleaned["clean_path"], "run-1")["inserted"] == landed["rows"]

    # A second run with one account fewer replaces the raw partition whole.
    again = [meta_ads.extract_account(client, "1001", window, lake, DS, "run-2", mode="sync")]
    meta_ads.land(lake, DS, "run-2", again)
    assert meta_ads.clean(lake, DS)["rows"] == again[0]["rows"]


def test_land_refuses_when_an_account_was_not_staged(tmp_path):
    with pytest.raises(FileNotFoundError, match="not staged"):
        meta_ads.land(str(tmp_path), DS, "run-1", [{"account_id": "1001", "pages": 1, "rows": 1, "bytes": 1}])


def test_clean_without_raw_partition_says_what_to_run(tmp_path):
    with pytest.raises(FileNotFoundError, match="extract and land"):
        meta_ads.clean(str(tmp_path), DS)
