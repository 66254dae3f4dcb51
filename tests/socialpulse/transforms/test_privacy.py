"""Pseudonyms and redaction on tiny inputs."""

import hashlib
import hmac

import pandas as pd
import pytest

from socialpulse.transforms.privacy import (
    ConnectionConfigError,
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
    with pytest.raises(ConnectionConfigError, match="socialpulse_pseudonymization"):
        Pseudonymizer("short")


def test_redact_removes_names_and_texts_at_any_depth():
    payload = {"data": [{"from": {"name": "Ava", "id": "1"}, "message": "hi", "id": "c1"}]}
    assert redact(payload) == {
        "data": [{"from": {"name": "<redacted>", "id": "1"}, "message": "<redacted>", "id": "c1"}]
    }
