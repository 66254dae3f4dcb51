"""The simulated CRM's phones and emails: typed as people type them, and each one Meta's rules can recover."""

from __future__ import annotations

import pandas as pd
import phonenumbers

from socialpulse.transforms.match_keys import normalized_email, normalized_phone
from socialpulse_dev.simulator import contacts
from socialpulse_dev.simulator.audience import audience

MEMBERS = audience(7, 3000)


def test_every_planted_number_is_valid_in_its_country_and_nobody_else_s():
    assert len({contacts.normalized_phone(m) for m in MEMBERS}) == len(MEMBERS)
    for member in MEMBERS:
        parsed = phonenumbers.parse("+" + contacts.normalized_phone(member))
        assert phonenumbers.is_valid_number(parsed)
        assert phonenumbers.region_code_for_number(parsed) == member.country


def test_typed_values_normalise_to_the_planted_ones_except_blanks_and_junk():
    cells = contacts.typed(7, 3000)
    phones = pd.Series([p or None for _, p in cells], dtype="string")
    got = normalized_phone(phones, pd.Series([m.country for m in MEMBERS]))
    planted = pd.Series([contacts.normalized_phone(m) for m in MEMBERS], dtype="string")
    recovered = (got == planted).fillna(False)
    unusable = ~recovered
    assert (got[unusable].isna()).all()  # a phone is recovered or dropped, never another number
    assert 0.05 < unusable.mean() < 0.1  # BLANK_PHONE_SHARE + JUNK_PHONE_SHARE, drawn
    forms = {(m.country, p[:1]) for m, p in zip(MEMBERS, phones.fillna(""), strict=True) if p}
    assert {("DE", "0"), ("DE", "+"), ("US", "("), ("US", "+"), ("JP", "0"), ("GB", "0")} <= forms
    emails = pd.Series([e for e, _ in cells])
    assert (normalized_email(emails) == pd.Series([contacts.normalized_email(m) for m in MEMBERS])).all()
    assert 0.05 < (emails != emails.str.strip().str.lower()).mean() < 0.15  # MESSY_EMAIL_SHARE
