"""The ECB's euro foreign exchange reference rates, from the ECB Data Portal (public, no key).

`GET https://data-api.ecb.europa.eu/service/data/EXR/D..EUR.SP00.A?format=csvdata&detail=dataonly
&startPeriod=YYYY-MM-DD&endPeriod=YYYY-MM-DD` answers one CSV row per (currency, published day):
KEY,FREQ,CURRENCY,CURRENCY_DENOM,EXR_TYPE,EXR_SUFFIX,TIME_PERIOD,OBS_VALUE, OBS_VALUE being
units of CURRENCY per euro. A range with no published day answers an empty body or
HTTP 404 ("No results found"): no rates, which the clean steps report per row.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode, urlsplit

from socialpulse.connectors.files import FileClient, SourceFileMissingError, read_location

ECB_DAILY_RATES_URL = "https://data-api.ecb.europa.eu/service/data/EXR/D..EUR.SP00.A"


def rates_location(source: str, since: date, until: date) -> str:
    """The URL asking an ECB-style endpoint for [since, until]; a path or file:// URL is read whole."""
    if urlsplit(source).scheme not in ("http", "https"):
        return source
    query = urlencode(
        {"format": "csvdata", "detail": "dataonly", "startPeriod": since.isoformat(), "endPeriod": until.isoformat()}
    )
    return f"{source}{'&' if '?' in source else '?'}{query}"


def fetch_rates(source: str, since: date, until: date, client: FileClient | None = None) -> bytes:
    """The exact CSV bytes of the daily reference rates over [since, until] (empty when there are none)."""
    location = rates_location(source, since, until)
    try:
        return read_location(location, client)
    except SourceFileMissingError:
        if location == source:  # a local file that is not there is a configuration error
            raise
        return b""
