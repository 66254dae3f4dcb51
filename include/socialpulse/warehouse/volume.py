"""A day's row count and spend against its trailing week: anomalies are findings, only a broken feed stops.

Ordinary volatility (a campaign launched or paused, a Black Friday spike) is
not an error: a day off its trailing 7-day median by more than the tolerance (a
ratio both ways: with 0.75, above 1.75x or below 1/1.75 of it) is recorded once in
`data_quality_findings` as a warning, and the next runs, whose look-back windows
cover the same day again, do not report it again. The run stops only for what
must stop the data: its own day missing while the trailing week had rows, or its
spend falling to (at most `stop_spend_share` of) the trailing median while the
campaigns still deliver impressions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median
from typing import Any

from socialpulse.warehouse.dialect import SQLITE, dialect_of, placeholder, transaction
from socialpulse.warehouse.findings import Finding, record_findings

TRAILING_DAYS = 7
DEFAULT_TOLERANCE = 0.75
DEFAULT_STOP_SPEND_SHARE = 0.0
ENTITY = "campaign_metrics_daily"
MEASURES = ("rows", "spend_reporting")


@dataclass(frozen=True)
class DayTotals:
    rows: int
    spend_reporting: float | None  # None: some of the day's spend is not converted yet (no exchange rates)
    impressions: int


def daily_totals(conn: Any, since: date, until: date) -> dict[date, DayTotals]:
    """Rows, spend in the reporting currency and impressions of campaign_metrics_daily per day in [since, until]."""
    dialect = dialect_of(conn)
    mark = placeholder(dialect)
    bounds = (since.isoformat(), until.isoformat()) if dialect == SQLITE else (since, until)
    with transaction(conn, dialect) as cursor:
        cursor.execute(
            f"SELECT metric_date, COUNT(*), CASE WHEN COUNT(spend_reporting) < COUNT(spend) THEN NULL "
            f"ELSE COALESCE(SUM(spend_reporting), 0) END, COALESCE(SUM(impressions), 0) FROM {ENTITY} "
            f"WHERE metric_date BETWEEN {mark} AND {mark} GROUP BY metric_date",
            bounds,
        )
        rows = cursor.fetchall()
    return {
        date.fromisoformat(str(d)): DayTotals(int(n), None if s is None else float(s), int(i)) for d, n, s, i in rows
    }


def _trailing(totals: dict[date, DayTotals], day: date) -> list[DayTotals]:
    return [totals[d] for d in (day - timedelta(days=i) for i in range(1, TRAILING_DAYS + 1)) if d in totals]


def anomalies(totals: dict[date, DayTotals], since: date, until: date, tolerance: float) -> list[Finding]:
    """Warnings for each day in [since, until] whose rows or spend leave the band around its trailing median.

    A day with fewer than TRAILING_DAYS earlier days, or a median of 0, has no band yet; nor has
    spend on or around a day whose spend is not all converted yet (no exchange rates).
    """
    found = []
    day = since
    while day <= until:
        history = _trailing(totals, day)
        if day in totals and len(history) == TRAILING_DAYS:
            for metric in MEASURES:
                value, past = getattr(totals[day], metric), [getattr(h, metric) for h in history]
                if value is None or None in past:
                    continue
                middle = median(past)
                low, high = middle / (1 + tolerance), middle * (1 + tolerance)
                if middle and not low <= value <= high:
                    found.append(
                        Finding(
                            ENTITY,
                            day,
                            metric,
                            "trailing_median",
                            value,
                            low,
                            high,
                            "warning",
                            f"{day} {metric}={value:g} vs trailing {TRAILING_DAYS}-day median "
                            f"{middle:g} ({value / middle - 1:+.0%})",
                        )
                    )
        day += timedelta(days=1)
    return found


def stops(totals: dict[date, DayTotals], run_day: date, stop_spend_share: float) -> list[Finding]:
    """Errors that must stop the run: its own day missing, or its spend gone while campaigns deliver."""
    history = _trailing(totals, run_day)
    if run_day not in totals:
        trailing_rows = sum(h.rows for h in history)
        if not trailing_rows:
            return []
        return [
            Finding(
                ENTITY,
                run_day,
                "rows",
                "run_day_missing",
                0,
                1,
                None,
                "error",
                f"no campaign rows for the run's day {run_day} while the {TRAILING_DAYS} days before it "
                f"had {trailing_rows}: an account or the whole feed is missing",
            )
        ]
    today = totals[run_day]
    converted = [h.spend_reporting for h in history if h.spend_reporting is not None]
    spend_median = median(converted) if converted else 0.0
    floor = spend_median * stop_spend_share
    if today.spend_reporting is None:  # not converted yet: its spend is unknown, not stopped
        return []
    if today.impressions > 0 and spend_median > 0 and today.spend_reporting <= floor:
        return [
            Finding(
                ENTITY,
                run_day,
                "spend_reporting",
                "spend_stopped",
                today.spend_reporting,
                floor,
                None,
                "error",
                f"spend on {run_day} is {today.spend_reporting:g} while campaigns delivered "
                f"{today.impressions} impressions and the trailing median was {spend_median:g}",
            )
        ]
    return []


def check_volume(
    conn: Any,
    run_day: date,
    since: date,
    until: date,
    run_id: str,
    tolerance: float = DEFAULT_TOLERANCE,
    stop_spend_share: float = DEFAULT_STOP_SPEND_SHARE,
) -> tuple[list[Finding], list[Finding]]:
    """(findings recorded for the first time by this call, errors that must stop the run) over [since, until]."""
    totals = daily_totals(conn, min(since, run_day) - timedelta(days=TRAILING_DAYS), max(until, run_day))
    errors = stops(totals, run_day, stop_spend_share)
    new = record_findings(conn, [*anomalies(totals, since, until, tolerance), *errors], run_id)
    return new, errors
