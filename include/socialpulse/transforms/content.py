"""What a clean text column may hold: no control characters, and nothing that looks like a person's contact data.

Columns are declared personal (pseudonyms) or not; a value in a column not declared
personal that looks like an email address, a phone number, a payment card or a national
id is quarantined, with its kind as the reason and the value withheld from the quarantine's
copy. When most of a column looks so, the labels of the file are wrong (an `email` column
read as `city`): the whole step stops, naming the column, before anything is written.

The patterns are deliberately narrow, so that ordinary names and ids pass:
- email: local@domain.tld;
- payment card: 13-19 digits passing the Luhn check, written in groups (4111 1111 1111 1111) or, run
  together, starting as the card networks do (3, 4, 5 or 6): a Meta campaign id (120210000000001) is not one;
- national id: a US social security number (123-45-6789) or a UK national insurance number;
- phone: 8-15 digits written as people do, starting with +, 00, a 0 or a parenthesis
  (+49 (0)30 1234-567, 0044 20 7946 0018, 030 1234567, (415) 555-0101), or as 415-555-0101;
  a date in any common writing (01.03.2024, 03/01/2024, 2024-03-01 10:00) is none.
Identifiers (campaign, order and post ids: long digit runs by nature) are checked for emails
only, and so is every column that is not text (an age, a day) or takes listed values (a
gender, a country): an email there means a mislabelled file as surely.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from socialpulse.errors import Name, PersonalDataError
from socialpulse.schema import FREE_TEXT, IDENTIFIER, PSEUDONYM

# Past this share of a column's values looking personal, the column is mislabelled: the step stops. Below
# MISLABELLED_MIN_VALUES values the share says too little (one campaign's name): those rows are quarantined.
MISLABELLED_SHARE = 0.5
MISLABELLED_MIN_VALUES = 20
WITHHELD = "<withheld: looks like {kind}>"

EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
NATIONAL_ID = re.compile(r"\b(?:\d{3}-\d{2}-\d{4}|[A-CEGHJ-PR-TW-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D])\b")
PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\(?\d[\d ()./-]{6,22}\d(?![\w])")
NORTH_AMERICAN = re.compile(r"\d{3}[-.]\d{3}[-.]\d{4}")
# A date however written, with a time or not: 2024-03-01, 2024/03/01, 01.03.2024, 03/01/2024, 1-3-24 10:00.
DATE = re.compile(
    r"(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4})(?:[T ]\d{1,2}[:.]\d{2}"
    r"(?:[:.]\d{2})?)?"
)
# ANSI escape sequences whole, then the C0 and C1 control characters (tab, newline and return become spaces).
CONTROL = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
LINE_BREAKS = re.compile(r"[\t\n\r]+")
ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # escape sequences start with one too

KINDS = {
    "email": "an email address",
    "card": "a payment card number",
    "national_id": "a national id number",
    "phone": "a phone number",
}


def luhn(digits: str) -> bool:
    """The Luhn checksum every payment card number passes."""
    total = 0
    for position, digit in enumerate(int(d) for d in reversed(digits)):
        total += digit if position % 2 == 0 else (digit * 2 - 9 if digit > 4 else digit * 2)
    return total % 10 == 0


def _is_card(text: str) -> bool:
    for match in CARD.finditer(text):
        written = match.group()
        digits = re.sub(r"\D", "", written)
        if luhn(digits) and (written != digits or digits[0] in "3456"):
            return True
    return False


def _is_phone(text: str) -> bool:
    for match in PHONE.finditer(text):
        written = match.group().strip()
        digits = re.sub(r"\D", "", written)
        if not 8 <= len(digits) <= 15 or DATE.fullmatch(written) or DATE.match(written):
            continue
        if written[0] in "+0(" or NORTH_AMERICAN.fullmatch(written):
            return True
    return False


def personal_kind(values: pd.Series, text_kind: str) -> pd.Series:
    """Per value, the kind of personal data it looks like ("email", "card", "national_id", "phone"), else ""."""
    kinds = pd.Series("", index=values.index, dtype=object)
    text = values.dropna().astype(str)
    if text.empty or text_kind == PSEUDONYM:
        return kinds
    at = text[text.str.contains("@", regex=False)]  # the regex only where it can match
    kinds.loc[at.index[at.str.contains(EMAIL, regex=True)]] = "email"
    if text_kind == FREE_TEXT:
        digits = text[(kinds.loc[text.index] == "") & text.str.count(r"\d").ge(8)]  # checked one by one, set at once
        kinds.loc[digits.index] = [
            "card"
            if _is_card(value)
            else "national_id"
            if NATIONAL_ID.search(value)
            else "phone"
            if _is_phone(value)
            else ""
            for value in digits.tolist()
        ]
        ids = text[(kinds.loc[text.index] == "") & text.str.contains(NATIONAL_ID, regex=True)]
        kinds.loc[ids.index] = "national_id"
    return kinds


def stop_if_mislabelled(personal: pd.Series, present: int, entity: str, column: str) -> None:
    """Stop the step when most of a column's values (of enough) look personal: the file's labels are wrong."""
    flagged = int((personal != "").sum())
    if present >= MISLABELLED_MIN_VALUES and flagged / present > MISLABELLED_SHARE:
        most = personal[personal != ""].value_counts().index[0]
        raise PersonalDataError(
            "{entity}: {flagged} of {present} values of column {column} look like {kind}, and {column} is not a "
            "personal column: are the file's column labels swapped or shifted? Nothing of it was written; fix the "
            "export's header and rerun",
            entity=Name(entity),
            flagged=flagged,
            present=present,
            column=Name(column),
            kind=Name(KINDS[most]),
        )


def check_emails(values: pd.Series, entity: str, column: str) -> pd.Series:
    """Per value of a column that is not text, or takes listed values, whether it looks like an email; stops the
    step when most do. Its values are left as they are, for the column's own rules."""
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    if inferred == "string":
        text = values.dropna()
    elif values.dtype == object:  # mixed: only its texts can hold an email
        text = values[values.map(lambda v: isinstance(v, str))]
    else:
        text = values.iloc[:0]
    personal = personal_kind(text, IDENTIFIER).reindex(values.index, fill_value="")
    stop_if_mislabelled(personal, int(values.notna().sum()), entity, column)
    return personal


def has_control(values: pd.Series) -> pd.Series:
    """Where a text value holds control characters or escape sequences (a tab or line break counts too)."""
    return values.astype("string").str.contains(ANY_CONTROL, regex=True).fillna(False).astype(bool)


def strip_control(values: pd.Series) -> pd.Series:
    """Text without control characters and escape sequences; tabs and line breaks become one space."""
    text = values.astype("string")
    return text.str.replace(CONTROL, "", regex=True).str.replace(LINE_BREAKS, " ", regex=True)


@dataclass(frozen=True)
class ContentCheck:
    """One text column's findings: the values as kept, and per row the personal kind and control characters."""

    values: pd.Series
    personal: pd.Series  # kind per row, "" where none
    control: pd.Series  # True where control characters remain (identifiers: quarantined, not stripped)


def check_text(values: pd.Series, text_kind: str, entity: str, column: str) -> ContentCheck:
    """Strip control characters from free text, find personal-looking values; stop on a mislabelled column."""
    # our own HMAC hex needs no check; free text has its control characters stripped below
    control = has_control(values) if text_kind == IDENTIFIER else pd.Series(False, index=values.index)
    kept = strip_control(values) if text_kind == FREE_TEXT else values
    personal = personal_kind(kept, text_kind)
    stop_if_mislabelled(personal, int(kept.notna().sum()), entity, column)
    return ContentCheck(kept, personal, control)
