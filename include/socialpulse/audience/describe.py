"""Segments in words and figures: what sets each apart from the whole audience, from its members.

A segment is described by its over-represented attributes, not its most common ones: the
US is the most common country of every segment, so "US" tells them apart from nothing.
`representation` gives, per segment and attribute, the share of its members with the
attribute over the share of everyone (2.0: twice as common as in the whole audience); the
description names the largest of these, and the report draws all of them as a heat map.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from socialpulse.audience.buckets import summed
from socialpulse.audience.entities import AUDIENCE_SEGMENTS, MIN_PUBLISHED, TOPIC_COLUMNS
from socialpulse.transforms.entities import PLATFORMS
from socialpulse.transforms.topics import OTHER

PLATFORM_NAMES = {"facebook": "Facebook", "instagram": "Instagram", "x": "X"}
CONVERSION_DAYS = 30
DISTINCT = 1.25  # an attribute sets a segment apart at this ratio or more
COMMON = 0.15  # ... and when at least this share of its members have it (a topic: of their engagement)
NAMED = 5  # attributes in a description
PER_KIND = {"country": 2, "topic": 2}  # of other kinds (age band, platform, engagement level...): one
PROFILE_COLUMNS = ["segment_id", *(f"on_{p}" for p in sorted(PLATFORMS)), "orders_total", *TOPIC_COLUMNS]


DESCRIBED = (("age", "age_band"), ("country", "country"), ("gender", "gender"))  # (kind, column): one value each
SCALE_COLUMNS = ["engagements_90d", *(column for _, column in DESCRIBED)]


@dataclass(frozen=True)
class Scale:
    """What attributes() takes from everyone, not from the rows at hand: the engagement tertiles, and the values of
    each DESCRIBED column (so that rows read in batches have the same attributes)."""

    low: float
    high: float
    values: dict[str, list[str]]

    @classmethod
    def of(cls, profiles: pd.DataFrame) -> Scale:
        """Of everyone's SCALE_COLUMNS."""
        return cls.summed([profiles])

    @classmethod
    def summed(cls, parts: Iterable[pd.DataFrame]) -> Scale:
        """Of everyone's SCALE_COLUMNS, read in parts: how many people have each engagement count (the tertiles,
        exactly as of the counts themselves) and each column's values, tallied part by part."""
        counts: pd.Series | None = None
        values: dict[str, set[str]] = {column: set() for _, column in DESCRIBED}
        for part in parts:
            counts = summed(counts, part["engagements_90d"].dropna().astype(float).value_counts())
            for _, column in DESCRIBED:
                values[column] |= {str(v) for v in part[column].astype("string").dropna().unique()}
        low, high = (_quantile(counts, q) for q in (1 / 3, 2 / 3))
        return cls(low, high, {column: sorted(found) for column, found in values.items()})


def _quantile(counts: pd.Series | None, q: float) -> float:
    """The q-quantile of the values `counts` counts (value -> how many), as pandas' quantile of the values one by
    one (linear between the two nearest); NaN of none."""
    if counts is None or not counts.sum():
        return float("nan")
    counts = counts.sort_index()
    position = q * (counts.sum() - 1)
    cumulative, values = counts.cumsum().to_numpy(), counts.index.to_numpy(dtype=float)
    below = np.floor(position)
    lower, upper = (values[np.searchsorted(cumulative, k, side="right")] for k in (below, np.ceil(position)))
    return float(lower + (upper - lower) * (position - below))


def attributes(profiles: pd.DataFrame, scale: Scale | None = None) -> pd.DataFrame:
    """Per profile, 0/1 (or a share, for topics) for each attribute a segment may be described by; columns are
    (kind, value) pairs. The scale is the profiles' own unless given."""
    scale = scale or Scale.of(profiles)
    columns: dict[tuple[str, str], pd.Series] = {}
    for kind, column in DESCRIBED:
        known = profiles[column].astype("string")
        for value in scale.values[column]:
            columns[(kind, value)] = (known == value).astype("Float64").where(known.notna()).astype(float)
    for platform in sorted(PLATFORMS):
        columns[("platform", PLATFORM_NAMES[platform])] = profiles[f"on_{platform}"].astype(float)
    columns[("orders", "buyer")] = (profiles["orders_total"] > 0).astype(float)
    for column in TOPIC_COLUMNS:
        if column != f"topic_{OTHER}":
            columns[("topic", column.removeprefix("topic_"))] = profiles[column].astype("Float64").astype(float)
    engaged = profiles["engagements_90d"]
    columns[("engagement", "high engagement")] = (engaged > scale.high).astype(float)
    columns[("engagement", "low engagement")] = (engaged <= scale.low).astype(float)
    return pd.DataFrame(columns, index=profiles.index)


