"""Pseudonymising people: HMAC-SHA256 under a secret only the Airflow connection holds.

A person's pseudonym is HMAC(secret, "crm:<crm user id>") when the CRM knows them,
so the Facebook, Instagram and X ids the CRM links to one user all map to that
user's pseudonym; an id the CRM does not link gets HMAC(secret, "<platform>:<id>").
Without the secret a pseudonym cannot be reversed or recomputed from an id.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

import numpy as np
import pandas as pd

from socialpulse.errors import ConnectionConfigError
from socialpulse.transforms.validation import is_text

CRM = "crm"
LINKED_ID_COLUMNS = {"facebook": "facebook_id", "instagram": "instagram_id", "x": "x_id"}
MIN_SECRET_LENGTH = 16


class Pseudonymizer:
    """Maps raw user ids to pseudonyms; `links` maps "<platform>:<id>" to the CRM user id that owns it."""

    def __init__(self, secret: str | bytes, links: Mapping[str, str] | None = None) -> None:
        raw = secret.encode() if isinstance(secret, str) else secret
        if len(raw) < MIN_SECRET_LENGTH:
            raise ConnectionConfigError(
                f"the pseudonymisation secret has {len(raw)} bytes; set at least {MIN_SECRET_LENGTH} random bytes as "
                "the password of connection 'socialpulse_pseudonymization'"
            )
        self._mac = hmac.new(raw, digestmod=hashlib.sha256)  # keyed once; each token copies it
        self._links = dict(links or {})

    def token(self, namespace: str, user_id: str) -> str:
        """The pseudonym of one id; platform ids linked in the CRM resolve to the CRM user's."""
        owner = self._links.get(f"{namespace}:{user_id}")
        name = f"{CRM}:{owner}" if owner is not None else f"{namespace}:{user_id}"
        mac = self._mac.copy()
        mac.update(name.encode())
        return mac.hexdigest()

    def by_platform(self, platforms: pd.Series, ids: pd.Series) -> pd.Series:
        """Pseudonyms of ids that each belong to the platform in the same row, hashing each distinct pair once."""
        platform_codes, platform_names = pd.factorize(platforms.astype("string"), use_na_sentinel=True)
        id_codes, id_values = pd.factorize(ids.astype("string"), use_na_sentinel=True)
        width = len(id_values)
        pair = np.where((platform_codes < 0) | (id_codes < 0), -1, platform_codes.astype("int64") * width + id_codes)
        pair_codes, pairs = pd.factorize(pair)
        names, values = [str(n) for n in platform_names.tolist()], [str(v) for v in id_values.tolist()]
        tokens = np.array(
            [None if p < 0 else self.token(names[p // width], values[p % width]) for p in pairs.tolist()], dtype=object
        )
        out = tokens[pair_codes]
        return pd.Series(out, index=ids.index, dtype="string")


PERSONAL_KEYS = frozenset({"name", "username", "email", "message", "text", "first_name", "last_name"})


def redact(payload: object) -> object:
    """A payload with names, emails and free texts replaced, at any depth: what a quarantine may keep."""
    if isinstance(payload, dict):
        return {k: "<redacted>" if k in PERSONAL_KEYS and v is not None else redact(v) for k, v in payload.items()}
    if isinstance(payload, list):
        return [redact(v) for v in payload]
    return payload


def pseudonymize_text_ids(pseudonymizer: Pseudonymizer, platforms: pd.Series | str, ids: pd.Series) -> pd.Series:
    """Text ids replaced by pseudonyms; anything else (a number, a dict) kept, for validation to reject."""
    text = is_text(ids)
    platforms = pd.Series(platforms, index=ids.index) if isinstance(platforms, str) else platforms
    if text.all():  # the usual case: no row to keep apart
        return pseudonymizer.by_platform(platforms, ids)
    tokens = pseudonymizer.by_platform(platforms[text], ids[text])
    return ids.astype(object).where(~text, tokens.astype(object))


def links_from_users(users: pd.DataFrame) -> dict[str, str]:
    """ "<platform>:<id>" -> CRM user id, from a CRM users table with raw linked-id columns."""
    links: dict[str, str] = {}
    for platform, column in LINKED_ID_COLUMNS.items():
        if column not in users:
            continue
        linked = users[["user_id", column]].dropna()
        linked = linked[linked[column].astype(str).str.strip() != ""]
        links.update(zip(f"{platform}:" + linked[column].astype(str), linked["user_id"].astype(str), strict=True))
    return links


def erasure_digest(pseudonym: str) -> str:
    """What the lake's suppression list keeps of an erased person: a SHA-256 digest of the pseudonym.

    Enough to recognise the person's rows again; not the pseudonym, which then stays only in
    the warehouse's privacy_erasures record.
    """
    return hashlib.sha256(f"erased:{pseudonym}".encode()).hexdigest()


def erased_rows(person_ids: pd.Series, erased: frozenset[str]) -> pd.Series:
    """True where a row's person is on the suppression list (`erased`: digests), each distinct id digested once."""
    if not erased or person_ids.empty:
        return pd.Series(False, index=person_ids.index)
    codes, people = pd.factorize(person_ids.astype("string"), use_na_sentinel=True)
    listed = np.array([erasure_digest(str(p)) in erased for p in people.tolist()] + [False], dtype=bool)
    return pd.Series(listed[codes], index=person_ids.index)  # a null id (code -1) takes the trailing False


def pseudonyms_in(originals: pd.Series) -> pd.Series:
    """The pseudonyms a quarantined row's original (JSON text) holds: each a 64-character hex word."""
    found = originals.astype("string").str.findall(r"[0-9a-f]{64}")
    return found.map(lambda words: words if isinstance(words, list) else [])  # a null original holds none


def erased_in_originals(originals: pd.Series, erased: frozenset[str]) -> pd.Series:
    """True where a quarantined row's original names an erased person (`erased`: digests)."""
    if not erased or originals.empty:
        return pd.Series(False, index=originals.index)
    return pseudonyms_in(originals).map(lambda found: any(erasure_digest(w) in erased for w in found)).astype(bool)


def drop_erased(frame: pd.DataFrame, erased: frozenset[str], column: str = "person_id") -> tuple[pd.DataFrame, int]:
    """The frame without rows of erased people (`erased`: digests), and how many rows that removed."""
    if not erased or column not in frame or frame.empty:
        return frame, 0
    hit = erased_rows(frame[column], erased)
    return frame.loc[~hit].reset_index(drop=True), int(hit.sum())
