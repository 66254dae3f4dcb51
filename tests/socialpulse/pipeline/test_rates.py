"""The run's exchange rates: from the ECB-shaped endpoint once per run date, then from the lake."""

from datetime import date

import pandas as pd
import pytest

from socialpulse import lake as lake_zone
from socialpulse.connectors.ecb import rates_location
from socialpulse.errors import RetriesExhaustedError
from socialpulse.pipeline.rates import rates_for_run, rates_if_available
from socialpulse.transforms.currency import RatesError
from socialpulse_dev.simulator.fx_rates import ECB_PATH_PREFIX, per_euro


def test_the_ecb_query_asks_for_csv_data_over_the_window():
    assert rates_location(
        "https://data-api.ecb.europa.eu/service/data/EXR/D..EUR.SP00.A", date(2026, 8, 1), date(2026, 11, 2)
    ) == (
        "https://data-api.ecb.europa.eu/service/data/EXR/D..EUR.SP00.A?format=csvdata&detail=dataonly"
        "&startPeriod=2026-08-01&endPeriod=2026-11-02"
    )
    assert rates_location("/srv/rates.csv", date(2026, 8, 1), date(2026, 11, 2)) == "/srv/rates.csv"


def test_rates_are_fetched_once_per_date_and_kept_in_the_lake(simulator, tmp_path):
    source = f"{simulator(as_of=date(2026, 11, 5))}{ECB_PATH_PREFIX}D..EUR.SP00.A"
    rates, reporting = rates_for_run(lake_zone.Lake.at(tmp_path), "2026-11-02", source, "usd")
    assert reporting == "USD" and {"USD", "EUR", "JPY", "GBP", "BRL"} <= rates.currencies
    kept = tmp_path / "reference" / "fx_rates" / "ds=2026-11-02" / "rates.csv.gz"
    assert kept.exists()
    again, _ = rates_for_run(
        lake_zone.Lake.at(tmp_path), "2026-11-02", "http://127.0.0.1:9/nothing-listens-here", "USD"
    )
    assert again.table.equals(rates.table)  # from the lake: no request was made
    factor = rates.factor(pd.Series(["JPY"]), pd.Series(["2026-11-02"]), "USD")[0]
    assert factor == pytest.approx(per_euro(date(2026, 11, 2))["USD"] / per_euro(date(2026, 11, 2))["JPY"])


@pytest.mark.parametrize(
    ("payload", "what"),
    [
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00\xe9\x88", "not text: a zip or another binary file"),
        (b"<!DOCTYPE html><html><body><h1>503 Service Unavailable</h1></body></html>", "an HTML or XML page"),
        (b'"a","b\n1', "not a CSV table"),
    ],
)
def test_a_source_that_is_not_csvdata_fails_at_once_naming_the_variable(tmp_path, payload, what):
    source = tmp_path / "rates.bin"
    source.write_bytes(payload)
    with pytest.raises(RatesError) as caught:
        rates_for_run(lake_zone.Lake.at(tmp_path / "lake"), "2026-11-02", str(source), "USD")
    assert f"are {what}, not the ECB's csvdata: set the variable socialpulse_fx_rates_source" in str(caught.value)
    assert not caught.value.retryable and not (tmp_path / "lake" / "reference").exists()  # nothing kept


def test_rates_that_cannot_be_had_leave_the_amounts_unconverted(tmp_path, monkeypatch):
    def down(*args):
        raise RetriesExhaustedError("gave up after 6 attempts on https://data-api.ecb.europa.eu/...: timed out")

    monkeypatch.setattr("socialpulse.pipeline.rates.rates_for_run", down)
    rates, reporting, why = rates_if_available(lake_zone.Lake.at(tmp_path), "2026-11-02", None, "USD")
    assert (
        rates is None
        and reporting == "USD"
        and why.startswith("no exchange rates for 2026-11-02 (RetriesExhaustedError: gave up")
    )
