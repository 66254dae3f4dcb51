"""Conversion through the ECB's euro reference rates, on tiny answers shaped like the ECB Data Portal's."""

import json

import pandas as pd
import pytest

from socialpulse.transforms.currency import (
    Rates,
    RatesError,
    RatesUnavailableError,
    check_reporting_currency,
    convert_or_quarantine,
)
from socialpulse.transforms.validation import Validated

# As https://data-api.ecb.europa.eu/service/data/EXR/D..EUR.SP00.A?format=csvdata&detail=dataonly answers:
# units of CURRENCY per euro, no rows on weekends (2026-11-07/08), N/A for a currency not quoted that day.
ECB = b"""KEY,FREQ,CURRENCY,CURRENCY_DENOM,EXR_TYPE,EXR_SUFFIX,TIME_PERIOD,OBS_VALUE
EXR.D.USD.EUR.SP00.A,D,USD,EUR,SP00,A,2026-11-02,1.1
EXR.D.USD.EUR.SP00.A,D,USD,EUR,SP00,A,2026-11-03,1.2
EXR.D.JPY.EUR.SP00.A,D,JPY,EUR,SP00,A,2026-11-02,165
EXR.D.JPY.EUR.SP00.A,D,JPY,EUR,SP00,A,2026-11-03,N/A
"""
RATES = Rates.from_ecb_csv(ECB, "ecb-test")


def test_cross_rates_go_through_the_euro():
    factor = RATES.factor(pd.Series(["EUR", "JPY", "USD"]), pd.Series(["2026-11-02"] * 3), "USD")
    assert list(factor) == [pytest.approx(1.1), pytest.approx(1.1 / 165), pytest.approx(1.0)]
    assert RATES.factor(pd.Series(["USD"]), pd.Series(["2026-11-02"]), "EUR")[0] == pytest.approx(1 / 1.1)


def test_a_day_without_a_rate_takes_the_last_one_at_most_seven_days_old():
    weekend = RATES.factor(pd.Series(["EUR"]), pd.Series(["2026-11-08"]), "USD")
    assert weekend[0] == pytest.approx(1.2)
    not_quoted = RATES.factor(pd.Series(["JPY"]), pd.Series(["2026-11-03"]), "USD")
    assert not_quoted[0] == pytest.approx(1.2 / 165)  # JPY of 11-02, USD of 11-03
    assert pd.isna(RATES.factor(pd.Series(["EUR"]), pd.Series(["2026-11-11"]), "USD")[0])


def test_rows_without_a_rate_are_quarantined_naming_currency_and_day():
    clean = pd.DataFrame(
        {
            "currency": ["JPY", "JPY"],
            "metric_date": ["2026-11-02", "2026-11-20"],
            "spend": pd.array([1650.0, 100.0], dtype="Float64"),
        }
    )
    empty = pd.DataFrame({"reason": pd.Series(dtype="string"), "original": pd.Series(dtype="string")})
    result = convert_or_quarantine(Validated(clean, empty, 2, 0), ("spend",), RATES, "USD", "metric_date")
    assert list(result.clean["spend_reporting"]) == [pytest.approx(11.0)]
    assert list(result.quarantined["reason"]) == [
        "no exchange rate JPY to USD for 2026-11-20: none published within 7 days before it in ecb-test"
    ]
    assert json.loads(result.quarantined["original"][0])["spend"] == 100.0


def test_an_empty_answer_is_no_rates_and_a_foreign_format_is_refused():
    assert Rates.from_ecb_csv(b"", "ecb").currencies == frozenset({"EUR"})
    with pytest.raises(RatesUnavailableError, match="no exchange rates at all from ecb") as caught:
        check_reporting_currency("USD", Rates.from_ecb_csv(b"", "ecb"))
    assert caught.value.retryable  # not published yet, or down: a later try may find them
    with pytest.raises(RatesError, match="reporting currency 'CHF'"):
        check_reporting_currency("CHF", RATES)
    with pytest.raises(
        RatesError,
        match=r"a CSV without the columns CURRENCY.*set the variable "
        r"socialpulse_fx_rates_source",
    ):
        Rates.from_ecb_csv(b"date,currency,units_per_usd\n2026-11-02,EUR,0.9\n", "old-format")
    with pytest.raises(RatesError, match="line 2"):
        Rates.from_ecb_csv(b"CURRENCY,TIME_PERIOD,OBS_VALUE\nUSD,02/11/2026,1.1\n", "bad")
