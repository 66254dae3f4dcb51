"""CRM drop CSVs -> validated users and orders, people pseudonymised, amounts also in the reporting currency.

Names, emails and the raw ids never reach the frames that leave this module:
undeclared columns are dropped and ids pseudonymised before validation, so even
a quarantined row holds only pseudonyms. A raw id too long or holding control
characters is quarantined for it (its pseudonym would name nobody), and an error
reading a file names the file and line, never a cell.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from typing import IO, Any, TypeVar

import pandas as pd

from socialpulse.errors import Name, PersonalDataError
from socialpulse.transforms.content import has_control
from socialpulse.transforms.currency import DEFAULT_REPORTING_CURRENCY, Rates, convert_or_quarantine
from socialpulse.transforms.entities import CRM_COLUMN_PREFIX, CRM_ORDERS, CRM_USERS
from socialpulse.transforms.normalize import normalize_consent, normalize_country, normalize_gender
from socialpulse.transforms.privacy import LINKED_ID_COLUMNS, Pseudonymizer, erased_rows, pseudonymize_text_ids
from socialpulse.transforms.validation import Validated, validate

MAX_ID_LENGTH = 256  # characters of a raw CRM or platform id; a longer one is quarantined, not pseudonymised


def read_csv(payload: bytes, name: str = "the CRM file", **options: Any) -> pd.DataFrame:
    """A CRM file as text columns, empty cells as null; a malformed file is an error naming its line only."""
    return _stripped(_parsing(name, lambda: pd.read_csv(io.BytesIO(payload), **_TEXT, **options)))


def read_csv_parts(stream: IO[bytes], rows: int, name: str = "the CRM file", **options: Any) -> Iterator[pd.DataFrame]:
    """read_csv a part of `rows` rows at a time, from a stream: a file is never held whole."""
    reader = _parsing(name, lambda: pd.read_csv(stream, chunksize=rows, **_TEXT, **options))
    with reader:
        while (part := _parsing(name, lambda: next(reader, None))) is not None:
            yield _stripped(part)


_TEXT: dict[str, Any] = {"dtype": str, "keep_default_na": False, "encoding": "utf-8-sig"}
_Parsed = TypeVar("_Parsed")


def _parsing(name: str, parse: Callable[[], _Parsed]) -> _Parsed:
    """What parse returns; its error as ours, naming the file and line only.

    pandas' own message for a broken row can quote it; ours keeps its numbers (line, field counts).
    """
    try:
        return parse()
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as error:
        numbers = [Name(n) for n in re.findall(r"\b\d{1,8}\b", str(error))[:4]]  # lines, counts: no long ids
        raise PersonalDataError(
            "{file} is not a well-formed CSV file ({kind}; the numbers in its message: "
            "{numbers}): export it again as CSV with one header row",
            file=Name(name),
            kind=Name(type(error).__name__),
            numbers=numbers,
        ) from None


def _stripped(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.apply(lambda c: c.str.strip()).replace("", None)


def id_problems(raw: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    """Per row, what is wrong with its raw ids ("" for nothing): too long, or holding control characters."""
    problems = pd.Series("", index=raw.index, dtype=object)
    for column in (c for c in columns if c in raw):
        ids = raw[column].astype("string")
        for mask, text in (
            (ids.str.len() > MAX_ID_LENGTH, f"{column} longer than {MAX_ID_LENGTH} characters"),
            (has_control(ids), f"{column} holds control characters"),
        ):
            mask = mask.fillna(False).astype(bool)
            problems = problems.mask(mask, problems + text + "; ")
    return problems.str.rstrip("; ")


def clean_orders(
    raw: pd.DataFrame,
    pseudonymizer: Pseudonymizer,
    rates: Rates,
    reporting: str = DEFAULT_REPORTING_CURRENCY,
    erased: frozenset[str] = frozenset(),
) -> Validated:
    """Orders (orders.csv as read_csv reads it) with UTC times, numeric amounts, a null utm_campaign for organic
    orders, and amount_reporting: validate_orders, then in_reporting_currency."""
    return in_reporting_currency(validate_orders(raw, pseudonymizer, rates, erased), rates, reporting)


def validate_orders(
    raw: pd.DataFrame, pseudonymizer: Pseudonymizer, rates: Rates, erased: frozenset[str] = frozenset()
) -> Validated:
    """Orders validated and their repeats dropped (the last kept), in a currency the rates know, not yet converted."""
    frame = pd.DataFrame(
        {
            "order_id": raw["order_id"],
            "person_id": pseudonymize_text_ids(pseudonymizer, "crm", raw["user_id"]),
            "ordered_at": raw["ordered_at"],
            "amount": raw["amount"],
            "currency": raw["currency"].str.upper(),
            "utm_campaign": raw["utm_campaign"],
        }
    )
    keep = ~erased_rows(frame["person_id"], erased)  # before validation: no erased person reaches quarantine
    result = validate(
        frame[keep], CRM_ORDERS.restrict("currency", rates.currencies), id_problems(raw, ("user_id",))[keep]
    )
    return replace(result, clean=result.clean.assign(order_date=lambda f: f["ordered_at"].dt.date))


def in_reporting_currency(orders: Validated, rates: Rates, reporting: str = DEFAULT_REPORTING_CURRENCY) -> Validated:
    """Validated orders with amount_reporting; an order without a rate for its day is quarantined for it."""
    return convert_or_quarantine(orders, ("amount",), rates, reporting, "order_date")


def experiment_groups(raw: pd.DataFrame) -> pd.Series:
    """Each user's experiment groups as JSON {column: group}, from the drop's experiment_* columns; null without."""
    text = pd.Series("", index=pd.RangeIndex(len(raw)), dtype=object)  # each row's JSON members so far, as text
    for column in sorted(c for c in raw.columns if c.startswith(CRM_COLUMN_PREFIX)):  # as json.dumps sorts keys
        groups = raw[column].reset_index(drop=True).dropna()  # by position: the raw index may repeat a label
        member = f"{json.dumps(column)}: " + groups.map({g: json.dumps(g) for g in groups.unique()})
        before = text[groups.index]
        text[groups.index] = before.where(before == "", before + ", ") + member
    return pd.Series(("{" + text + "}").where(text != "", None).to_numpy(), index=raw.index, dtype=object)


def clean_users(raw: pd.DataFrame, pseudonymizer: Pseudonymizer, erased: frozenset[str] = frozenset()) -> Validated:
    """Users (users.csv as read_csv reads it) with numeric ages in 13-100, normalised gender, ISO countries, and
    their linked platforms.

    Each linked id is kept as the pseudonym it carries unlinked (HMAC of "<platform>:<id>"),
    so profiles can join to this person the events cleaned before the CRM linked it. The
    experiment_* columns (groups of experiments on CRM groups) are kept as one JSON column.
    `marketing_consent` is read from the spellings exports use; a drop without it records no consent for anyone.
    """
    frame = pd.DataFrame(
        {
            "person_id": pseudonymize_text_ids(pseudonymizer, "crm", raw["user_id"]),
            "age": raw["age"],
            "gender": normalize_gender(raw["gender"]),
            "country": normalize_country(raw["country"]),
            "city": raw["city"],
            "signup_date": raw["signup_date"],
            **{
                f"linked_{platform}": raw[column].notna() if column in raw else False
                for platform, column in LINKED_ID_COLUMNS.items()
            },
            **{
                f"{platform}_pseudonym": pseudonymize_text_ids(pseudonymizer, platform, raw[column])
                if column in raw
                else None
                for platform, column in LINKED_ID_COLUMNS.items()
            },
            "marketing_consent": normalize_consent(raw["marketing_consent"]) if "marketing_consent" in raw else None,
            "experiment_groups": experiment_groups(raw),
        }
    )
    keep = ~erased_rows(frame["person_id"], erased)  # before validation: no erased person reaches quarantine
    return validate(frame[keep], CRM_USERS, id_problems(raw, ("user_id", *LINKED_ID_COLUMNS.values()))[keep])


ATTRIBUTION_COLUMNS = ["order_id", "order_date", "utm_campaign", "amount_reporting"]  # what attribution reads


def attribution(orders: pd.DataFrame) -> pd.DataFrame:
    """Orders and revenue (in the reporting currency) per (order day, utm_campaign): what campaign rows credit."""
    attributed = orders.dropna(subset=["utm_campaign"])
    return (
        attributed.groupby(["order_date", "utm_campaign"], as_index=False)
        .agg(attributed_orders=("order_id", "count"), attributed_revenue=("amount_reporting", "sum"))
        .rename(columns={"order_date": "metric_date", "utm_campaign": "campaign_id"})
    )


def attribution_in_parts(orders: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """attribution of orders that come in parts (ATTRIBUTION_COLUMNS): each part's sums, summed."""
    parts = [attribution(part) for part in orders] or [attribution(pd.DataFrame(columns=ATTRIBUTION_COLUMNS))]
    return pd.concat(parts, ignore_index=True).groupby(["metric_date", "campaign_id"], as_index=False).sum()
