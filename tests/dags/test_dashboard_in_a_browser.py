"""The Marketing view in headless Chromium: Airflow's own login form, the dashboard in the UI, the warehouse's figures.

Chromium and its driver come from Debian (`apt-get install chromium chromium-driver`, which
.ci/run does when they are missing); nothing here downloads a browser.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from socialpulse.dashboard import queries
from socialpulse_dev.devenv import airflow_home_env
from socialpulse_dev.local_airflow import USER, password, running, service_env
from tests.conftest import free_port, require_service
from tests.socialpulse_airflow.test_dashboard import DAYS, seed_warehouse

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1440,1100"):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)


def open_dashboard(driver, base_url: str, secret: str, path: str = "") -> float:
    """Log in through Airflow's form, open the Marketing view, enter its frame; the frame's page load in ms."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, 60)
    driver.get(f"{base_url}/plugin/marketing")
    wait.until(expected_conditions.presence_of_element_located((By.NAME, "username"))).send_keys(USER)
    driver.find_element(By.NAME, "password").send_keys(secret)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    frame = wait.until(expected_conditions.presence_of_element_located((By.TAG_NAME, "iframe")))
    driver.switch_to.frame(frame)
    if path:  # the frame goes to another of its pages, as a link or the date form inside it would
        target = f"{base_url}/socialpulse/{path}"
        driver.execute_script("window.location.href = arguments[0]", target)
        wait.until(lambda d: d.execute_script("return location.href") == target
                   and d.execute_script("return document.readyState") == "complete")
    wait.until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "main table")))
    return driver.execute_script("return performance.getEntriesByType('navigation')[0].duration")


def cells(driver, table_id: str) -> list[list[str]]:
    from selenium.webdriver.common.by import By

    return [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
            for row in driver.find_elements(By.CSS_SELECTOR, f"#{table_id} tbody tr")]


@pytest.mark.slow
def test_the_marketing_view_shows_the_warehouse_s_figures_in_chromium(tmp_path, migrated_airflow):
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        require_service("Chromium is not installed: apt-get install chromium chromium-driver")
    warehouse, lake = seed_warehouse(tmp_path)
    port = free_port()
    env = {**os.environ, **airflow_home_env(migrated_airflow), **service_env(migrated_airflow, port),
           "AIRFLOW_CONN_MARKETING_WAREHOUSE": json.dumps({"conn_type": "sqlite", "host": str(warehouse)}),
           "AIRFLOW_VAR_SOCIALPULSE_LAKE_ROOT": str(lake)}
    with sqlite3.connect(warehouse) as conn:
        accounts = queries.overview(conn, *DAYS)
    with running(env, migrated_airflow, port, services=("api-server",)), browser() as driver:
        base_url = f"http://127.0.0.1:{port}"
        load_ms = open_dashboard(driver, base_url, password(migrated_airflow), f"?since={DAYS[0]}&until={DAYS[1]}")
        shown = {(row[0], row[1]): row for row in cells(driver, "accounts")}
        driver.switch_to.default_content()
        driver.save_screenshot(str(tmp_path / "marketing.png"))
    print(f"\nMarketing view: frame page loaded in {load_ms:.0f} ms; screenshot {tmp_path / 'marketing.png'}")
    assert set(shown) == {(a["platform"], a["account_id"]) for a in accounts}
    for account in accounts:
        row = shown[(account["platform"], account["account_id"])]
        assert row[3] == f"{account['spend']:,.2f}" and row[7] == f"{account['ctr']:.2%}"
        assert row[6] == f"{account['roas']:.2f}"
    screenshot = (tmp_path / "marketing.png").read_bytes()
    assert screenshot[:4] == b"\x89PNG" and len(screenshot) > 10_000
