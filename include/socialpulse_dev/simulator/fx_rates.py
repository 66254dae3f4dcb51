"""The simulator's exchange rates, served as the ECB Data Portal serves its euro reference rates.

`GET /service/data/EXR/D..EUR.SP00.A?format=csvdata&detail=dataonly&startPeriod=...&endPeriod=...`
answers the same CSV columns as https://data-api.ecb.europa.eu (KEY, FREQ, CURRENCY,
CURRENCY_DENOM, EXR_TYPE, EXR_SUFFIX, TIME_PERIOD, OBS_VALUE: units of the currency per euro),
weekdays only, like the ECB. The rates are simulated: each currency wobbles within 2% around
the level the CRM simulator prices orders at. They are not market rates.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from functools import lru_cache

from socialpulse_dev.simulator.crm_drop import MARKETS

ECB_PATH_PREFIX = "/service/data/EXR/"
HEADER = "KEY,FREQ,CURRENCY,CURRENCY_DENOM,EXR_TYPE,EXR_SUFFIX,TIME_PERIOD,OBS_VALUE"


def units_per_usd(currency: str, level: float, day: date) -> float:
    """How many units of the currency a dollar buys that day, to the 6 decimals the table always had."""
    if currency == "USD":
        return 1.0
    phase = sum(map(ord, currency))
    return round(level * (1 + 0.02 * math.sin(day.toordinal() / 29.0 + phase)), 6)


def per_euro(day: date) -> dict[str, float]:
    """Units of each simulated currency (EUR excluded) one euro buys on a day."""
    levels = dict(MARKETS.values())
    eur = units_per_usd("EUR", levels["EUR"], day)
    return {c: units_per_usd(c, level, day) / eur for c, level in sorted(levels.items()) if c != "EUR"}


def ecb_csv(since: date, until: date) -> bytes:
    """The ECB csvdata answer for [since, until]; an empty body when no day in it has rates, as the ECB does."""
    lines, day = [], since
    while day <= until:
        if day.weekday() < 5:  # no rates on weekends
            lines += [
                f"EXR.D.{c}.EUR.SP00.A,D,{c},EUR,SP00,A,{day.isoformat()},{rate:.12g}"
                for c, rate in per_euro(day).items()
            ]
        day += timedelta(days=1)
    return "\n".join([HEADER, *lines, ""]).encode() if lines else b""


@lru_cache(maxsize=4)
def simulated_rates(since: date = date(2025, 1, 1), until: date = date(2027, 12, 31)):
    """The simulator's rates as the library reads them, for tests and benchmarks that need no server."""
    from socialpulse.transforms.currency import Rates

    return Rates.from_ecb_csv(ecb_csv(since, until), "the simulator's ECB rates")
