"""Whether a source's data is as fresh as its target: day D loaded by a set UTC hour of D+1."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta


def freshness(last_day: date | None, target_hour: int, now: datetime) -> dict:
    """The newest loaded day against the target: the day that should be there by now, and how late it is.

    Day D is due at target_hour of D+1, so at `now` the newest day due is the one whose due
    time has passed; `late_hours` counts from the due time of the first day missing.
    """
    due_day = (now - timedelta(hours=target_hour)).date() - timedelta(days=1)
    if last_day is not None and last_day >= due_day:
        return {"last_day": last_day, "due_day": due_day, "on_time": True, "late_hours": 0.0}
    first_missing = last_day + timedelta(days=1) if last_day is not None else None
    late = None
    if first_missing is not None:
        due_at = datetime.combine(first_missing + timedelta(days=1), time(target_hour), tzinfo=UTC)
        late = (now - due_at).total_seconds() / 3600
    return {"last_day": last_day, "due_day": due_day, "on_time": False, "late_hours": late}
