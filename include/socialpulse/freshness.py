"""Whether a source's data is as fresh as its target: day D loaded by a set UTC hour of D+1."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypedDict, cast

from socialpulse.bounded_input import load_json
from socialpulse.errors import DeclarationError, Name, describe, unknown

EXAMPLE = '{"crm_daily": 9}'


def targets(defaults: Mapping[str, int], overrides: str | Mapping[str, Any] | None, setting: str) -> dict[str, int]:
    """Each source's target hour: the defaults, with the hours a setting (JSON object or mapping) overrides.

    A source the defaults do not know or an hour outside 0-23 is an error naming `setting`:
    a typo would otherwise leave a source on its default without anyone noticing.
    """
    if overrides is None or overrides == "":
        return dict(defaults)
    if isinstance(overrides, str):
        try:
            overrides = load_json(overrides, setting)
        except DeclarationError as error:
            raise DeclarationError(
                "{error}: write an object such as {example}", error=Name(str(error)), example=Name(EXAMPLE)
            ) from None
    if not isinstance(overrides, Mapping):
        raise DeclarationError(
            "{setting} must be a JSON object of source DAG to UTC hour, such as {example}; it is {got}",
            setting=Name(setting),
            example=Name(EXAMPLE),
            got=describe(overrides),
        )
    strangers = sorted(str(k) for k in set(overrides) - set(defaults))
    if strangers:
        raise DeclarationError(
            "{setting} names {count} {keys} that {verb} not a source DAG ({what}): use {sources}",
            keys=Name("key" if len(strangers) == 1 else "keys"),
            setting=Name(setting),
            count=len(strangers),
            verb=Name("is" if len(strangers) == 1 else "are"),
            what=Name("; ".join(unknown(k, defaults) for k in strangers[:3])),
            sources=Name(", ".join(sorted(defaults))),
        )
    bad = sorted(k for k, v in overrides.items() if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 23)
    if bad:
        raise DeclarationError(
            "{setting}: the hour of {sources} must be a whole UTC hour from 0 to 23 of the day after the data's day",
            setting=Name(setting),
            sources=Name(", ".join(bad)),
        )
    return {**defaults, **overrides}


class Freshness(TypedDict):
    """What `freshness` tells of a source."""

    last_day: date | None
    due_day: date
    on_time: bool
    late_hours: float | None


def due_at(day: date, target_hour: int) -> datetime:
    """When day D must be loaded: target_hour (UTC) of D+1."""
    return datetime.combine(day + timedelta(days=1), time(target_hour), tzinfo=UTC)


def freshness(last_day: date | None, target_hour: int, now: datetime) -> Freshness:
    """The newest loaded day against the target: the day that should be there by now, and how late it is.

    At `now` the newest day due is the one whose due time has passed; `late_hours` counts
    from the due time of the first day missing.
    """
    due_day = (now - timedelta(hours=target_hour)).date() - timedelta(days=1)
    if last_day is not None and last_day >= due_day:
        return {"last_day": last_day, "due_day": due_day, "on_time": True, "late_hours": 0.0}
    late: float | None = None
    if last_day is not None:
        late = (now - due_at(last_day + timedelta(days=1), target_hour)).total_seconds() / 3600
    return {"last_day": last_day, "due_day": due_day, "on_time": False, "late_hours": late}


def missed_between(last_day: date | None, target_hour: int, start: datetime, end: datetime) -> date | None:
    """The newest day whose due time falls in [start, end) and that is not loaded, else None.

    A check run once per interval names each missed day once, at the interval its target passed in;
    a window reaching back to the last successful check (after the scheduler was down) names the
    newest day that fell due while nobody checked.
    """
    day = (end - timedelta(microseconds=1, hours=target_hour)).date() - timedelta(days=1)  # the newest due before end
    if due_at(day, target_hour) < start:
        return None
    return day if last_day is None or last_day < day else None


def newest_day(newest_loaded: dict[str, date], entities: tuple[str, ...]) -> date | None:
    """A source's newest loaded day: the oldest of its entities' newest loaded days (all must be there)."""
    days = [newest_loaded.get(entity) for entity in entities]
    return None if not days or None in days else min(cast(list[date], days))


def newest_loaded_days(conn: Any) -> dict[str, date]:
    """Each entity's newest loaded day in the warehouse's pipeline_audit: audited, and its run's load succeeded."""
    cursor = conn.cursor()
    cursor.execute("SELECT entity, max(ds) FROM pipeline_audit WHERE loaded_at IS NOT NULL GROUP BY entity")
    return {entity: date.fromisoformat(str(day)[:10]) for entity, day in cursor.fetchall()}
