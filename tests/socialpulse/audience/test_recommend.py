"""Recommendations: item-based collaborative filtering, the segment fallback, and the offline figures."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from socialpulse.audience import recommend

AS_OF = date(2026, 11, 3)


def events(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    """(person, topic, posted day) -> engagement events."""
    return pd.DataFrame(
        [
            {
                "person_id": p,
                "topic": t,
                "platform": "x",
                "post_id": f"{t}-{d}",
                "kind": "like",
                "posted_at": pd.Timestamp(d, tz="UTC"),
            }
            for p, t, d in rows
        ]
    )


def test_people_get_the_topics_their_look_alikes_engage_with():
    history = events(
        [(p, t, "2026-10-01") for p in ("a", "b") for t in ("fashion", "music")]
        + [("c", "fashion", "2026-10-02")] * 3
        + [("d", "news", "2026-10-01")]
    )
    recs = recommend.recommend(history, pd.Series({"a": 0, "b": 0, "c": 0, "d": 1}), pd.Index(["c", "d", "e"]))
    c = recs[recs["person_id"] == "c"].sort_values("rank")
    assert c["topic"].tolist()[:2] == ["fashion", "music"] and set(c["source"]) == {"collaborative"}
    d = recs[recs["person_id"] == "d"]  # one engagement: their segment's popular topics
    assert d["topic"].iloc[0] == "news" and set(d["source"]) == {"segment_popularity"}
    e = recs[recs["person_id"] == "e"]  # unknown: everyone's popular topics
    assert e["topic"].iloc[0] == "fashion" and len(e) == 3


def test_offline_evaluation_scores_held_out_engagement_against_popularity():
    train = (
        [(p, t, "2026-10-01") for p in ("a", "b", "c") for t in ("fashion", "music")] * 3
        + [(p, t, "2026-10-01") for p in ("x", "y") for t in ("news", "sports")] * 2
        + [(p, "deals", "2026-10-01") for p in ("a", "b", "c")] * 2
    )
    held = [("x", "news", "2026-11-01"), ("y", "sports", "2026-11-02"), ("a", "food", "2026-11-01")]
    quality = recommend.evaluate(events(train + held), AS_OF)
    assert quality["model"]["people"] == 3
    assert quality["model"]["hit_rate_at_3"] == pytest.approx(2 / 3)  # nobody predicts a's first food
    assert quality["popularity"]["hit_rate_at_3"] == pytest.approx(0.0)  # fashion, music, deals for everyone
    assert 0 < quality["model"]["ndcg_at_3"] <= quality["model"]["hit_rate_at_3"]


def test_best_times_divide_engagement_by_the_posts_shown():
    frame = events([("a", "music", "2026-10-01 20:00")] * 2 + [("a", "music", "2026-10-02 08:00")])
    posts = pd.DataFrame(
        {
            "platform": ["x"] * 3,
            "created_at": pd.to_datetime(["2026-10-01 20:00", "2026-10-02 08:00", "2026-10-03 08:00"], utc=True),
        }
    )
    best = recommend.best_times(frame, pd.Series({"a": 4}), posts)
    assert best.loc[4, "best_hour"] == 20 and best.loc[4, "best_platform"] == "x"
