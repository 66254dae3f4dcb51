"""Matching keys: Meta's normalisation of emails and phones, against its documented examples and typed forms."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from socialpulse.transforms.crm import read_csv
from socialpulse.transforms.match_keys import (
    INVALID_EMAIL,
    INVALID_PHONE,
    match_keys,
    normalized_email,
    normalized_phone,
    sha256_hex,
)
from socialpulse.transforms.privacy import Pseudonymizer

PSEUDONYMS = Pseudonymizer("a-test-key-of-enough-bytes")


def test_meta_s_documented_examples_hash_to_its_documented_digests():
    # Marketing API, customer information parameters: "em" and "ph" examples
    email = normalized_email(pd.Series(["John_Smith@gmail.com"]))
    phone = normalized_phone(pd.Series(["(650)555-1212"]), pd.Series(["US"]))
    assert (email[0], phone[0]) == ("john_smith@gmail.com", "16505551212")
    assert sha256_hex(email)[0] == "62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f"
    assert sha256_hex(phone)[0] == "e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176"


@pytest.mark.parametrize(
    ("typed", "country", "expected"),
    [
        ("+49 (0)30 1234-567", "DE", "49301234567"),  # the trunk 0 in brackets after the country code
        ("030 1234567", "DE", "49301234567"),  # national: the country supplies the code
        ("(415) 555-0101", "US", "14155550101"),
        ("1-415-555-0101", "US", "14155550101"),
        ("0044 20 7946 0018", "DE", "442079460018"),  # a German customer's British number, 00-prefixed
        ("+81 90-1234-5678", "JP", "819012345678"),
        ("090-1234-5678", "JP", "819012345678"),
        ("+1 415 555 0101 ext. 23", "US", "14155550101"),  # the extension is not part of the number
        ("n/a", "US", None),
        ("123", "US", None),
        ("030 1234567", None, None),  # national, and no country to say which
        (None, "US", None),
    ],
)
def test_phones_are_digits_with_their_country_code_or_null(typed, country, expected):
    got = normalized_phone(pd.Series([typed], dtype="string"), pd.Series([country], dtype="string"))[0]
    assert (None if pd.isna(got) else got) == expected


def test_emails_are_trimmed_and_lower_cased_and_non_addresses_are_null():
    got = normalized_email(pd.Series(["  Ada.Lovelace@Example.COM ", "no-at-sign.example.com", "a@b", None]))
    assert [None if pd.isna(v) else v for v in got] == ["ada.lovelace@example.com", None, None, None]


def drop(rows: list[dict]) -> bytes:
    return pd.DataFrame(rows).to_csv(index=False).encode()


USERS = pd.DataFrame(
    {
        "person_id": [PSEUDONYMS.token("crm", u) for u in ("u1", "u2", "u3", "u4")],
        "country": ["DE", "US", "US", "FR"],
        "marketing_consent": pd.array([True, True, False, True], dtype="boolean"),
    }
)


def test_keys_are_for_consenting_people_with_a_usable_value_and_the_rest_is_counted():
    payload = drop(
        [
            {"user_id": "u1", "email": " Ann@Example.com", "phone": "030 1234567"},
            {"user_id": "u2", "email": "bob@example.com", "phone": "n/a"},
            {"user_id": "u3", "email": "cy@example.com", "phone": "(415) 555-0101"},  # no consent
            {"user_id": "u4", "email": "not an address", "phone": ""},
        ]
    )
    keys = match_keys(read_csv(payload), PSEUDONYMS, USERS)
    digest = {v: hashlib.sha256(v.encode()).hexdigest() for v in ("ann@example.com", "49301234567", "bob@example.com")}
    assert keys.keys.to_dict("records") == [
        {
            "person_id": USERS.person_id[0],
            "email_sha256": digest["ann@example.com"],
            "phone_sha256": digest["49301234567"],
        },
        {"person_id": USERS.person_id[1], "email_sha256": digest["bob@example.com"], "phone_sha256": None},
    ]  # u3 gave no consent; u4 gave nothing usable
    assert (keys.consenting, keys.dropped) == (3, {INVALID_EMAIL: 1, INVALID_PHONE: 1})


def test_a_drop_without_a_phone_column_keys_on_emails_alone():
    keys = match_keys(read_csv(drop([{"user_id": "u2", "email": "bob@example.com"}])), PSEUDONYMS, USERS)
    assert keys.keys[["person_id", "phone_sha256"]].to_dict("records") == [
        {"person_id": USERS.person_id[1], "phone_sha256": None}
    ]
    assert keys.dropped == {}
