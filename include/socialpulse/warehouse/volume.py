"""A day's row count and spend against the median of the seven days before it.

A sudden drop in rows (an account silently missing) or a jump in spend (a currency
or unit mix-up) passes every per-row check; comparing each loaded day with its
trailing week catches both. The tolerance is a ratio both ways: with 0.75 a day
fails above 1.75x its median or below 1/1.75 (0.57x) of it. The simulator's
weekends spend 40-60% above the weekday median, so 0.5 would flag every Sunday.
With fewer than seven earlier days there is no trustworthy median yet, so the
check warns instead of failing; so does a median of zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median
from typing import Any

from socialpulse.warehouse.dialect import SQLITE, dialect_of, placeholder, transaction

TRAILING_DAYS = 7
DEFAULT_TOLERANCE = 0.75


@dataclass(frozen=True)
class VolumeFinding:
    day: date
    measure: str  # rows or spend_reporting
    value: float
    median: float | None
    history_days: int
    failed: bool

    def describe(self) -> str:
        if self.median is None:
            return (f"{self.day} {self.measure}={self.value:g}: only {self.history_days} of {TRAILING_DAYS} "
                    "earlier days loaded, no median to compare with yet")
        return (f"{self.day} {self.measure}={self.value:g} vs trailing {TRAILING_DAYS}-day median "
                f"{self.median:g} ({self.value / self.median - 1:+.0%})" if self.median else
                f"{self.day} {self.measure}={self.value:g} vs trailing median 0")


def daily_totals(conn: Any, since: date, until: date) -> dict[date, tuple[int, float]]:
    """(rows, spend in the reporting currency) of campaign_metrics_daily per day in [since, until]."""
    dialect = dialect_of(conn)
    mark = placeholder(dialect)
    bounds = (since.isoformat(), until.isoformat()) if dialect == SQLITE else (since, until)
    with transaction(conn, dialect) as cursor:
        cursor.execute(f"SELECT metric_date, COUNT(*), COALESCE(SUM(spend_reporting), 0) FROM campaign_metrics_daily "
                       f"WHERE metric_date BETWEEN {mark} AND {mark} GROUP BY metric_date", bounds)
        rows = cursor.fetchall()
    return {date.fromisoformat(str(d)): (int(n), float(s)) for d, n, s in rows}


def check_volume(conn: Any, since: date, until: date, tolerance: float = DEFAULT_TOLERANCE) -> list[VolumeFinding]:
    """One finding per loaded day and measure that is off its trailing median, or that lacks the history."""
    totals = daily_totals(conn, since - timedelta(days=TRAILING_DAYS), until)
    findings = []
    day = since
    while day <= until:
        if day in totals:
            history = [totals[d] for d in (day - timedelta(days=i) for i in range(1, TRAILING_DAYS + 1))
                       if d in totals]
            for index, measure in enumerate(("rows", "spend_reporting")):
                value = totals[day][index]
                if len(history) < TRAILING_DAYS:
                    findings.append(VolumeFinding(day, measure, value, None, len(history), failed=False))
                    continue
                middle = median(h[index] for h in history)
                if middle == 0:
                    if value:
                        findings.append(VolumeFinding(day, measure, value, middle, len(history), failed=False))
                elif not 1 / (1 + tolerance) <= value / middle <= 1 + tolerance:
                    findings.append(VolumeFinding(day, measure, value, middle, len(history), failed=True))
        day += timedelta(days=1)
    return findings
