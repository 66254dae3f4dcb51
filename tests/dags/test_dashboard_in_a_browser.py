"""The Marketing view in headless Chromium: Airflow's own login form, the dashboard in the UI, the warehouse's figures.

Chromium and its driver come from Debian (`apt-get install chromium chromium-driver`, which
.ci/run does when they are missing); nothing here downloads a browser.
"""

from __future__ import annotations

import json
import os
import sqlite3

import pytest

from socialpulse.dashboard import queries
from socialpulse_airflow.dashboard.app import SECURITY_HEADERS
from socialpulse_dev import browser
from socialpulse_dev.devenv import airflow_home_env
from socialpulse_dev.local_airflow import password, running, service_env
from tests.conftest import free_port, require_service
from tests.socialpulse_airflow.test_dashboard import DAYS, seed_warehouse


@pytest.mark.slow
@pytest.mark.parametrize("sub_path", ["", "/airflow"], ids=["at the root", "under a base_url sub-path"])
def test_the_marketing_view_shows_the_warehouse_s_figures_in_chromium(tmp_path, migrated_airflow, sub_path):
    if not browser.installed():
        require_service("Chromium is not installed: apt-get install chromium chromium-driver")
    warehouse, lake = seed_warehouse(tmp_path)
    port = free_port()
    env = {
        **os.environ,
        **airflow_home_env(migrated_airflow),
        **service_env(migrated_airflow, port),
        "AIRFLOW_CONN_MARKETING_WAREHOUSE": json.dumps({"conn_type": "sqlite", "host": str(warehouse)}),
        "AIRFLOW_VAR_SOCIALPULSE_LAKE_ROOT": str(lake),
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}{sub_path}/",
    }
    with sqlite3.connect(warehouse) as conn:
        accounts = queries.overview(conn, *DAYS)
    with running(env, migrated_airflow, port, services=("api-server",)), browser.chromium() as driver:
        base_url = f"http://127.0.0.1:{port}{sub_path}"
        browser.sign_in(driver, base_url, password(migrated_airflow))
        framed = driver.execute_script("return location.href")  # where the nav entry's relative href led
        load_ms = browser.visit(driver, base_url, f"?since={DAYS[0]}&until={DAYS[1]}")
        shown = {(row[0], row[1]): row for row in browser.cells(driver, "accounts")}
        spend_header = driver.find_element("xpath", "//table[@id='accounts']//th[text()='spend']")
        orders = []
        for _ in range(2):  # a click sorts by the column, the next the other way round
            spend_header.click()
            orders.append([float(row[3].replace(",", "")) for row in browser.cells(driver, "accounts")])
        styled = driver.execute_script("return [...document.styleSheets].map(s => s.href + ' ' + s.cssRules.length)")
        headers = browser.answer_headers(driver, tuple(SECURITY_HEADERS))
        refused = browser.refusals(driver)  # the frame, its stylesheet, script and sorting ran under the policy
        driver.switch_to.default_content()
        driver.save_screenshot(str(tmp_path / "marketing.png"))
    print(f"\nMarketing view: frame page loaded in {load_ms:.0f} ms; screenshot {tmp_path / 'marketing.png'}")
    assert set(shown) == {(a["platform"], a["account_id"]) for a in accounts}
    for account in accounts:
        row = shown[(account["platform"], account["account_id"])]
        assert row[3] == f"{account['spend']:,.2f}" and row[7] == f"{account['ctr']:.2%}"
        assert row[6] == f"{account['roas']:.2f}"
    assert framed == f"{base_url}/socialpulse/"
    assert headers == SECURITY_HEADERS and refused == []  # X-Frame-Options SAMEORIGIN lets the UI frame it
    assert len(styled) == 1 and styled[0].startswith(f"{base_url}/socialpulse/static/dashboard.css ")
    assert int(styled[0].split()[1]) > 10  # the stylesheet arrived through the login, and under the sub-path
    assert len(orders[0]) > 1 and orders[0] == sorted(orders[0]) and orders[1] == sorted(orders[0], reverse=True)
    screenshot = (tmp_path / "marketing.png").read_bytes()
    assert screenshot[:4] == b"\x89PNG" and len(screenshot) > 10_000
