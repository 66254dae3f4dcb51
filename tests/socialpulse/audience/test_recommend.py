"""Recommendations: own engagement with recency, shrunk toward the segment's profile; the offline figures per group;
best platform by a like-for-like index."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import pytest

from socialpulse.audience import recommend
from socialpulse.audience.entities import TOPIC_COLUMNS
from socialpulse.transforms.topics import TOPICS

AS_OF = date(2026, 11, 3)


def events(rows: list[tuple[str, str, str]], platform: str = "x") -> pd.DataFrame:
    """(person, topic, posted day) -> engagement events."""
    return pd.DataFrame(
        [
            {
                "person_id": p,
                "topic": t,
                "platform": platform,
                "post_id": f"{t}-{d}",
                "kind": "like",
                "posted_at": pd.Timestamp(d, tz="UTC"),
            }
            for p, t, d in rows
        ]
    )


def profiles(people: list[str], in_crm: bool = True) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "person_id": people,
            "in_crm": in_crm,
            "age": pd.array([30] * len(people), dtype="Int64"),
            "avg_order_value": np.nan,
            "orders_total": 0,
            "engagements_90d": 0,
            "country": "US",
            "on_facebook": False,
            "on_instagram": False,
            "on_x": True,
            **{c: pd.array([pd.NA] * len(people), dtype="Float64") for c in TOPIC_COLUMNS},
            "segment_id": 0,
        }
    )


@dataclass
class OneClass:
    """A segment model stand-in: one class whose people engage with `favourite` ten times as often."""

    favourite: str

    @property
    def topic_mix(self) -> np.ndarray:
        mix = np.where(np.asarray(TOPICS) == self.favourite, 10.0, 1.0)
        return mix[None, :] / mix.sum()

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        return np.ones((len(frame), 1))


@dataclass
class Model:
    mixture: OneClass


def test_own_engagement_leads_and_the_segment_profile_fills_in():
    history = events([("a", "fashion", "2026-10-20")] * 6 + [("b", "music", "2026-10-30")])
    people = profiles(["a", "b", "c"])
    blend = recommend.Blend(half_life_days=30, prior_weight=4, item_weight=0)
    recs = recommend.recommend(history, people, Model(OneClass("news")), AS_OF, blend)
    first = recs[recs["rank"] == 1].set_index("person_id")
    assert first.loc["a", "topic"] == "fashion" and first.loc["a", "source"] == "engagement"
    b = recs[recs["person_id"] == "b"].sort_values("rank")["topic"].tolist()
    assert b[:2] == ["news", "music"]  # one engagement counts less than the segment's four
    assert first.loc["c", "topic"] == "news" and first.loc["c", "source"] == "segment_profile"
    assert len(recs) == 9 and recs.groupby("person_id")["score"].apply(lambda s: s.is_monotonic_decreasing).all()


def test_newer_engagement_weighs_more():
    history = events([("a", "music", "2026-08-20")] * 4 + [("a", "fashion", "2026-11-02")] * 3)
    people = profiles(["a"])
    recent_first = recommend.Blend(half_life_days=7, prior_weight=1, item_weight=0)
    plain = recommend.Blend(half_life_days=365_000, prior_weight=1, item_weight=0)
    top = {
        b: recommend.recommend(history, people, Model(OneClass("news")), AS_OF, b)["topic"].iloc[0]
        for b in (recent_first, plain)
    }
    assert top == {recent_first: "fashion", plain: "music"}


def test_the_figures_split_history_from_cold_start_and_choose_the_blend_on_the_week_before():
    history = [(p, "fashion", f"2026-10-{d:02d}") for p in ("a", "b") for d in range(1, 16)]
    validation = [("a", "fashion", "2026-10-24"), ("c", "food", "2026-10-25")]
    test = [("a", "fashion", "2026-10-31"), ("b", "music", "2026-11-01"), ("c", "news", "2026-11-02")]
    people = profiles(["a", "b", "c"])
    blend, figures = recommend.evaluate(events(history + validation + test), people, Model(OneClass("news")), AS_OF)
    assert blend in recommend.BLENDS and figures["validation"]["people"] == 2 and figures["blend"]["prior_weight"] > 0
    model, popular = figures["model"], figures["popularity"]
    assert (model["people"], model["history"]["people"], model["cold_start"]["people"]) == (3, 2, 1)
    assert model["cold_start"]["hit_rate_at_3"] == 1.0  # c: nothing of their own, news from the segment
    assert popular["cold_start"]["hit_rate_at_3"] == 0.0  # everyone's favourite is fashion
    assert model["history"]["hit_rate_at_3"] == 1.0  # a: fashion; b: music among the three next to fashion and news
    assert 0 < model["ndcg_at_3"] <= model["hit_rate_at_3"]


def test_quality_counts_a_hit_and_discounts_its_rank():
    found = recommend.quality(
        {"a": ["news", "music", "food"], "b": ["tech", "deals", "home"]}, {"a": {"music"}, "b": {"x"}}
    )
    assert found["hit_rate_at_3"] == 0.5 and found["ndcg_at_3"] == pytest.approx(0.5 / np.log2(3))


def test_best_platform_compares_each_platform_with_its_own_average_and_says_unknown_without_data():
    # segment 0 leaves few comments on Facebook but more per member than others there; X likes are many for everyone
    x = events([(p, "music", "2026-10-01 20:00") for p in ("a", "b", "c", "d") for _ in range(10)])
    facebook = events([("a", "music", "2026-10-01 20:00")] * 2, platform="facebook")
    people = profiles(["a", "b", "c", "d", "e"])
    people["segment_id"] = [0, 1, 1, 1, 2]
    people["on_facebook"] = [True, True, True, True, False]
    posts = pd.DataFrame(
        {"platform": ["x", "facebook"], "created_at": pd.to_datetime(["2026-10-01 20:00"] * 2, utc=True)}
    )
    best = recommend.best_times(pd.concat([x, facebook], ignore_index=True), people, posts)
    assert best.loc[0, "best_platform"] == "facebook" and best.loc[1, "best_platform"] == "x"
    assert best.loc[2, "best_platform"] == "unknown" and best.loc[0, "best_hour"] == 20


def test_a_split_tallies_arrays_as_it_reports_lists_by_person():
    rng = np.random.default_rng(3)
    people = [f"p{i}" for i in range(300)]
    picks = rng.integers(0, len(people), 3000)
    topics = np.asarray(TOPICS)[rng.integers(0, len(TOPICS), len(picks))]
    days = pd.Timestamp("2026-09-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 63, len(picks)), unit="D")
    engaged = pd.DataFrame(
        {"person_id": np.asarray(people)[picks], "topic": topics, "platform": "x", "post_id": "p", "kind": "like"}
    ).assign(posted_at=days)
    known = profiles(people).assign(in_crm=rng.random(len(people)) < 0.5)
    split = recommend.Split.at(
        engaged, known, Model(OneClass("news")), recommend.Everyone.of(engaged, date(2026, 10, 20))
    )
    top = np.argsort(rng.random((len(people), len(recommend.CANDIDATES))), axis=1)[:, : recommend.TOP_N]
    tallies = {group: recommend.Tally() for group in recommend.GROUPS}
    split.tally(top, tallies)
    lists = dict(zip(people, np.asarray(recommend.CANDIDATES)[top].tolist(), strict=True))
    reported = split.report(lists)
    assert 0 < reported["cold_start"]["people"] < reported["history"]["people"]  # both groups are there
    tallied = recommend.report(tallies)
    for group in ("history", "cold_start"):
        assert tallied.pop(group) == pytest.approx(reported.pop(group)), group
    assert tallied == pytest.approx(reported)
