"""Segments: k by silhouette, ids kept across a retrain, a new id only for a new group, descriptions."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from socialpulse.audience.describe import describe_segments
from socialpulse.audience.entities import TOPIC_COLUMNS
from socialpulse.audience.segments import choose_k, fit_segments, segment_features

GROUPS = {  # age, order value, platform, favourite topic
    "young": (22, 40.0, "on_instagram", "topic_fashion"),
    "parents": (37, 90.0, "on_facebook", "topic_kids"),
    "pros": (45, 160.0, "on_x", "topic_tech"),
}


def people(groups: dict, per_group: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for name, (age, aov, platform, topic) in groups.items():
        for i in range(per_group):
            row = {
                "person_id": f"{name}-{i}",
                "group": name,
                "age": int(rng.normal(age, 2)),
                "avg_order_value": rng.normal(aov, aov / 10),
                "orders_total": 3,
                "monetary_total": 3 * aov,
                "recency_days": int(rng.integers(0, 60)),
                "engagements_90d": int(rng.integers(1, 30)),
                "on_facebook": False,
                "on_instagram": False,
                "on_x": False,
                "country": "US",
                "age_band": "25-34",
            }
            row[platform] = True
            row.update(dict.fromkeys(TOPIC_COLUMNS, 0.0))
            row[topic] = 1.0
            rows.append(row)
    frame = pd.DataFrame(rows)
    frame["age"] = frame["age"].astype("Int64")
    frame["recency_days"] = frame["recency_days"].astype("Int64")
    return frame


def test_k_is_the_number_of_planted_groups():
    k, scores, _ = choose_k(segment_features(people(GROUPS, 60, 1)), seed=7)
    assert k == 3 and scores[3] == max(scores.values())


def test_a_retrain_keeps_segment_ids_and_a_new_group_gets_a_new_one():
    first = fit_segments(people(GROUPS, 60, 1), None)
    before = dict(
        zip(people(GROUPS, 60, 1)["group"], first.assign(segment_features(people(GROUPS, 60, 1))), strict=False)
    )
    # the next day: other people of the same groups, shuffled, and a group nobody has seen
    grown = {**GROUPS, "gamers": (19, 25.0, "on_x", "topic_sports")}
    frame = people(grown, 60, 2).sample(frac=1.0, random_state=3).reset_index(drop=True)
    second = fit_segments(frame, first)
    after = dict(zip(frame["group"], second.assign(segment_features(frame)), strict=False))
    assert {g: after[g] for g in GROUPS} == before  # same group, same id, whatever the cluster order
    assert after["gamers"] == 3 == max(second.segment_ids) and second.next_id == 4


def test_descriptions_come_from_members_and_small_segments_are_not_published():
    frame = people(GROUPS, 120, 1)
    frame["segment_id"] = frame["group"].map({"young": 0, "parents": 1, "pros": 2})
    frame.loc[frame["group"] == "pros", "segment_id"] = [2] * 99 + [0] * 21  # 99 people: under the minimum
    frame["age_band"] = np.where(frame["group"] == "young", "18-24", "35-44")
    times = pd.DataFrame({"best_platform": ["instagram"], "best_hour": [20]}, index=[0])
    described = describe_segments(frame, times, date(2026, 11, 3), "segments-2026-11-03").set_index("segment_id")
    assert sorted(described.index) == [0, 1]
    young = described.loc[0]
    assert young["description"].startswith("18-24 · US · Instagram · fashion")
    assert (
        young["size"] == 141
        and young["best_hour"] == 20
        and young["avg_order_value"]
        == pytest.approx(frame[frame["segment_id"] == 0]["monetary_total"].sum() / (3 * 141))
    )
