"""A screenshot of an audience report (report.html) in headless Chromium, the whole page: the README's comes from here.

Run after `make demo` (`PYTHONPATH=include .venv/bin/python scripts/report_screenshot.py`): it
opens the newest report under the demo's lake, or the one given, at 1,280 pixels wide and
saves the page at its full height.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from socialpulse import lake as lake_zone
from socialpulse.config import data_dir
from socialpulse.lake import storage as lake_storage
from socialpulse_dev import browser

WIDTH = 1280


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--report", type=Path, help="a report.html (default: the demo lake's newest)")
    parser.add_argument("--out", type=Path, default=Path("docs/images/audience-report.png"))
    args = parser.parse_args()
    reports = lake_zone.Lake.at(str(data_dir() / "lake")).root / "reports" / "audience"
    found = lake_storage.partitions(reports) if reports.exists() else []
    report = args.report or (Path(str(found[-1] / "report.html")) if found else None)
    if report is None or not report.exists():
        print("no audience report: run `make demo` first, or pass --report", file=sys.stderr)
        return 1
    if not browser.installed():
        print("Chromium is not installed: apt-get install chromium chromium-driver", file=sys.stderr)
        return 1
    with browser.chromium() as driver:
        driver.get(report.resolve().as_uri())
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(WIDTH, height + 120)  # the window's frame: the page gets its whole height
        driver.save_screenshot(str(args.out))
    print(f"{report} -> {args.out} ({WIDTH} x {height} px)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
