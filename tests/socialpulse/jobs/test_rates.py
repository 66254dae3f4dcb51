"""The run's exchange rates: from the ECB-shaped endpoint once per run date, then from the lake."""

from datetime import date

import pandas as pd
import pytest

from socialpulse.connectors.ecb import rates_location
from socialpulse.jobs.rates import rates_for_run
from socialpulse_dev.simulator.fx_rates import ECB_PATH_PREFIX, per_euro


def test_the_ecb_query_asks_for_csv_data_over_the_window():
    assert rates_location("https://data-api.ecb.europa.eu/service/data/EXR/D..EUR.SP00.A", date(2026, 8, 1),
                          date(2026, 11, 2)) == (
        "https://data-api.ecb.europa.eu/service/data/EXR/D..EUR.SP00.A?format=csvdata&detail=dataonly"
        "&startPeriod=2026-08-01&endPeriod=2026-11-02")
    assert rates_location("/srv/rates.csv", date(2026, 8, 1), date(2026, 11, 2)) == "/srv/rates.csv"


def test_rates_are_fetched_once_per_date_and_kept_in_the_lake(simulator, tmp_path):
    source = f"{simulator(as_of=date(2026, 11, 5))}{ECB_PATH_PREFIX}D..EUR.SP00.A"
    rates, reporting = rates_for_run(str(tmp_path), "2026-11-02", source, "usd")
    assert reporting == "USD" and {"USD", "EUR", "JPY", "GBP", "BRL"} <= rates.currencies
    kept = tmp_path / "reference" / "fx_rates" / "ds=2026-11-02" / "rates.csv.gz"
    assert kept.exists()
    again, _ = rates_for_run(str(tmp_path), "2026-11-02", "http://127.0.0.1:9/nothing-listens-here", "USD")
    assert again.table.equals(rates.table)  # from the lake: no request was made
    factor = rates.factor(pd.Series(["JPY"]), pd.Series(["2026-11-02"]), "USD")[0]
    assert factor == pytest.approx(per_euro(date(2026, 11, 2))["USD"] / per_euro(date(2026, 11, 2))["JPY"])
