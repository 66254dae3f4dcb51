"""Converting amounts to the reporting currency with the ECB's euro foreign exchange reference rates.

The ECB publishes, each TARGET working day around 16:00 CET, how many units of
about thirty currencies one euro buys. Cross rates go through the euro: one unit
of X is worth (R per EUR) / (X per EUR) of the reporting currency R. A day
without a rate (a weekend, a TARGET holiday) takes the last rate before it, at
most MAX_RATE_AGE_DAYS old; an amount with no rate at all is not guessed: its
row is quarantined with the currency and day named.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, replace

import pandas as pd

from socialpulse.config import FX_RATES_SOURCE_VARIABLE
from socialpulse.errors import FatalError, Name, NotLandedError
from socialpulse.transforms.validation import Validated

DEFAULT_REPORTING_CURRENCY = "USD"
MAX_RATE_AGE_DAYS = 7
BASE_CURRENCY = "EUR"
# The ECB Data Portal's csvdata columns we read (by name: the full answer has some 30 more).
ECB_COLUMNS = {"CURRENCY": "currency", "TIME_PERIOD": "date", "OBS_VALUE": "per_eur"}


class RatesError(FatalError):
    """The rates answer cannot be read, or cannot serve the reporting currency: say what is wrong and where."""


class RatesUnavailableError(NotLandedError):
    """The source answered no rates at all (not published yet, or down): a retry later may find them."""


@dataclass(frozen=True)
class Rates:
    table: pd.DataFrame  # date (datetime64), currency, per_eur; sorted by date; EUR is 1 on every published day
    source: str

    @classmethod
    def from_ecb_csv(cls, payload: bytes, source: str) -> Rates:
        """Rates from the ECB's csvdata answer; an empty answer (no published day in the range) is an empty table.

        Anything else (a zip, an HTML error page, another CSV) is a RatesError on the first try,
        naming the variable to fix: no retry turns it into csvdata.
        """
        if not payload.strip():
            return cls(
                pd.DataFrame(
                    {
                        "date": pd.Series(dtype="datetime64[ns]"),
                        "currency": pd.Series(dtype=str),
                        "per_eur": pd.Series(dtype=float),
                    }
                ),
                source,
            )
        try:
            text = payload.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise not_csvdata(source, "not text: a zip or another binary file") from None
        if text.lstrip().startswith("<"):
            raise not_csvdata(source, "an HTML or XML page")
        try:
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, pd.errors.EmptyDataError):
            raise not_csvdata(source, "not a CSV table") from None
        missing = [c for c in ECB_COLUMNS if c not in frame]
        if missing:
            raise not_csvdata(source, f"a CSV without the columns {', '.join(missing)}")
        frame = frame[list(ECB_COLUMNS)].rename(columns=ECB_COLUMNS)
        frame["date"] = pd.to_datetime(frame["date"], format="%Y-%m-%d", errors="coerce")
        frame["per_eur"] = pd.to_numeric(frame["per_eur"], errors="coerce")  # the ECB writes N/A or nothing
        frame["currency"] = frame["currency"].str.strip().str.upper()
        if frame["date"].isna().any():
            raise RatesError(
                f"rates from {source}: TIME_PERIOD not a YYYY-MM-DD date at line "
                f"{int(frame['date'].isna().idxmax()) + 2}"
            )
        frame = frame[frame["per_eur"] > 0]
        euro = pd.DataFrame({"date": frame["date"].unique(), "currency": BASE_CURRENCY, "per_eur": 1.0})
        table = pd.concat([frame, euro], ignore_index=True).drop_duplicates(["date", "currency"], keep="last")
        return cls(table.sort_values("date", kind="stable").reset_index(drop=True), source)

    @property
    def currencies(self) -> frozenset[str]:
        return frozenset(self.table["currency"]) | {BASE_CURRENCY}

    def per_eur(self, currencies: pd.Series, dates: pd.Series) -> pd.Series:
        """Units per euro of each (currency, date), the last published within MAX_RATE_AGE_DAYS; NaN where none."""
        wanted = pd.DataFrame(
            {
                "currency": currencies.astype(str).to_numpy(),
                "date": pd.to_datetime(pd.Series(dates).astype(str)).to_numpy(),
                "row": range(len(currencies)),
            }
        ).sort_values("date", kind="stable")
        found = pd.merge_asof(
            wanted,
            self.table.astype({"date": wanted["date"].dtype}),
            on="date",
            by="currency",
            tolerance=pd.Timedelta(days=MAX_RATE_AGE_DAYS),
            direction="backward",
        )
        return pd.Series(found.sort_values("row")["per_eur"].to_numpy(), index=currencies.index)

    def factor(self, currencies: pd.Series, dates: pd.Series, reporting: str) -> pd.Series:
        """Multiply an amount in `currencies` by this to get it in the reporting currency; NA without a rate."""
        target = self.per_eur(pd.Series(reporting, index=currencies.index), dates)
        return (target / self.per_eur(currencies, dates)).astype("Float64")


def not_csvdata(source: str, what: str) -> RatesError:
    """The error for a rates answer in the wrong format: what it is, the variable to fix, the format expected."""
    return RatesError(
        "the exchange rates from {source} are {what}, not the ECB's csvdata: set the variable "
        "{variable} to the ECB Data Portal's EXR series (the default when unset) or to a file in its "
        "csvdata format, with the columns {columns}",
        source=Name(source),
        what=Name(what),
        variable=Name(FX_RATES_SOURCE_VARIABLE),
        columns=Name(", ".join(ECB_COLUMNS)),
    )


def check_reporting_currency(reporting: str, rates: Rates) -> str:
    code = (reporting or "").strip().upper()
    if rates.table.empty:
        raise RatesUnavailableError(
            f"no exchange rates at all from {rates.source}: not published yet, or the "
            "source is down; the task is retried"
        )
    if code not in rates.currencies:
        raise RatesError(
            f"reporting currency {reporting!r} is not in the rates from {rates.source}; "
            f"use one of {sorted(rates.currencies)}"
        )
    return code


def add_reporting_amounts(
    frame: pd.DataFrame,
    amounts: tuple[str, ...],
    rates: Rates,
    reporting: str,
    date_column: str,
    currency_column: str = "currency",
) -> pd.DataFrame:
    """The frame with `<amount>_reporting` for each amount, plus reporting_currency and fx_rate, originals kept."""
    out = frame.copy()
    factor = rates.factor(out[currency_column], out[date_column], reporting) if len(out) else pd.Series(dtype="Float64")
    for column in amounts:
        out[f"{column}_reporting"] = (out[column].astype("Float64") * factor).round(4)
    out["reporting_currency"] = pd.Series(reporting, index=out.index, dtype="string")
    out["fx_rate"] = factor.astype("Float64")
    return out


def without_reporting_amounts(frame: pd.DataFrame, amounts: tuple[str, ...]) -> pd.DataFrame:
    """The frame with its reporting columns present and null: no rates could be had today; a later run fills them."""
    out = frame.copy()
    for column in (*(f"{a}_reporting" for a in amounts), "fx_rate"):
        out[column] = pd.Series(pd.NA, index=out.index, dtype="Float64")
    out["reporting_currency"] = pd.Series(pd.NA, index=out.index, dtype="string")
    return out


def convert_or_quarantine(
    result: Validated, amounts: tuple[str, ...], rates: Rates | None, reporting: str, date_column: str
) -> Validated:
    """Add reporting amounts to the clean rows; rows whose currency has no rate that day move to quarantine.

    Without rates at all (`None`: the source is down), every row stays, its reporting columns null.
    """
    if rates is None:
        return replace(result, clean=without_reporting_amounts(result.clean, amounts))
    converted = add_reporting_amounts(result.clean, amounts, rates, reporting, date_column)
    lacking = converted["fx_rate"].isna().to_numpy(dtype=bool)
    if not lacking.any():
        return replace(result, clean=converted)
    rows = result.clean.loc[lacking]
    reasons = [
        f"no exchange rate {c} to {reporting} for {d}: none published within {MAX_RATE_AGE_DAYS} days "
        f"before it in {rates.source}"
        for c, d in zip(rows["currency"], rows[date_column], strict=True)
    ]
    originals = [
        json.dumps(r, default=str, sort_keys=True)
        for r in rows.astype(object).where(rows.notna(), None).to_dict("records")
    ]
    moved = pd.DataFrame({"reason": reasons, "original": originals}, dtype="string")
    return replace(
        result,
        clean=converted.loc[~lacking].reset_index(drop=True),
        quarantined=pd.concat([result.quarantined, moved], ignore_index=True),
    )
