"""The run's exchange rates: fetched once per run date from the ECB (or the configured source), kept in the lake.

The exact answer is stored under reference/fx_rates/ds=<date>/, so rerunning a
date converts with the rates its first run saw, and the ECB is asked once a day.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

from socialpulse import lake as lake_zone
from socialpulse.connectors.ecb import ECB_DAILY_RATES_URL, fetch_rates, rates_location
from socialpulse.errors import RetriesExhaustedError
from socialpulse.lake import files as lake_files
from socialpulse.secrets import strip_secrets
from socialpulse.transforms.currency import Rates, RatesUnavailableError, check_reporting_currency

RATES_FILE = "rates.csv"
# A CRM full export's year of past orders, plus the 7 days a rate may be carried forward, and a margin.
HISTORY_DAYS = 380
log = logging.getLogger(__name__)


def rates_for_run(lake: lake_zone.Lake, ds: str, source: str | None, reporting: str) -> tuple[Rates, str]:
    """(the rates covering the HISTORY_DAYS up to ds, the checked reporting currency).

    Kept only once ds is over (UTC): the ECB publishes a day's rates that afternoon,
    so an answer fetched during ds may still carry the day before's, and is asked again;
    so is an empty answer (a wrong URL fixed later must not stay cached as "no rates").
    """
    source = source or ECB_DAILY_RATES_URL
    shown = strip_secrets(source)  # what logs, manifests and quarantine reasons name
    partition = lake.reference_partition("fx_rates", ds)
    until = date.fromisoformat(ds)
    kept = (partition / f"{RATES_FILE}.gz").exists()
    if kept:
        payload = lake_files.read_raw_file(partition, RATES_FILE)
        log.info("exchange rates of %s from the lake: %s", ds, partition)
    else:
        payload = fetch_rates(source, until - timedelta(days=HISTORY_DAYS), until)
        log.info("exchange rates of %s fetched from %s: %d bytes", ds, shown, len(payload))
    rates = Rates.from_ecb_csv(payload, shown)  # read before it is kept: an answer in the wrong format is not
    reporting = check_reporting_currency(reporting, rates)
    if not kept and datetime.now(UTC).date() > until:  # an empty answer raised above: it is asked again next time
        lake_files.write_raw_file(
            partition,
            RATES_FILE,
            payload,
            {
                "source": strip_secrets(rates_location(source, until - timedelta(days=HISTORY_DAYS), until)),
                "ds": ds,
                "extracted_at": datetime.now(UTC).isoformat(),
            },
        )
        log.info("kept at %s: reruns of %s convert with the same rates", partition, ds)
    return rates, reporting


def rates_if_available(
    lake: lake_zone.Lake, ds: str, source: str | None, reporting: str
) -> tuple[Rates | None, str, str]:
    """rates_for_run, or (None, reporting, why) when the source is down or has no rates yet.

    For amounts that still mean something unconverted (ads spend in the account's currency):
    the day lands without its reporting amounts, which a later run's look-back fills. A source
    answering in the wrong format, or without the reporting currency, still fails at once.
    """
    try:
        rates, checked = rates_for_run(lake, ds, source, reporting)
    except (RatesUnavailableError, RetriesExhaustedError) as error:
        why = f"no exchange rates for {ds} ({type(error).__name__}: {error})"
        log.warning("%s: amounts stay in their own currency, the reporting columns null until a later run", why)
        return None, reporting, why
    return rates, checked, ""
