"""The simulated people's contact details as a CRM export holds them: emails and phones typed the way people type them.

Each person has a phone number that is valid in their country's numbering plan, written in one
of the forms people use there: national with its trunk prefix (`030 1234567`), international
with `+` (and Germany's and Britain's `(0)`), or with the `00` prefix. A few are junk a form
accepted (`n/a`, a number cut short), some are blank, and some emails come with capitals and
spaces around them. `normalized_phone` and `normalized_email` are what Meta's rules make of
them: the simulated Custom Audiences API checks uploaded hashes against these.
"""

from __future__ import annotations

import random
from functools import lru_cache

from socialpulse_dev.simulator.audience import Member, audience

CALLING_CODES = {"US": "1", "GB": "44", "DE": "49", "FR": "33", "JP": "81", "BR": "55"}
# Per country: the national significant number's leading digits, each with how many digits follow
_NUMBERS = {
    "US": (("415", 7), ("212", 7), ("650", 7), ("312", 7), ("206", 7)),
    "GB": (("207", 7), ("7400", 6)),
    "DE": (("30", 7), ("151", 8), ("170", 7)),
    "FR": (("1", 8), ("61", 7)),
    "JP": (("90", 8), ("80", 8)),
    "BR": (("119", 8),),
}
_SCRAMBLE = 7919  # a prime, coprime with 10 and 9: index -> digits is one to one
_US_EXCHANGES = tuple(n for n in range(200, 1000) if n % 100 != 11)  # neither N11 nor starting with 0 or 1
BLANK_PHONE_SHARE = 0.05
JUNK_PHONE_SHARE = 0.02
MESSY_EMAIL_SHARE = 0.1


def _rng(member: Member) -> random.Random:
    return random.Random(f"contacts|{member.user_id}")


def national_number(member: Member) -> str:
    """The person's national significant number (no trunk prefix), stable per user and unique within its prefix: the
    digits after the prefix are a bijection of the user's index (so no two simulated people share a phone)."""
    first, length = _rng(member).choice(_NUMBERS[member.country])
    index = int(member.user_id[1:])
    if member.country == "US":
        scrambled = (index * _SCRAMBLE + 12345) % (len(_US_EXCHANGES) * 10_000)
        return f"{first}{_US_EXCHANGES[scrambled // 10_000]}{scrambled % 10_000:04d}"
    low = 10 ** (length - 1)  # no leading 0 after the prefix
    return f"{first}{low + (index * _SCRAMBLE + 12345) % (9 * low)}"


def normalized_phone(member: Member) -> str:
    """Meta's normal form: country code and national number, digits only."""
    return CALLING_CODES[member.country] + national_number(member)


def normalized_email(member: Member) -> str:
    return member.email.lower()


def _grouped(digits: str, sizes: tuple[int, ...], sep: str = " ") -> str:
    parts, start = [], 0
    for size in sizes:
        parts.append(digits[start : start + size])
        start += size
    return sep.join(p for p in [*parts, digits[start:]] if p)


def _national(country: str, number: str) -> str:
    """The way the number is written at home."""
    if country == "US":
        return f"({number[:3]}) {number[3:6]}-{number[6:]}"
    if country == "BR":
        return f"({number[:2]}) {number[2:7]}-{number[7:]}"
    if country == "JP":
        return "0" + _grouped(number, (2, 4), "-")
    if country == "FR":
        return "0" + _grouped(number, (1, 2, 2, 2), " ")
    return "0" + _grouped(number, (2 if number.startswith(("30", "20")) else 3, 4))


def typed_phone(member: Member) -> str:
    """The phone cell of the CRM export: a form people type, sometimes blank or junk."""
    rng = random.Random(f"contacts typed|{member.user_id}")
    draw = rng.random()
    if draw < BLANK_PHONE_SHARE:
        return ""
    if draw < BLANK_PHONE_SHARE + JUNK_PHONE_SHARE:
        return rng.choice(["n/a", "-", "none", national_number(member)[:4], "123"])
    country, number = member.country, national_number(member)
    code = CALLING_CODES[country]
    forms = [_national(country, number), f"+{code} {_grouped(number, (3, 3))}"]
    if country in ("DE", "GB", "FR"):  # where 00 is the international prefix (not in the US, Japan or Brazil)
        forms.append(f"00{code} {_grouped(number, (2, 4))}")
    if country in ("DE", "GB"):
        forms.append(f"+{code} (0){_grouped(number, (2, 4), ' ')}")
    if country == "US":
        forms.append(f"1-{number[:3]}-{number[3:6]}-{number[6:]}")
    return rng.choice(forms)


def typed_email(member: Member) -> str:
    """The email cell: as registered, or with capitals and spaces around it."""
    rng = random.Random(f"contacts email|{member.user_id}")
    if rng.random() >= MESSY_EMAIL_SHARE:
        return member.email
    local, domain = member.email.split("@")
    return f"  {local.title()}@{domain.upper()} "


@lru_cache(maxsize=8)
def typed(seed: int, size: int) -> tuple[tuple[str, str], ...]:
    """Every member's (email, phone) cells, drawn once per audience: each day's users.csv repeats them."""
    return tuple((typed_email(m), typed_phone(m)) for m in audience(seed, size))
