"""Pseudonyms, normalisers and currency conversion on tiny inputs."""

import hashlib
import hmac

import pandas as pd
import pytest

from socialpulse.transforms.currency import Rates, RatesError, check_reporting_currency, load_rates
from socialpulse.transforms.normalize import normalize_country, normalize_gender
from socialpulse.transforms.privacy import (
    PseudonymizationKeyError,
    Pseudonymizer,
    links_from_users,
    pseudonymize_text_ids,
    redact,
)

KEY = "0123456789abcdef0123"


def test_pseudonyms_are_hmac_sha256_of_namespace_and_id():
    expected = hmac.new(KEY.encode(), b"x:42", hashlib.sha256).hexdigest()
    assert Pseudonymizer(KEY).token("x", "42") == expected
    assert Pseudonymizer("another-key-0123456789").token("x", "42") != expected


def test_crm_links_give_one_person_one_pseudonym_across_platforms():
    users = pd.DataFrame({"user_id": ["u1", "u2"], "facebook_id": ["f1", None], "x_id": ["x1", "x2"]})
    pseudonymizer = Pseudonymizer(KEY, links_from_users(users))
    person = pseudonymizer.token("crm", "u1")
    assert pseudonymizer.token("facebook", "f1") == person == pseudonymizer.token("x", "x1")
    assert pseudonymizer.token("x", "x9") == Pseudonymizer(KEY).token("x", "x9")  # unlinked: its own


def test_series_hash_each_distinct_id_and_keep_nulls_and_non_text():
    pseudonymizer = Pseudonymizer(KEY)
    out = pseudonymize_text_ids(pseudonymizer, pd.Series(["x", "x", "facebook"]), pd.Series(["1", "1", None]))
    assert out[0] == out[1] == pseudonymizer.token("x", "1")
    assert pd.isna(out[2])
    kept = pseudonymize_text_ids(pseudonymizer, "x", pd.Series([{"id": 1}, "2"]))
    assert kept[0] == {"id": 1} and kept[1] == pseudonymizer.token("x", "2")


def test_a_short_key_is_refused_with_the_connection_named():
    with pytest.raises(PseudonymizationKeyError, match="socialpulse_pseudonymization"):
        Pseudonymizer("short")


def test_redact_removes_names_and_texts_at_any_depth():
    payload = {"data": [{"from": {"name": "Ava", "id": "1"}, "message": "hi", "id": "c1"}]}
    assert redact(payload) == {"data": [{"from": {"name": "<redacted>", "id": "1"}, "message": "<redacted>",
                                         "id": "c1"}]}


def test_gender_and_country_normalised_and_unknown_values_kept_to_fail():
    assert list(normalize_gender(pd.Series(["F", " Male ", "w", "", None, "robot"]))) == \
        ["female", "male", "female", "unknown", "unknown", "robot"]
    assert list(normalize_country(pd.Series(["us", "Germany", "United Kingdom", "Japan", "Atlantis"]))) == \
        ["US", "DE", "GB", "JP", "Atlantis"]


RATES = Rates.from_csv(b"date,currency,units_per_usd\n2026-11-02,EUR,0.9\n2026-11-02,USD,1\n"
                       b"2026-11-02,JPY,150\n2026-11-03,EUR,0.8\n", "test")


def test_conversion_uses_the_day_s_rate_or_the_last_before_it():
    factor = RATES.factor(pd.Series(["EUR", "EUR", "JPY"]), pd.Series(["2026-11-02", "2026-11-04", "2026-11-03"]),
                          "USD")
    assert list(factor) == [pytest.approx(1 / 0.9), pytest.approx(1 / 0.8), pytest.approx(1 / 150)]
    assert RATES.factor(pd.Series(["JPY"]), pd.Series(["2026-11-02"]), "EUR")[0] == pytest.approx(0.9 / 150)


def test_a_missing_rate_stops_with_what_to_add():
    with pytest.raises(RatesError, match=r"no exchange rate within 7 days for \['EUR on 2026-11-20'\]"):
        RATES.factor(pd.Series(["EUR"]), pd.Series(["2026-11-20"]), "USD")
    with pytest.raises(RatesError, match="reporting currency 'CHF'"):
        check_reporting_currency("CHF", RATES)


def test_a_malformed_rates_table_is_refused():
    with pytest.raises(RatesError, match="lacks columns"):
        Rates.from_csv(b"day,currency,rate\n", "bad")
    with pytest.raises(RatesError, match="line 2"):
        Rates.from_csv(b"date,currency,units_per_usd\n2026-11-02,EUR,-1\n", "bad")


def test_the_shipped_table_covers_the_simulator_s_currencies():
    rates = load_rates()
    assert {"USD", "EUR", "JPY", "GBP", "BRL"} <= rates.currencies
    assert rates.factor(pd.Series(["JPY"]), pd.Series(["2026-11-01"]), "USD")[0] == pytest.approx(1 / 150, rel=0.03)
