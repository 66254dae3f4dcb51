"""User profiles (用户画像) as of a day: demographics, engagement, topic affinities and RFM, one row per person.

An engagement event carries no time of its own (platforms do not say when a like
happened), so it is dated by its post's creation: "engagement over the last 7 days"
means engagement with the posts of the last 7 days. Identity is resolved here, with
the newest CRM links: an event cleaned before the CRM linked a platform id carries that
id's own pseudonym, which the users' `<platform>_pseudonym` columns map to the person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from socialpulse.audience.entities import (
    AGE_BANDS,
    ENGAGEMENT_COLUMNS,
    ORDER_WINDOW_DAYS,
    TOPIC_COLUMNS,
    USER_PROFILES,
    WINDOWS,
)
from socialpulse.transforms.entities import PLATFORMS
from socialpulse.transforms.topics import OTHER, TOPICS

_AGE_EDGES = (13, 18, 25, 35, 45, 55, 65, 200)


RESOLVED_EVENT_COLUMNS = ("platform", "post_id", "person_id", "kind", "posted_at", "topic")


@dataclass(frozen=True)
class AudienceInputs:
    """What profiles are built from: the clean zone's users, orders, engagement events and posts."""

    users: pd.DataFrame  # the newest crm_users partition: one row per person
    orders: pd.DataFrame  # every crm_orders partition, deduplicated by order_id
    events: pd.DataFrame  # platform, post_id, person_id (resolved), kind, posted_at, topic
    unmatched_events: int = 0  # events on posts the lake has no snapshot of

    @classmethod
    def resolve(
        cls, users: pd.DataFrame, orders: pd.DataFrame, events: pd.DataFrame, posts: pd.DataFrame
    ) -> AudienceInputs:
        """Join events to their posts (time, topic) and map pre-link pseudonyms to the CRM person."""
        joined, unmatched = resolve_events(users, events, posts)
        return cls.of(users, orders, joined, unmatched)

    @classmethod
    def of(
        cls, users: pd.DataFrame, orders: pd.DataFrame, events: pd.DataFrame, unmatched_events: int = 0
    ) -> AudienceInputs:
        """Inputs whose events are resolved already, each row once: an event per (platform, post, person, kind),
        the newest row of an order and of a user (frames come oldest partition first)."""
        events = events.drop_duplicates(["platform", "post_id", "person_id", "kind"]).reset_index(drop=True)
        orders = orders.drop_duplicates("order_id", keep="last")
        users = users.drop_duplicates("person_id", keep="last")
        return cls(users.reset_index(drop=True), orders.reset_index(drop=True), events, unmatched_events)


