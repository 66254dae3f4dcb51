"""Converting amounts to the reporting currency through a daily rates table.

The table has one row per (date, currency): `units_per_usd`, how many units of the
currency one US dollar buys that day. A day without a rate (a weekend, a holiday)
takes the last rate before it, at most MAX_RATE_AGE_DAYS old.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

SHIPPED_RATES = Path(__file__).resolve().parents[1] / "reference" / "fx_rates_daily.csv"
DEFAULT_REPORTING_CURRENCY = "USD"
MAX_RATE_AGE_DAYS = 7
RATE_COLUMNS = ("date", "currency", "units_per_usd")


class RatesError(ValueError):
    """The rates table cannot convert what the run needs: say what is missing and where to add it."""


@dataclass(frozen=True)
class Rates:
    table: pd.DataFrame  # date (datetime64), currency, units_per_usd; sorted by date
    source: str

    @classmethod
    def from_csv(cls, payload: bytes, source: str) -> Rates:
        frame = pd.read_csv(io.BytesIO(payload), dtype={"currency": str})
        missing = [c for c in RATE_COLUMNS if c not in frame]
        if missing:
            raise RatesError(f"rates table {source} lacks columns {missing}; it needs {list(RATE_COLUMNS)}")
        frame["date"] = pd.to_datetime(frame["date"], format="%Y-%m-%d", errors="coerce")
        frame["units_per_usd"] = pd.to_numeric(frame["units_per_usd"], errors="coerce")
        frame["currency"] = frame["currency"].str.strip().str.upper()
        bad = frame["date"].isna() | ~(frame["units_per_usd"] > 0)
        if bad.any():
            raise RatesError(f"rates table {source}: {int(bad.sum())} rows without a YYYY-MM-DD date or a positive "
                             f"units_per_usd, first at line {int(bad.idxmax()) + 2}")
        return cls(frame.sort_values("date", kind="stable").reset_index(drop=True), source)

    @property
    def currencies(self) -> frozenset[str]:
        return frozenset(self.table["currency"])

    def per_usd(self, currencies: pd.Series, dates: pd.Series) -> pd.Series:
        """units_per_usd of each (currency, date); raises naming every pair the table cannot answer."""
        wanted = pd.DataFrame({"currency": currencies.astype(str).to_numpy(),
                               "date": pd.to_datetime(pd.Series(dates).astype(str)).to_numpy(),
                               "row": range(len(currencies))}).sort_values("date", kind="stable")
        found = pd.merge_asof(wanted, self.table, on="date", by="currency",
                              tolerance=pd.Timedelta(days=MAX_RATE_AGE_DAYS), direction="backward")
        lacking = found[found["units_per_usd"].isna()]
        if len(lacking):
            pairs = sorted({f"{c} on {d:%Y-%m-%d}" for c, d in zip(lacking["currency"], lacking["date"], strict=True)})
            raise RatesError(f"no exchange rate within {MAX_RATE_AGE_DAYS} days for {pairs[:5]}"
                             f"{' and more' if len(pairs) > 5 else ''} in {self.source}; add the days to the table "
                             "or point variable 'socialpulse_fx_rates_source' at one that has them")
        return pd.Series(found.sort_values("row")["units_per_usd"].to_numpy(), index=currencies.index)

    def factor(self, currencies: pd.Series, dates: pd.Series, reporting: str) -> pd.Series:
        """Multiply an amount in `currencies` by this to get it in the reporting currency on that date."""
        source = self.per_usd(currencies, dates)
        return (self.per_usd(pd.Series(reporting, index=currencies.index), dates) / source).astype("Float64")


def load_rates(source: str | None = None) -> Rates:
    """The rates table at a path or URL, or the one the project ships for the simulator's currencies."""
    from socialpulse.connectors.files import read_location

    location = source or str(SHIPPED_RATES)
    return Rates.from_csv(read_location(location), location)


def check_reporting_currency(reporting: str, rates: Rates) -> str:
    code = (reporting or "").strip().upper()
    if code not in rates.currencies:
        raise RatesError(f"reporting currency {reporting!r} is not in {rates.source}; "
                         f"use one of {sorted(rates.currencies)} or add its rates")
    return code


def add_reporting_amounts(frame: pd.DataFrame, amounts: tuple[str, ...], rates: Rates, reporting: str,
                          date_column: str, currency_column: str = "currency") -> pd.DataFrame:
    """The frame with `<amount>_reporting` for each amount, plus reporting_currency and fx_rate, originals kept."""
    out = frame.copy()
    factor = (rates.factor(out[currency_column], out[date_column], reporting) if len(out)
              else pd.Series(dtype="Float64"))
    for column in amounts:
        out[f"{column}_reporting"] = (out[column].astype("Float64") * factor).round(4)
    out["reporting_currency"] = pd.Series(reporting, index=out.index, dtype="string")
    out["fx_rate"] = factor.astype("Float64")
    return out
