"""The CRM clean step's matching keys on a real simulated drop: restricted zone, audit, erasure, retention."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import pandas as pd

from socialpulse import lake as lake_zone
from socialpulse.jobs import crm, erasure
from socialpulse.transforms.match_keys import INVALID_PHONE
from socialpulse.transforms.privacy import Pseudonymizer
from socialpulse_dev.simulator import contacts
from socialpulse_dev.simulator.audience import audience
from socialpulse_dev.simulator.crm_drop import consents, write_drop
from tests.socialpulse.jobs.conftest import DS, KEY

PLAIN = Pseudonymizer(KEY)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def keys_of(lake: str, ds: str = DS) -> pd.DataFrame:
    return lake.restricted(crm.MATCH_KEYS).read_days([ds])


def test_consenting_users_get_meta_normalised_hashes_and_the_rest_is_audited(lake):
    keys = keys_of(lake).set_index("person_id")
    users = lake.clean("crm_users").read_days([DS]).set_index("person_id")
    members = {PLAIN.token("crm", m.user_id): m for m in audience(7)}
    assert users.loc[keys.index, "marketing_consent"].all()  # nobody without consent
    assert len(keys) > 0.9 * users["marketing_consent"].sum()
    for person, row in keys.head(200).iterrows():
        member = members[person]
        assert consents(member.user_id)
        assert row.email_sha256 == sha(contacts.normalized_email(member))
        assert pd.isna(row.phone_sha256) or row.phone_sha256 == sha(contacts.normalized_phone(member))
    hashes = keys[["email_sha256", "phone_sha256"]].stack()  # nulls dropped
    assert len(hashes) > len(keys) and hashes.str.fullmatch("[0-9a-f]{64}").all()  # hashes only

    cleaned = crm.clean(lake, DS, KEY)  # a rerun of the day: same keys, and its audit entry
    (entry,) = [e for e in cleaned["audit"] if e["entity"] == "crm_match_keys"]
    assert entry["rows_in"] == int(users["marketing_consent"].sum()) and entry["rows_clean"] == len(keys)
    assert entry["rows_quarantined"] == 0 and cleaned["match_keys"]["dropped"][INVALID_PHONE] > 0
    assert keys_of(lake).equals(keys.reset_index())


def test_erasure_removes_the_person_s_keys(lake):
    person = keys_of(lake)["person_id"].iloc[0]
    erased = erasure.erase_from_lake(lake, {person: frozenset({person})})[person]
    assert erased.restricted_rows == 1
    assert person not in set(keys_of(lake)["person_id"])
    crm.clean(lake, DS, KEY)  # a rerun of the day brings nobody back
    assert person not in set(keys_of(lake)["person_id"])


def test_a_week_of_keys_is_kept(tmp_path):
    root = lake_zone.Lake.at(tmp_path / "lake")
    first = date.fromisoformat(DS)
    days = [
        first,
        first + timedelta(days=crm.KEEP_MATCH_KEYS_DAYS),
        first + timedelta(days=crm.KEEP_MATCH_KEYS_DAYS + 1),
    ]
    for day in days:
        write_drop(tmp_path / "crm", day)
        crm.extract(str(tmp_path / "crm"), root, day.isoformat(), "run")
        crm.clean(root, day.isoformat(), KEY)
    kept = root.restricted(crm.MATCH_KEYS).snapshot().days()
    assert kept == [d.isoformat() for d in days[1:]]
