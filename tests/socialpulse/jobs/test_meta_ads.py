"""The pipeline steps without Airflow: extract per account, land, clean, load."""

import functools
import threading
from datetime import date
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pandas as pd
import pytest

from socialpulse import lake as lake_zone
from socialpulse.connectors.meta import GraphClient, MetaApiError, insights_pages
from socialpulse.connectors.meta.insights import insights_params
from socialpulse.connectors.meta.versions import DEFAULT_API_VERSION
from socialpulse.jobs import meta_ads
from socialpulse.jobs.meta_ads import Window, retention_start
from socialpulse.warehouse import apply_migrations
from socialpulse_dev.simulator import meta_data
from socialpulse_dev.simulator.server import DEFAULT_TOKEN

DS = "2026-11-02"


TODAY = date(2026, 11, 5)


def test_window_covers_the_day_and_its_lookback():
    assert Window.for_run(DS, 28, TODAY) == Window(date(2026, 10, 5), date(2026, 11, 2))
    with pytest.raises(ValueError, match="lookback_days"):
        Window.for_run(DS, -1)


def test_a_window_older_than_meta_keeps_is_clamped_or_empty():
    assert retention_start(TODAY) == date(2023, 10, 6)  # 37 months, and a day for the account's timezone
    assert retention_start(date(2026, 3, 31)) == date(2023, 3, 1)  # 2023-02 has no 31st
    assert Window.for_run("2023-10-20", 28, TODAY) == Window(
        date(2023, 10, 6), date(2023, 10, 20), clamped_from=date(2023, 9, 22)
    )
    old = Window.for_run("2022-06-01", 28, TODAY)
    assert old.empty and old.clamped_from == date(2022, 5, 4)


def test_a_backfill_older_than_meta_keeps_lands_nothing_with_a_warning(simulator, tmp_path, caplog):
    client = GraphClient(simulator(as_of=TODAY), DEFAULT_TOKEN, DEFAULT_API_VERSION)
    lake = lake_zone.Lake.at(tmp_path / "lake")
    with caplog.at_level("WARNING"):
        staged = meta_ads.extract_account(
            client, "1001", Window.for_run("2022-06-01", 28, TODAY), lake, "2022-06-01", "run-1", mode="sync"
        )
    assert staged["rows"] == 0 and client.calls == 0
    assert (
        "Meta keeps insights for 37 months: the days from 2022-05-04 to 2022-06-01 are no longer reported, so "
        "this run pulls nothing" in caplog.text
    )
    with pytest.raises(MetaApiError, match="#3018") as refused:  # what Meta answers when asked anyway
        list(insights_pages(client, "1001", date(2022, 5, 4), date(2022, 6, 1), mode="sync"))
    assert refused.value.retryable is False


def test_action_breakdowns_and_attribution_windows_are_asked_for_explicitly():
    params = insights_params(date(2026, 10, 5), date(2026, 11, 2))
    assert params["action_breakdowns"] == '["action_type"]'
    assert params["action_attribution_windows"] == '["7d_click","1d_view"]'
    assert "attribution_setting" in params["fields"].split(",")


def test_conversions_count_the_windows_whatever_the_account_s_setting(simulator, tmp_path):
    """JP's ad sets count clicks only ("value"); our conversions are the 7-day click and 1-day view windows."""
    client = GraphClient(simulator(as_of=TODAY), DEFAULT_TOKEN, DEFAULT_API_VERSION)
    lake = lake_zone.Lake.at(tmp_path / "lake")
    extracted = [
        meta_ads.extract_account(client, a, Window.for_run(DS, 0, TODAY), lake, DS, "run-1", mode="sync")
        for a in ("1001", "1003")
    ]
    meta_ads.land(lake, DS, "run-1", extracted)
    clean = pd.read_parquet(meta_ads.clean(lake, DS)["clean_path"]).set_index("campaign_id")
    for account in (meta_data.account("1001"), meta_data.account("1003")):
        for row in meta_data.insight_rows(7, account, date(2026, 11, 2), date(2026, 11, 2), TODAY):
            purchase = next((a for a in row["actions"] if a["action_type"] == "omni_purchase"), None)
            expected = int(purchase["7d_click"]) + int(purchase["1d_view"]) if purchase else 0
            assert clean.loc[row["campaign_id"], "conversions"] == expected
            assert clean.loc[row["campaign_id"], "attribution_setting"] == account.attribution_setting
    jp = [
        r
        for r in meta_data.insight_rows(7, meta_data.account("1003"), date(2026, 11, 2), date(2026, 11, 2), TODAY)
        for a in r["actions"]
        if a["action_type"] == "omni_purchase" and int(a["value"]) != int(a["7d_click"]) + int(a["1d_view"])
    ]
    assert jp  # the account's own setting would have counted fewer


