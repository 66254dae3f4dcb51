"""Content checks on clean text columns: contact data quarantined and withheld, control characters, mislabels."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from socialpulse.errors import PersonalDataError
from socialpulse.schema import Field, Schema
from socialpulse.transforms.content import FREE_TEXT, IDENTIFIER, PSEUDONYM, check_text, luhn, personal_kind
from socialpulse.transforms.validation import validate


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("ava@example.com", "email"),
        (" Ava.Smith+news@mail.example.co.uk ", "email"),
        # the forms people type a phone in (issue 24's list)
        ("+49 (0)30 1234-567", "phone"),
        ("030 1234567", "phone"),
        ("(415) 555-0101", "phone"),
        ("0044 20 7946 0018", "phone"),
        ("+81 90-1234-5678", "phone"),
        ("call 0800 123 4567 now", "phone"),
        ("4111 1111 1111 1111", "card"),
        ("4111111111111111", "card"),
        ("378282246310005", "card"),
        ("123-45-6789", "national_id"),
        ("AB 12 34 56 C", "national_id"),
    ],
)
def test_contact_data_is_found_in_free_text(text, kind):
    assert personal_kind(pd.Series([text]), FREE_TEXT).tolist() == [kind]


@pytest.mark.parametrize(
    "text",
    [
        "Berlin",
        "São Paulo",
        "Frankfurt am Main",
        "Spring Sale 2026-11-01",
        "Black Friday 20261127",
        "Q4 - 50% off",
        "SocialPulse US - Retargeting 120210000000001",  # a campaign id is no card: no network starts with 1
        "2026-11-01T10:00:00",
        "Sale 4111 1111 1111 1112",  # the Luhn check fails
        "Route 66",
        "10115 Berlin",
        "Promo 01.03.2024",
        "Sale 03/01/2024 v2",
        "Launch 2024-03-01 10:00",
        "Q1 2024 10000 EUR",
        "Week 2024/03/01-2024/03/07",
    ],
)
def test_ordinary_names_dates_and_ids_pass(text):
    assert personal_kind(pd.Series([text]), FREE_TEXT).tolist() == [""]


def test_identifiers_are_checked_for_emails_only_and_pseudonyms_not_at_all():
    ids = pd.Series(["120210000000001", "+49 30 1234567", "ava@example.com"])
    assert personal_kind(ids, IDENTIFIER).tolist() == ["", "", "email"]
    assert personal_kind(ids, PSEUDONYM).tolist() == ["", "", ""]


def test_luhn():
    assert luhn("4111111111111111") and not luhn("4111111111111112")


def test_free_text_loses_control_characters_and_escapes_identifiers_keep_them_to_be_quarantined():
    values = pd.Series(["Ber\x00lin", "\x1b[31mParis\x1b[0m", "New\nYork", None])
    checked = check_text(values, FREE_TEXT, "crm_users", "city")
    assert checked.values.tolist()[:3] == ["Berlin", "Paris", "New York"] and pd.isna(checked.values.iloc[3])
    assert not checked.control.any()
    ids = check_text(pd.Series(["o1", "o\x002", "o3\x1b[2J"]), IDENTIFIER, "crm_orders", "order_id")
    assert ids.control.tolist() == [False, True, True] and ids.values.tolist()[1] == "o\x002"


def test_a_column_that_looks_personal_throughout_stops_the_step_naming_it_not_a_value():
    emails = pd.Series([f"person{i}@example.com" for i in range(19)] + ["Berlin"])
    with pytest.raises(PersonalDataError) as caught:
        check_text(emails, FREE_TEXT, "crm_users", "city")
    message = str(caught.value)
    assert message.startswith("crm_users: 19 of 20 values of column city look like an email address")
    assert "@" not in message and not caught.value.retryable
    few = check_text(emails[:3], FREE_TEXT, "campaign_metrics", "campaign_name")  # one account's few campaigns
    assert few.personal.tolist() == ["email"] * 3  # quarantined, not the whole day stopped


def test_an_email_in_a_number_a_day_or_a_listed_value_is_found_too():
    schema = Schema(
        "people",
        (
            Field("id", "string", required=True),
            Field("age", "int"),
            Field("gender", "string", allowed=frozenset({"female", "male"})),
        ),
        key=("id",),
    )
    frame = pd.DataFrame({"id": ["1", "2"], "age": ["34", "ava@example.com"], "gender": ["ben@example.com", "male"]})
    result = validate(frame, schema)
    assert (
        result.clean.empty and "ava@" not in result.quarantined.to_csv() and "ben@" not in result.quarantined.to_csv()
    )
    assert sorted(result.quarantined["reason"]) == [
        "age is not a whole number; age looks like an email address",
        "gender looks like an email address; gender not one of ['female', 'male']",
    ]
    swapped = pd.DataFrame(
        {"id": [str(i) for i in range(30)], "age": "40", "gender": [f"p{i}@example.com" for i in range(30)]}
    )
    with pytest.raises(PersonalDataError, match="30 of 30 values of column gender look like an email address"):
        validate(swapped, schema)


SCHEMA = Schema(
    "people",
    (Field("id", "string", required=True), Field("city", "string", text=FREE_TEXT), Field("note", "string")),
    key=("id",),
)


def test_a_row_with_contact_data_is_quarantined_and_the_value_withheld_from_its_copy():
    frame = pd.DataFrame(
        {
            "id": ["1", "2", "3", "4"],
            "city": ["Berlin", "+49 30 1234567", "Paris", "Rome\x00"],
            "note": ["a", "b", "ava@example.com", "d"],
        }
    )
    result = validate(frame, SCHEMA)
    assert result.clean["id"].tolist() == ["1", "4"] and result.clean["city"].tolist() == ["Berlin", "Rome"]
    assert result.quarantined["reason"].tolist() == [
        "city looks like a phone number",
        "note looks like an email address",
    ]
    originals = [json.loads(o) for o in result.quarantined["original"]]
    assert originals[0]["city"] == "<withheld: looks like a phone number>" and originals[0]["note"] == "b"
    assert originals[1]["note"] == "<withheld: looks like an email address>"
    assert "1234567" not in result.quarantined.to_csv() and "ava@" not in result.quarantined.to_csv()


def test_a_payload_s_original_loses_the_value_too():
    frame = pd.DataFrame(
        {
            "id": ["1"],
            "city": ["ava@example.com"],
            "note": ["x"],
            "_original": [json.dumps({"id": "1", "city": "ava@example.com", "extra": "kept"})],
        }
    )
    result = validate(pd.concat([frame, frame.assign(id="2", city="Oslo", _original="{}")], ignore_index=True), SCHEMA)
    (original,) = result.quarantined["original"].tolist()
    assert json.loads(original) == {"id": "1", "city": "<withheld: looks like an email address>", "extra": "kept"}
