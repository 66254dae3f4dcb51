"""Segments in words and figures: what a marketer reads about each, from its members."""

from __future__ import annotations

from datetime import date

import pandas as pd

from socialpulse.audience.entities import AUDIENCE_SEGMENTS, MIN_PUBLISHED, TOPIC_COLUMNS
from socialpulse.transforms.entities import PLATFORMS
from socialpulse.transforms.topics import OTHER

PLATFORM_NAMES = {"facebook": "Facebook", "instagram": "Instagram", "x": "X"}
CONVERSION_DAYS = 30


def _top(values: pd.Series, n: int, at_least: float) -> list[str]:
    shares = values.value_counts(normalize=True)
    return [str(v) for v, s in shares.items() if s >= at_least][:n] or [str(v) for v in shares.index[:1]]


def describe_segments(
    profiles: pd.DataFrame, best_times: pd.DataFrame, as_of: date, model_version: str
) -> pd.DataFrame:
    """One row per segment of at least MIN_PUBLISHED people, in AUDIENCE_SEGMENTS' columns.

    `profiles` carry segment_id; `best_times` is indexed by segment_id with best_platform and best_hour.
    Engagement level compares the segment's median 90-day engagements with everyone's terciles.
    """
    low, high = profiles["engagements_90d"].quantile([1 / 3, 2 / 3])
    total = len(profiles)
    rows = []
    for segment_id, members in profiles.groupby("segment_id"):
        if len(members) < MIN_PUBLISHED:
            continue
        band = _top(members["age_band"].dropna(), 1, 0.0)[0] if members["age_band"].notna().any() else None
        countries = _top(members["country"].dropna(), 2, 0.2) if members["country"].notna().any() else []
        platform = max(sorted(PLATFORMS), key=lambda p: members[f"on_{p}"].mean())
        topic_shares = members[[c for c in TOPIC_COLUMNS if c != f"topic_{OTHER}"]].mean()
        topics = [
            c.removeprefix("topic_") for c in topic_shares.sort_values(ascending=False).index[:2] if topic_shares[c] > 0
        ]
        median = members["engagements_90d"].median()
        level = "high" if median > high else "low" if median <= low else "medium"
        buyers = members[members["orders_total"] > 0]
        words = [band, ", ".join(countries), PLATFORM_NAMES[platform], ", ".join(topics), f"{level} engagement"]
        times = best_times.loc[segment_id] if segment_id in best_times.index else None
        rows.append(
            {
                "as_of_date": as_of,
                "segment_id": int(segment_id),
                "size": len(members),
                "share": len(members) / total,
                "description": " · ".join(w for w in words if w),
                "age_band": band,
                "countries": ", ".join(countries),
                "platform": platform,
                "topics": ", ".join(topics),
                "engagement_level": level,
                "conversion_rate": float((members["recency_days"] < CONVERSION_DAYS).sum() / len(members)),
                "avg_order_value": float(buyers["monetary_total"].sum() / buyers["orders_total"].sum())
                if len(buyers)
                else None,
                "best_platform": None if times is None else times["best_platform"],
                "best_hour": None if times is None else times["best_hour"],
                "model_version": model_version,
            }
        )
    return pd.DataFrame(rows, columns=list(AUDIENCE_SEGMENTS.names))