def test_with_the_ecb_down_the_day_lands_unconverted_and_the_next_run_fills_it(
    simulator, tmp_path, sqlite_conn, request
):
    from socialpulse.warehouse.volume import check_volume
    from socialpulse_dev.simulator.fx_rates import ECB_PATH_PREFIX

    url = simulator(as_of=TODAY)
    client = GraphClient(url, DEFAULT_TOKEN, DEFAULT_API_VERSION)
    lake = lake_zone.Lake.at(tmp_path / "lake")
    apply_migrations(sqlite_conn)
    (tmp_path / "empty").mkdir()
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path / "empty"))
    handler.log_message = lambda *args: None
    ecb = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=ecb.serve_forever, daemon=True).start()
    request.addfinalizer(ecb.shutdown)
    # HTTP 404 "No results found": no rates at all, as the ECB answers before a day is published
    down = f"http://127.0.0.1:{ecb.server_address[1]}/service/data/EXR/D..EUR.SP00.A"
    meta_ads.land(
        lake,
        DS,
        "run-1",
        [meta_ads.extract_account(client, "1002", Window.for_run(DS, 0, TODAY), lake, DS, "run-1", mode="sync")],
    )
    cleaned = meta_ads.clean(lake, DS, rates_source=down)
    (finding,) = cleaned["findings"]
    assert (finding.check_name, finding.severity, finding.metric) == (
        "exchange_rates_unavailable",
        "warning",
        "spend_reporting",
    )
    meta_ads.load(sqlite_conn, lake, cleaned["clean_path"], "run-1")
    rows = sqlite_conn.execute(
        "SELECT spend, conversions, spend_reporting, reporting_currency, attribution_setting "
        "FROM campaign_metrics_daily WHERE metric_date = ?",
        (DS,),
    ).fetchall()
    assert rows and all(s > 0 and r is None and c is None for s, _, r, c, _ in rows)  # native amounts and counts in
    assert {a for *_, a in rows} == {"7d_click_1d_view"}  # stored per row
    assert check_volume(sqlite_conn, date(2026, 11, 2), date(2026, 11, 2), date(2026, 11, 2), "run-1")[1] == []

    back = f"{url}{ECB_PATH_PREFIX}D..EUR.SP00.A"  # the next day's run, its look-back covering the day
    meta_ads.land(
        lake,
        "2026-11-03",
        "run-2",
        [
            meta_ads.extract_account(
                client, "1002", Window.for_run("2026-11-03", 1, TODAY), lake, "2026-11-03", "run-2", mode="sync"
            )
        ],
    )
    again = meta_ads.clean(lake, "2026-11-03", rates_source=back)
    assert again["findings"] == []
    meta_ads.load(sqlite_conn, lake, again["clean_path"], "run-2")
    filled = sqlite_conn.execute(
        "SELECT spend_reporting, reporting_currency FROM campaign_metrics_daily WHERE metric_date = ?", (DS,)
    ).fetchall()
    assert len(filled) == len(rows) and all(r > 0 and c == "USD" for r, c in filled)


def test_steps_from_api_to_warehouse(simulator, tmp_path, sqlite_conn):
    client = GraphClient(simulator(as_of=date(2026, 11, 5)), DEFAULT_TOKEN, DEFAULT_API_VERSION)
    window, lake = Window.for_run(DS, 2), lake_zone.Lake.at(tmp_path / "lake")
    extracted = [
        meta_ads.extract_account(client, a, window, lake, DS, "run-1", mode="sync") for a in ("1001", "act_1002")
    ]
    assert [e["account_id"] for e in extracted] == ["1001", "1002"]
    landed = meta_ads.land(lake, DS, "run-1", extracted)
    assert landed["rows"] == sum(e["rows"] for e in extracted)
    cleaned = meta_ads.clean(lake, DS)
    assert (cleaned["rows"], cleaned["quarantined"]) == (landed["rows"], 0)
    assert (cleaned["since"], cleaned["until"]) == ("2026-10-31", DS)
    apply_migrations(sqlite_conn)
    assert meta_ads.load(sqlite_conn, lake, cleaned["clean_path"], "run-1")["inserted"] == landed["rows"]

    # A second run with one account fewer replaces the raw partition whole.
    again = [meta_ads.extract_account(client, "1001", window, lake, DS, "run-2", mode="sync")]
    meta_ads.land(lake, DS, "run-2", again)
    assert meta_ads.clean(lake, DS)["rows"] == again[0]["rows"]


def test_land_refuses_when_an_account_was_not_staged(tmp_path):
    with pytest.raises(FileNotFoundError, match="not staged"):
        meta_ads.land(
            lake_zone.Lake.at(tmp_path), DS, "run-1", [{"account_id": "1001", "pages": 1, "rows": 1, "bytes": 1}]
        )


def test_clean_without_raw_partition_says_what_to_run(tmp_path):
    with pytest.raises(FileNotFoundError, match="extract and land"):
        meta_ads.clean(lake_zone.Lake.at(tmp_path), DS)
