"""Matching keys: the hashed email and phone an ad platform matches a person on, computed while the raw drop is at hand.

Meta's customer-file rules (Marketing API, "Hashing and Normalizing Data"): an email trimmed
and lower-cased; a phone as digits only, with its country code, no `+` and no leading zeros;
each SHA-256 hex. Phones are parsed with libphonenumber (the `phonenumbers` package) in the
person's country: it knows each country's trunk prefix (`030` in Berlin, `(0)` after `+49`),
international prefixes (`0044`) and lengths, which a digit filter would get wrong.

Only consenting people get keys. A value that cannot be made valid (an email without one `@`
and a domain, a number that is not a valid one of the person's country) is dropped and counted
by reason: the counts go to the audit, the values nowhere.
"""

from __future__ import annotations

import hashlib
import re
from typing import NamedTuple

import pandas as pd
import phonenumbers

from socialpulse.transforms.privacy import Pseudonymizer, pseudonymize_text_ids

KEY_COLUMNS = ("email_sha256", "phone_sha256")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
INVALID_EMAIL = "email not an address"
INVALID_PHONE = "phone not a valid number of the person's country"


def normalized_email(emails: pd.Series) -> pd.Series:
    """Trimmed and lower-cased, as Meta hashes it; null where blank or not an address."""
    text = emails.astype("string").str.strip().str.lower()
    return text.where(text.str.fullmatch(_EMAIL).fillna(False).astype(bool))


def _e164_digits(number: str, country: str | None) -> str | None:
    try:
        parsed = phonenumbers.parse(number, country)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164).removeprefix("+")


def normalized_phone(phones: pd.Series, countries: pd.Series) -> pd.Series:
    """Digits with the country code (E.164 without `+`; an extension dropped); the person's country (ISO alpha-2)
    supplies a missing code. Null where blank or not a valid number."""
    digits = [
        None if pd.isna(number) or not str(number).strip() else _e164_digits(str(number), None if pd.isna(c) else c)
        for number, c in zip(phones.tolist(), countries.tolist(), strict=True)
    ]
    return pd.Series(digits, index=phones.index, dtype="string")


def sha256_hex(values: pd.Series) -> pd.Series:
    """Lower-case SHA-256 hex of each value, unsalted as the platforms require; null stays null."""
    hashed = [None if pd.isna(v) else hashlib.sha256(str(v).encode()).hexdigest() for v in values.tolist()]
    return pd.Series(hashed, index=values.index, dtype="string")


class MatchKeys(NamedTuple):
    keys: pd.DataFrame  # person_id, email_sha256, phone_sha256: a row per consenting person with at least one key
    consenting: int  # consenting people considered
    dropped: dict[str, int]  # reason -> values that could not be normalised (never sent, never kept)


def match_keys(raw: pd.DataFrame, pseudonymizer: Pseudonymizer, users: pd.DataFrame) -> MatchKeys:
    """Keys of the consenting people among `users` (the clean users: person_id, country, marketing_consent),
    from the rows of the drop's users.csv as read_csv reads them (their email and phone columns; a drop without
    either has no such keys)."""
    raw = raw.reindex(columns=[c for c in ("user_id", "email", "phone") if c in raw])
    raw = raw.assign(person_id=pseudonymize_text_ids(pseudonymizer, "crm", raw["user_id"]))
    consenting = users.loc[users["marketing_consent"].fillna(False).astype(bool), ["person_id", "country"]]
    people = consenting.merge(raw.drop_duplicates("person_id"), on="person_id", how="left")
    blank = pd.Series(pd.NA, index=people.index, dtype="string")
    emails, phones = people.get("email", blank), people.get("phone", blank)
    email, phone = normalized_email(emails), normalized_phone(phones, people["country"])
    dropped = {  # read_csv made blank cells null: a null here was never given
        INVALID_EMAIL: int((emails.notna() & email.isna()).sum()),
        INVALID_PHONE: int((phones.notna() & phone.isna()).sum()),
    }
    keys = pd.DataFrame(
        {"person_id": people["person_id"], "email_sha256": sha256_hex(email), "phone_sha256": sha256_hex(phone)}
    )
    keys = keys[keys[list(KEY_COLUMNS)].notna().any(axis=1)].reset_index(drop=True)
    return MatchKeys(keys, len(consenting), {reason: n for reason, n in dropped.items() if n})