class Representation:
    """representation() of profiles that come in batches (add), everyone's Scale known first: every figure is a
    sum over people and a count of those known."""

    def __init__(self, scale: Scale) -> None:
        self.scale = scale
        self.sums = self.counts = pd.DataFrame()  # per segment and attribute: of the members' values, known ones
        self.total_sums = self.total_counts = pd.Series(dtype=float)  # per attribute, over everyone
        self.sizes = pd.Series(dtype="int64")  # members per segment

    def add(self, profiles: pd.DataFrame) -> None:
        table = attributes(profiles, self.scale)
        segments = table.groupby(profiles["segment_id"])
        self.sums = self.sums.add(segments.sum(), fill_value=0)
        self.counts = self.counts.add(segments.count(), fill_value=0)
        self.total_sums = self.total_sums.add(table.sum(), fill_value=0)
        self.total_counts = self.total_counts.add(table.count(), fill_value=0)
        self.sizes = self.sizes.add(segments.size(), fill_value=0)

    def result(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(ratio, share), as representation()."""
        columns = attributes(pd.DataFrame(columns=[*SCALE_COLUMNS, *PROFILE_COLUMNS]), self.scale).columns
        overall = (self.total_sums / self.total_counts).reindex(columns)
        published = self.sizes[self.sizes >= MIN_PUBLISHED].sort_index().index
        share = (self.sums / self.counts).reindex(index=published, columns=columns)
        return share / overall.replace(0, np.nan), share


def representation(profiles: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(ratio, share): per published segment (rows) and attribute (columns), the share of members with the attribute
    over everyone's share, and the members' share itself. Unknown values are left out of both shares."""
    described = Representation(Scale.of(profiles))
    described.add(profiles)
    return described.result()


def distinguishing(ratio: pd.Series, share: pd.Series) -> list[tuple[str, str, float]]:
    """(kind, value, ratio) of the NAMED attributes that set a segment apart most, at most PER_KIND of a kind (one age
    band, two topics), largest ratio first."""
    found: list[tuple[str, str, float]] = []
    candidates = ratio[(ratio >= DISTINCT) & (share >= COMMON)].sort_values(ascending=False, kind="stable")
    for (kind, value), r in candidates.items():
        if sum(k == kind for k, _, _ in found) < PER_KIND.get(str(kind), 1):
            found.append((str(kind), str(value), float(r)))
    return found[:NAMED]


def describe_segments(
    profiles: pd.DataFrame, best_times: pd.DataFrame, as_of: date, model_version: str
) -> pd.DataFrame:
    """One row per segment of at least MIN_PUBLISHED people, in AUDIENCE_SEGMENTS' columns (SegmentFigures, everyone
    at hand).

    `profiles` carry segment_id; `best_times` is indexed by segment_id with best_platform and best_hour.
    """
    figures = SegmentFigures(Scale.of(profiles))
    figures.add(profiles)
    return figures.described(best_times, as_of, model_version)


class SegmentFigures:
    """What describes each segment, of profiles that come in batches (add), everyone's Scale known first: its
    representation, size, people who bought in CONVERSION_DAYS, and its buyers' spend and orders, all sums."""

    def __init__(self, scale: Scale) -> None:
        self.represented = Representation(scale)
        self.people = 0
        self.converted = self.spent = self.orders = self.buyers = pd.Series(dtype=float)

    def add(self, profiles: pd.DataFrame) -> None:
        self.represented.add(profiles)
        self.people += len(profiles)
        segment = profiles["segment_id"]
        bought = profiles["orders_total"] > 0
        sums = {
            "converted": (profiles["recency_days"] < CONVERSION_DAYS).fillna(False).astype(int).groupby(segment).sum(),
            "spent": profiles.loc[bought, "monetary_total"].astype(float).groupby(segment[bought]).sum(),
            "orders": profiles.loc[bought, "orders_total"].astype(float).groupby(segment[bought]).sum(),
            "buyers": bought.groupby(segment).sum(),
        }
        for name, part in sums.items():
            setattr(self, name, getattr(self, name).add(part, fill_value=0))

    def described(self, best_times: pd.DataFrame, as_of: date, model_version: str) -> pd.DataFrame:
        """describe_segments' frame."""
        ratio, share = self.represented.result()
        rows = []
        for segment_id in ratio.index:
            apart = distinguishing(ratio.loc[segment_id], share.loc[segment_id])
            named = {kind: [v for k, v, _ in apart if k == kind] for kind in ("age", "country", "platform", "topic")}
            level = next((v.split()[0] for k, v, _ in apart if k == "engagement"), "medium")
            size = int(self.represented.sizes[segment_id])
            times = best_times.loc[segment_id] if segment_id in best_times.index else None
            rows.append(
                {
                    "as_of_date": as_of,
                    "segment_id": int(segment_id),
                    "size": size,
                    "share": size / self.people,
                    "description": " · ".join(f"{value} ({r:.1f}x)" for _, value, r in apart)
                    or "much like the whole audience",
                    "age_band": named["age"][0] if named["age"] else None,
                    "countries": ", ".join(named["country"]),
                    "platform": next(
                        (p for p, name in PLATFORM_NAMES.items() if named["platform"] and name == named["platform"][0]),
                        None,
                    ),
                    "topics": ", ".join(named["topic"]),
                    "engagement_level": level,
                    "conversion_rate": float(self.converted.get(segment_id, 0) / size),
                    "avg_order_value": float(self.spent[segment_id] / self.orders[segment_id])
                    if self.buyers.get(segment_id, 0)
                    else None,
                    "best_platform": None if times is None else times["best_platform"],
                    "best_hour": None if times is None or pd.isna(times["best_hour"]) else times["best_hour"],
                    "model_version": model_version,
                }
            )
        return pd.DataFrame(rows, columns=list(AUDIENCE_SEGMENTS.names))