def resolve_events(users: pd.DataFrame, events: pd.DataFrame, posts: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """(events joined to their posts' time and topic, each pre-link pseudonym mapped to its CRM person by the users'
    `<platform>_pseudonym` columns; how many were on posts without a snapshot, left out). Not deduplicated: two
    pseudonyms of one person may have engaged with one post, which AudienceInputs.of counts once."""
    parts = [
        users[[f"{p}_pseudonym", "person_id"]].set_axis(["alias", "person_id"], axis=1)
        for p in sorted(PLATFORMS)
        if f"{p}_pseudonym" in users
    ]  # absent from drops cleaned before them
    links = pd.concat(parts).dropna() if parts else pd.DataFrame(columns=["alias", "person_id"])
    alias = dict(zip(links["alias"], links["person_id"], strict=True))
    # frames come oldest partition first: a stable order keeps the newest snapshot or version of each
    posts = posts.drop_duplicates(["platform", "post_id"], keep="last")[
        ["platform", "post_id", "created_at", "topic"]
    ].rename(columns={"created_at": "posted_at"})
    joined = events[["platform", "post_id", "person_id", "kind"]].merge(posts, on=["platform", "post_id"], how="left")
    unmatched = int(joined["posted_at"].isna().sum())
    joined = joined.dropna(subset=["posted_at"])
    joined["person_id"] = joined["person_id"].map(lambda p: alias.get(p, p))
    joined["topic"] = joined["topic"].fillna(OTHER)
    return joined.reset_index(drop=True)[list(RESOLVED_EVENT_COLUMNS)], unmatched


def age_band(age: pd.Series) -> pd.Series:
    bands = pd.cut(age.astype("Float64").astype(float), _AGE_EDGES, right=False, labels=AGE_BANDS)
    return bands.astype("string")


def _end_of(as_of: date) -> pd.Timestamp:
    return pd.Timestamp(as_of + timedelta(days=1), tz="UTC")


def engagement_counts(
    events: pd.DataFrame, as_of: date, settle_days: int = 0, topic_days: int = max(WINDOWS)
) -> pd.DataFrame:
    """Per person: events per platform, kind and window, and in all; topic shares over `topic_days`.

    With `settle_days`, windows end that many days before the as-of date's end: a post's engagers keep arriving for
    two days after it is posted, so a snapshot read later would otherwise count engagement from after it."""
    end = _end_of(as_of) - pd.Timedelta(days=settle_days)
    seen = events[(events["posted_at"] < end) & (events["posted_at"] >= end - pd.Timedelta(days=max(WINDOWS)))]
    age_days = (end - seen["posted_at"]).dt.total_seconds() / 86_400
    columns = {}
    for days in WINDOWS:
        recent = seen[age_days <= days]
        by = recent.groupby(["person_id", "platform", "kind"]).size().unstack(["platform", "kind"], fill_value=0)
        for column in ENGAGEMENT_COLUMNS:
            platform, kinds, window = column.split("_")
            if window == f"{days}d":
                key = (platform, kinds.removesuffix("s"))
                columns[column] = by[key] if key in by else pd.Series(dtype="int64")
        columns[f"engagements_{days}d"] = recent.groupby("person_id").size()
    counts = pd.DataFrame(columns).fillna(0).astype("int64")
    topics = seen[age_days <= topic_days].groupby(["person_id", "topic"]).size().unstack(fill_value=0)
    topics = topics.reindex(columns=list(TOPICS), fill_value=0)
    shares = topics.div(topics.sum(axis=1), axis=0).set_axis(list(TOPIC_COLUMNS), axis=1)
    return counts.join(shares, how="outer")


def order_features(orders: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Recency, frequency and monetary value of each person's orders up to the as-of date."""
    end = _end_of(as_of)
    known = orders[orders["ordered_at"] < end]
    recent = known[known["ordered_at"] >= end - pd.Timedelta(days=90)]
    window = known[known["ordered_at"] >= end - pd.Timedelta(days=ORDER_WINDOW_DAYS)].groupby("person_id")
    grouped = known.groupby("person_id")
    rfm = pd.DataFrame(
        {
            "orders_total": grouped.size(),
            "orders_90d": recent.groupby("person_id").size(),
            f"orders_{ORDER_WINDOW_DAYS}d": window.size(),
            f"monetary_{ORDER_WINDOW_DAYS}d": window["amount_reporting"].sum().astype(float),
            "recency_days": (
                pd.Timestamp(as_of)
                - grouped["ordered_at"].max().dt.tz_convert("UTC").dt.tz_localize(None).dt.normalize()
            ).dt.days,  # calendar days: 0 = ordered on the as-of date
            "monetary_total": grouped["amount_reporting"].sum().astype(float),
        }
    )
    rfm[["orders_90d", f"orders_{ORDER_WINDOW_DAYS}d"]] = rfm[["orders_90d", f"orders_{ORDER_WINDOW_DAYS}d"]].fillna(0)
    rfm[f"monetary_{ORDER_WINDOW_DAYS}d"] = rfm[f"monetary_{ORDER_WINDOW_DAYS}d"].fillna(0.0)
    rfm["avg_order_value"] = rfm["monetary_total"] / rfm["orders_total"]
    return rfm


def build_profiles(
    inputs: AudienceInputs, as_of: date, settle_days: int = 0, topic_days: int = max(WINDOWS)
) -> pd.DataFrame:
    """One row per person known by the as-of date, in USER_PROFILES' columns (segment_id left null); `settle_days`
    and `topic_days` as engagement_counts takes them."""
    users = inputs.users[pd.to_datetime(inputs.users["signup_date"]).dt.date <= as_of].set_index("person_id")
    engagement = engagement_counts(inputs.events, as_of, settle_days, topic_days)
    rfm = order_features(inputs.orders, as_of)
    people = users.index.union(engagement.index).union(rfm.index)
    frame = pd.DataFrame(index=people.rename("person_id"))
    frame["as_of_date"] = as_of
    frame["in_crm"] = frame.index.isin(users.index)
    frame = frame.join(users[["age", "gender", "country"]])
    frame["age"] = frame["age"].astype("Int64")
    frame["age_band"] = age_band(frame["age"])
    frame = frame.join(engagement).join(rfm)
    orders = ["orders_total", "orders_90d", f"orders_{ORDER_WINDOW_DAYS}d"]
    counts = [*ENGAGEMENT_COLUMNS, *(f"engagements_{d}d" for d in WINDOWS), *orders]
    frame[counts] = frame[counts].fillna(0).astype("int64")
    for money in ("monetary_total", f"monetary_{ORDER_WINDOW_DAYS}d"):
        frame[money] = frame[money].fillna(0.0)
    for platform in sorted(PLATFORMS):
        linked = (
            users[f"linked_{platform}"].reindex(frame.index).fillna(False).astype(bool)
            if f"linked_{platform}" in users
            else False
        )
        engaged = frame[[c for c in ENGAGEMENT_COLUMNS if c.startswith(f"{platform}_") and c.endswith("90d")]]
        frame[f"on_{platform}"] = linked | (engaged.sum(axis=1) > 0)
    frame["linked_platforms"] = frame[[f"on_{p}" for p in sorted(PLATFORMS)]].sum(axis=1).astype("int64")
    signup = pd.to_datetime(users["signup_date"]).reindex(frame.index)
    frame["tenure_days"] = (pd.Timestamp(as_of) - signup).dt.days.astype("Int64")
    shares = frame[list(TOPIC_COLUMNS)]
    frame["top_topics"] = _top_topics(shares)
    frame["recency_days"] = frame["recency_days"].astype("Int64")
    frame["segment_id"] = pd.array([pd.NA] * len(frame), dtype="Int64")
    return frame.reset_index()[list(USER_PROFILES.names)]


def _top_topics(shares: pd.DataFrame, n: int = 3) -> pd.Series:
    values = shares.fillna(0).to_numpy()
    order = np.argsort(-values, axis=1, kind="stable")[:, :n]
    names = [c.removeprefix("topic_") for c in shares.columns]
    return pd.Series(
        [", ".join(names[j] for j in row if values[i, j] > 0) or None for i, row in enumerate(order)],
        index=shares.index,
        dtype="string",
    )
