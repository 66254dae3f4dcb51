"""Headless Chromium on the Marketing view: Airflow's login form, then the dashboard's frame inside the UI.

Chromium and its driver come from Debian (`apt-get install chromium chromium-driver`);
nothing here downloads a browser. Used by the browser test and by the screenshots script.
"""

from __future__ import annotations

from pathlib import Path

from socialpulse_dev.local_airflow import USER

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
WAIT_SECONDS = 60


def installed() -> bool:
    return CHROMIUM.exists() and CHROMEDRIVER.exists()


def chromium():
    """A headless Chromium driven through Debian's chromedriver (a context manager: it quits on exit)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1440,1100"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # the console: CSP refusals show there
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)


def sign_in(driver, base_url: str, secret: str) -> float:
    """Log in through Airflow's form, open the Marketing view and enter its frame; the frame's page load in ms."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, WAIT_SECONDS)
    driver.get(f"{base_url}/plugin/marketing")
    wait.until(expected_conditions.presence_of_element_located((By.NAME, "username"))).send_keys(USER)
    driver.find_element(By.NAME, "password").send_keys(secret)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    frame = wait.until(expected_conditions.presence_of_element_located((By.TAG_NAME, "iframe")))
    driver.switch_to.frame(frame)
    return loaded(driver)


def visit(driver, base_url: str, path: str) -> float:
    """Take the dashboard's frame to another of its pages, as a link or the date form inside it would; ms."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    target = f"{base_url}/socialpulse/{path}"
    before = driver.execute_script("return performance.timeOrigin")  # the page now shown, maybe the same URL
    driver.execute_script("window.location.href = arguments[0]", target)
    # Scripts may fail while the frame swaps documents: asked again until the new one is there.
    WebDriverWait(driver, WAIT_SECONDS, ignored_exceptions=(WebDriverException,)).until(
        lambda d: (
            d.execute_script("return performance.timeOrigin") != before
            and d.execute_script("return location.href") == target
            and d.execute_script("return document.readyState") == "complete"
        )
    )
    return loaded(driver)


def loaded(driver) -> float:
    """The frame's page load in ms (Navigation Timing: request to the end of its load event), once it ended."""
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT_SECONDS).until(
        lambda d: d.execute_script(
            "const n = performance.getEntriesByType('navigation')[0]; return n && n.loadEventEnd > 0 && n.duration"
        )
    )


def refusals(driver) -> list[str]:
    """What the console said the page's security policy refused since the last call (a script, a style, a frame)."""
    return [
        entry["message"]
        for entry in driver.get_log("browser")
        if "Content Security Policy" in entry["message"] or "Refused to" in entry["message"]
    ]


def answer_headers(driver, names: tuple[str, ...]) -> dict[str, str | None]:
    """The headers the frame's own page is served with, fetched again from inside it (its session, its origin)."""
    return driver.execute_async_script(
        "const done = arguments[arguments.length - 1], names = arguments[0];"
        "fetch(location.href, {credentials: 'same-origin'}).then(r => done(Object.fromEntries("
        "names.map(n => [n, r.headers.get(n)]))));",
        list(names),
    )


def cells(driver, table_id: str) -> list[list[str]]:
    """The text of a table's body cells, row by row."""
    from selenium.webdriver.common.by import By

    return [
        [cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
        for row in driver.find_elements(By.CSS_SELECTOR, f"#{table_id} tbody tr")
    ]
