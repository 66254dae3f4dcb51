"""CRM users and orders: typed, normalised, pseudonymised, amounts converted, bad rows quarantined with reasons."""

import io
import json

import pandas as pd
import pytest

from socialpulse.errors import PersonalDataError
from socialpulse.transforms.crm import (
    attribution,
    clean_orders,
    clean_users,
    experiment_groups,
    read_csv,
    read_csv_parts,
)
from socialpulse.transforms.currency import Rates
from socialpulse.transforms.privacy import Pseudonymizer

ORDERS = b"""order_id,user_id,ordered_at,amount,currency,utm_campaign
o1,u1,2026-11-02T10:00:00Z,19.90,usd,10010001
o2,u2,2026-11-02T23:30:00+01:00,5.00,EUR,
o3,u3,yesterday,7.00,EUR,10020001
o4,u4,2026-11-02T11:00:00Z,abc,EUR,10020001
o5,u5,2026-11-02T12:00:00Z,30.10,USD,10010001
o6,u6,2026-11-02T12:00:00Z,1.00,XYZ,10010001
"""
USERS = b"""user_id,name,email,age,gender,country,city,signup_date,facebook_id,instagram_id,x_id
u1,Ava Smith,ava@example.com,34,female,US,Chicago,2025-01-02,7000,,
u2,Ben Weber,ben@example.com,,M,Germany,Berlin,2025-13-01,,1784,
u3,Hana Ito,hana@example.com,7,w,Japan,Tokyo,2025-02-01,,,
u4,Noah Clarke,noah@example.com,41, Male ,United Kingdom,London,2025-02-01,,,1400
u5,Lea Meyer,lea@example.com,150,robot,Atlantis,Nowhere,2025-02-01,,,
u6,Yuki Tanaka,yuki@example.com,29,,,Osaka,2025-02-01,,,
"""
RATES = Rates.from_ecb_csv(b"CURRENCY,TIME_PERIOD,OBS_VALUE\nUSD,2026-10-30,1.25\n", "test rates")  # USD per EUR
KEY = "k" * 32
PSEUDONYMIZER = Pseudonymizer(KEY)


def test_orders_are_typed_in_utc_converted_and_bad_rows_quarantined():
    result = clean_orders(read_csv(ORDERS), PSEUDONYMIZER, RATES)
    orders = result.clean
    assert list(orders.order_id) == ["o1", "o2", "o5"]
    assert str(orders.ordered_at.iloc[1]) == "2026-11-02 22:30:00+00:00"
    assert list(orders.currency) == ["USD", "EUR", "USD"]
    assert pd.isna(orders.utm_campaign.iloc[1])  # organic
    # the rate of Friday 2026-10-30 carries over the weekend to Monday 2026-11-02
    assert orders.amount_reporting.iloc[1] == pytest.approx(6.25) and orders.amount.iloc[1] == 5.0
    assert set(orders.reporting_currency) == {"USD"}
    assert list(result.quarantined.reason) == [
        "ordered_at is not an ISO 8601 time",
        "amount is not a number",
        "currency not one of ['EUR', 'USD']",
    ]


def test_orders_carry_pseudonyms_not_user_ids():
    orders = clean_orders(read_csv(ORDERS), PSEUDONYMIZER, RATES).clean
    assert orders.person_id.iloc[0] == PSEUDONYMIZER.token("crm", "u1")
    assert "user_id" not in orders
    assert not orders.astype(str).isin(["u1", "u2", "u5"]).any().any()


def test_attribution_counts_and_sums_reporting_amounts_per_day_and_campaign():
    credited = attribution(clean_orders(read_csv(ORDERS), PSEUDONYMIZER, RATES).clean)
    assert list(credited.campaign_id) == ["10010001"]
    assert credited.attributed_orders.iloc[0] == 2
    assert credited.attributed_revenue.iloc[0] == pytest.approx(50.0)


def test_users_are_normalised_and_the_impossible_rejected():
    result = clean_users(read_csv(USERS), PSEUDONYMIZER)
    users = result.clean.set_index("person_id")
    u1, u4, u6 = (PSEUDONYMIZER.token("crm", u) for u in ("u1", "u4", "u6"))
    assert users.loc[u4, "gender"] == "male" and users.loc[u4, "country"] == "GB"
    assert users.loc[u6, "gender"] == "unknown" and pd.isna(users.loc[u6, "country"])
    assert bool(users.loc[u1, "linked_facebook"]) and not bool(users.loc[u1, "linked_x"])
    assert bool(users.loc[u4, "linked_x"])
    assert sorted(result.quarantined.reason) == [
        "age outside 13-100",
        "age outside 13-100; gender not one of ['female', 'male', 'non_binary', 'unknown']; "
        "country not an ISO 3166-1 country",
        "signup_date is not a YYYY-MM-DD date",
    ]


def test_names_emails_and_raw_ids_never_leave_the_users_file():
    result = clean_users(read_csv(USERS), PSEUDONYMIZER)
    for frame in (result.clean, result.quarantined):
        text = frame.astype(str).to_csv()
        for secret in (
            "Ava Smith",
            "ava@example.com",
            "hana@example.com",
            "lea@example.com",
            "7000",
            "1784",
            ",u1,",
            ",u3,",
            ",u5,",
        ):
            assert secret not in text


