"""The run's exchange rates: fetched once per run date from the ECB (or the configured source), kept in the lake.

The exact answer is stored under reference/fx_rates/ds=<date>/, so rerunning a
date converts with the rates its first run saw, and the ECB is asked once a day.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

from socialpulse import lake as lake_zone
from socialpulse.connectors.ecb import ECB_DAILY_RATES_URL, fetch_rates, rates_location
from socialpulse.transforms.currency import Rates, check_reporting_currency

RATES_FILE = "rates.csv"
# The longest look-back (90 days) plus the 7 days a rate may be carried forward, and a margin.
HISTORY_DAYS = 100
log = logging.getLogger(__name__)


def rates_for_run(lake_root: str, ds: str, source: str | None, reporting: str) -> tuple[Rates, str]:
    """(the rates covering the HISTORY_DAYS up to ds, the checked reporting currency)."""
    source = source or ECB_DAILY_RATES_URL
    partition = lake_zone.Lake.at(lake_root).reference_partition("fx_rates", ds)
    if (partition / f"{RATES_FILE}.gz").exists():
        payload = lake_zone.read_raw_file(partition, RATES_FILE)
        log.info("exchange rates of %s from the lake: %s", ds, partition)
    else:
        until = date.fromisoformat(ds)
        payload = fetch_rates(source, until - timedelta(days=HISTORY_DAYS), until)
        lake_zone.write_raw_file(partition, RATES_FILE, payload, {
            "source": rates_location(source, until - timedelta(days=HISTORY_DAYS), until), "ds": ds,
            "extracted_at": datetime.now(UTC).isoformat()})
        log.info("exchange rates of %s fetched from %s: %d bytes, kept at %s", ds, source, len(payload), partition)
    rates = Rates.from_ecb_csv(payload, source)
    return rates, check_reporting_currency(reporting, rates)
