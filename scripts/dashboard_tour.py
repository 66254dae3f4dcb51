"""The Marketing dashboard on the demo's data, page by page in headless Chromium: load times and screenshots.

Run after `make demo` (`PYTHONPATH=include .venv/bin/python scripts/dashboard_tour.py`). It
starts what `make ui` starts, signs in through Airflow's form as the demo's admin, opens
each page of the Marketing view twice (the first load pays the api-server's imports and
a cold cache), prints each page's load time (Navigation Timing of the dashboard's frame)
and saves a screenshot of the whole Airflow UI per page. The screenshots in docs/ come
from here.
"""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

from demo import arguments, demo_stack

from socialpulse.config import data_dir
from socialpulse_dev import browser
from socialpulse_dev.local_airflow import password

# Each page and its path under the view, opened with its default range.
PAGES = {
    "overview": "",
    "campaigns": "campaigns",
    "posts": "posts",
    "audience": "audience",
    "experiments": "experiments",
    "health": "health",
}


def main() -> int:
    args = arguments(
        __doc__,
        extra=lambda parser: parser.add_argument(
            "--out", type=Path, default=data_dir() / "screenshots", help="screenshots go here, dashboard-<page>.png"
        ),
    )
    if not (args.data_dir / "warehouse.db").exists():
        print(f"no warehouse in {args.data_dir}: run `make demo` first", file=sys.stderr)
        return 1
    if not browser.installed():
        print("Chromium is not installed: apt-get install chromium chromium-driver", file=sys.stderr)
        return 1
    dates = [args.first_date + timedelta(days=i) for i in range(args.days)]
    args.out.mkdir(parents=True, exist_ok=True)
    with demo_stack(args, dates), browser.chromium() as driver:
        base_url = f"http://127.0.0.1:{args.port}"
        cold = browser.sign_in(driver, base_url, password(args.airflow_home))
        print(f"signed in; the Marketing view's first page (the api-server's first request to it): {cold:.0f} ms")
        print(f"Marketing view on the demo's data (the four weeks to {dates[-1]}), frame page loads:")
        print(f"{'page':<12} {'first ms':>9} {'again ms':>9}  screenshot")
        for page, path in PAGES.items():
            first = browser.visit(driver, base_url, path)
            again = browser.visit(driver, base_url, path)
            refused = driver.find_elements("id", "warehouse-error")
            if refused:  # a timing of the "cannot be read" page would measure nothing
                print(f"{page}: {refused[0].text}", file=sys.stderr)
                return 1
            driver.switch_to.default_content()
            shot = args.out / f"dashboard-{page}.png"
            driver.save_screenshot(str(shot))
            driver.switch_to.frame(driver.find_element("tag name", "iframe"))
            print(f"{page:<12} {first:>9.0f} {again:>9.0f}  {shot}", flush=True)
    print(f"on {date.today()}; api-server, scheduler and dag-processor of `make ui` running beside the browser")
    return 0


if __name__ == "__main__":
    sys.exit(main())