def test_experiment_columns_are_kept_as_the_person_s_groups_and_other_columns_dropped():
    drop = (
        b"user_id,name,age,gender,country,city,signup_date,experiment_retargeting,experiment_price,loyalty_tier\n"
        b"u1,Ava Smith,34,F,US,Chicago,2025-01-02,holdout,low,gold\nu2,Ben Weber,40,M,DE,Berlin,2025-01-02,,high,\n"
        b"u3,Hana Ito,41,F,JP,Tokyo,2025-01-02,,,silver\n"
    )
    users = clean_users(read_csv(drop), PSEUDONYMIZER).clean.set_index("person_id")
    u1, u2, u3 = (PSEUDONYMIZER.token("crm", u) for u in ("u1", "u2", "u3"))
    assert json.loads(users.loc[u1, "experiment_groups"]) == {
        "experiment_price": "low",
        "experiment_retargeting": "holdout",
    }
    assert json.loads(users.loc[u2, "experiment_groups"]) == {"experiment_price": "high"}
    assert pd.isna(users.loc[u3, "experiment_groups"]) and "loyalty_tier" not in users
    assert clean_users(read_csv(USERS), PSEUDONYMIZER).clean["experiment_groups"].isna().all()  # a drop without any
    quoted = (
        b"user_id,age,gender,country,city,signup_date,experiment_b,experiment_a\n"
        b'u1,34,F,US,Rome,2025-01-02,"say ""hi"" \xc3\xa9",x\n'
    )
    text = clean_users(read_csv(quoted), PSEUDONYMIZER).clean["experiment_groups"].tolist()
    assert text == [json.dumps({"experiment_a": "x", "experiment_b": 'say "hi" \u00e9'}, sort_keys=True)]  # as read
    twice = pd.concat([read_csv(quoted), read_csv(quoted).assign(experiment_b=None)])  # one index label, twice
    assert experiment_groups(twice).tolist() == [text[0], json.dumps({"experiment_a": "x"})]


def test_a_raw_id_too_long_or_holding_control_characters_is_quarantined_not_pseudonymised():
    long_id = b"u" + b"9" * 5_000_000
    drop = (
        b"user_id,name,age,gender,country,city,signup_date,x_id\n"
        b"u1,Ava Smith,34,F,US,Chicago,2025-01-02,\n" + long_id + b",Ben,40,M,DE,Berlin,2025-01-02,\n"
        b"u3\x00,Hana Ito,41,F,JP,Tokyo,2025-01-02,\nu4,Noah,41,M,GB,London,2025-01-02,14\x1b[2J00\n"
    )
    result = clean_users(read_csv(drop), PSEUDONYMIZER)
    assert result.clean["person_id"].tolist() == [PSEUDONYMIZER.token("crm", "u1")]
    assert result.quarantined["reason"].tolist() == [
        "user_id longer than 256 characters",
        "user_id holds control characters",
        "x_id holds control characters",
    ]
    assert max(len(o) for o in result.quarantined["original"]) < 1_000  # the 5 MB id is not copied anywhere


def test_control_characters_and_escapes_are_stripped_from_the_city():
    drop = b"user_id,age,gender,country,city,signup_date\nu1,34,F,US,Chi\x00cago\x1b[31m,2025-01-02\n"
    assert clean_users(read_csv(drop), PSEUDONYMIZER).clean["city"].tolist() == ["Chicago"]


def test_a_malformed_csv_is_named_by_line_never_by_its_cells():
    drop = (
        b"order_id,user_id,ordered_at,amount,currency,utm_campaign\no1,u1,2026-11-02T10:00:00Z,1,USD,\n"
        b'o2,ava@example.com,"unclosed,1,USD,\n'
    )
    for read in (lambda: read_csv(drop, "orders.csv"), lambda: list(read_csv_parts(io.BytesIO(drop), 1, "orders.csv"))):
        with pytest.raises(
            PersonalDataError, match=r"orders.csv is not a well-formed CSV file \(ParserError"
        ) as caught:
            read()
        assert "ava@" not in str(caught.value) and caught.value.__cause__ is None


def test_a_file_read_in_parts_is_read_as_read_whole():
    whole = read_csv(USERS, "users.csv")
    parts = list(read_csv_parts(io.BytesIO(USERS), 4, "users.csv"))
    assert [len(p) for p in parts] == [4, 2]
    pd.testing.assert_frame_equal(pd.concat(parts, ignore_index=True), whole)
    header_only = list(read_csv_parts(io.BytesIO(USERS.split(b"\n")[0] + b"\n"), 4, "users.csv"))
    assert [list(p.columns) for p in header_only] == [list(whole.columns)] and header_only[0].empty


def test_marketing_consent_is_read_from_the_spellings_exports_use_and_blank_is_none_given():
    drop = (
        b"user_id,age,gender,country,city,signup_date,marketing_consent\n"
        b"u1,34,F,US,Chicago,2025-01-02, Yes \nu2,40,M,DE,Berlin,2025-01-02,opted_out\nu3,41,F,JP,Tokyo,2025-01-02,\n"
        b"u4,41,F,JP,Tokyo,2025-01-02,1\nu5,41,F,JP,Tokyo,2025-01-02,maybe\n"
    )
    result = clean_users(read_csv(drop), PSEUDONYMIZER)
    consent = result.clean.set_index("person_id")["marketing_consent"]
    u1, u2, u3, u4 = (PSEUDONYMIZER.token("crm", u) for u in ("u1", "u2", "u3", "u4"))
    assert consent[u1] and not consent[u2] and pd.isna(consent[u3]) and consent[u4]
    assert list(result.quarantined.reason) == ["marketing_consent is not true/false"]  # u5's unknown spelling
    without = clean_users(read_csv(USERS), PSEUDONYMIZER).clean
    assert without["marketing_consent"].isna().all()  # a drop without the column
