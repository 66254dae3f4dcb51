"""Segments: a latent-class model recovers planted mixed-type classes, scores one person as it scores a batch, keeps
ids across retrains; descriptions name what sets a segment apart."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from socialpulse.audience.describe import (
    DESCRIBED,
    SCALE_COLUMNS,
    Representation,
    Scale,
    describe_segments,
    representation,
)
from socialpulse.audience.entities import TOPIC_COLUMNS
from socialpulse.audience.segments import K_RANGE, fit_segments

GROUPS = {  # age, order value, platform, favourite topics, country mix
    "young": (22, 40.0, "on_instagram", ("topic_fashion", "topic_music"), {"US": 0.5, "JP": 0.5}),
    "parents": (37, 90.0, "on_facebook", ("topic_kids", "topic_home"), {"US": 0.6, "DE": 0.4}),
    "pros": (45, 160.0, "on_x", ("topic_tech", "topic_business"), {"US": 0.5, "GB": 0.5}),
}


def people(groups: dict, per_group: int, seed: int) -> pd.DataFrame:
    """Profiles of planted groups, with what real profiles lack: unknown ages and countries, non-buyers, people
    without engagement, and groups that overlap on every single column."""
    rng = np.random.default_rng(seed)
    rows = []
    for name, (age, aov, platform, topics, countries) in groups.items():
        for i in range(per_group):
            buyer = rng.random() < 0.6
            engagements = int(rng.poisson(6)) if rng.random() < 0.7 else 0
            favoured = rng.random(len(TOPIC_COLUMNS)) + np.isin(TOPIC_COLUMNS, topics) * 4
            counts = rng.multinomial(engagements, favoured / favoured.sum())
            row = {
                "person_id": f"{name}-{i}",
                "group": name,
                "age": int(rng.normal(age, 5)) if rng.random() < 0.9 else None,
                "avg_order_value": rng.lognormal(np.log(aov), 0.3) if buyer else np.nan,
                "orders_total": int(rng.integers(1, 5)) if buyer else 0,
                "recency_days": int(rng.integers(0, 60)) if buyer else None,
                "engagements_90d": engagements,
                "country": rng.choice(list(countries), p=list(countries.values())) if rng.random() < 0.95 else None,
                "gender": rng.choice(["female", "male"]),
                "age_band": "18-24" if age < 25 else "35-44",
                **{
                    p: bool(rng.random() < (0.9 if p == platform else 0.3))
                    for p in ("on_facebook", "on_instagram", "on_x")
                },
                **{c: (n / engagements if engagements else None) for c, n in zip(TOPIC_COLUMNS, counts, strict=True)},
            }
            row["monetary_total"] = row["orders_total"] * (row["avg_order_value"] if buyer else 0.0)
            rows.append(row)
    frame = pd.DataFrame(rows)
    for column in ("age", "recency_days"):
        frame[column] = frame[column].astype("Int64")
    for column in TOPIC_COLUMNS:
        frame[column] = frame[column].astype("Float64")
    return frame


def test_the_planted_classes_are_recovered_from_mixed_columns_with_gaps():
    frame = people(GROUPS, 300, 1)
    model = fit_segments(frame, None, k=3)
    assert adjusted_rand_score(frame["group"], model.assign(frame)) >= 0.9
    assert sorted(model.criteria) == [k for k in K_RANGE if k < len(frame)]
    assert all(c["bic"] < c["icl"] for c in model.criteria.values())  # ICL adds the classification entropy
    assert min(model.criteria, key=lambda k: model.criteria[k]["bic"]) >= 3  # fewer classes than planted fit worse


def test_a_person_alone_gets_the_segment_they_get_in_a_batch():
    frame = people(GROUPS, 150, 1)
    model = fit_segments(frame, None, k=3)
    in_batch = model.assign(frame)
    unknown_age = frame.index[frame["age"].isna()][0]  # nothing imputed from the batch: the gap stays a gap
    for row in (0, 151, 299, unknown_age):
        assert model.assign(frame.iloc[[row]])[0] == in_batch[row]
    assert (model.assign(frame.iloc[::-1])[::-1] == in_batch).all()


def test_a_retrain_keeps_segment_ids_and_a_new_group_gets_a_new_one():
    first = fit_segments(people(GROUPS, 200, 1), None, k=3)
    same = fit_segments(people(GROUPS, 200, 1), first, k=3)
    frame = people(GROUPS, 200, 1)
    assert (same.assign(frame) == first.assign(frame)).mean() >= 0.99  # nothing changed: everyone keeps their id
    before = pd.Series(first.assign(frame)).groupby(frame["group"]).agg(lambda s: s.mode()[0])
    # the next day: other people of the same groups, shuffled, and a group nobody has seen
    grown = {**GROUPS, "gamers": (17, 25.0, "on_x", ("topic_sports", "topic_food"), {"BR": 1.0})}
    frame = people(grown, 200, 2).sample(frac=1.0, random_state=3).reset_index(drop=True)
    second = fit_segments(frame, first, k=4)
    after = pd.Series(second.assign(frame)).groupby(frame["group"]).agg(lambda s: s.mode()[0])
    assert after[list(GROUPS)].to_dict() == before.to_dict()  # same group, same id, whatever the class order
    assert after["gamers"] == 3 == max(second.segment_ids) and second.next_id == 4


def test_fewer_than_two_segments_is_refused_with_the_reason():
    with pytest.raises(ValueError, match="k must be at least 2"):
        fit_segments(people(GROUPS, 20, 1), None, k=1)


def test_descriptions_name_what_sets_a_segment_apart_and_small_segments_are_not_published():
    frame = people(GROUPS, 150, 1)
    frame["segment_id"] = frame["group"].map({"young": 0, "parents": 1, "pros": 2})
    frame.loc[frame["group"] == "pros", "segment_id"] = [2] * 99 + [0] * 51  # 99 people: under the minimum
    times = pd.DataFrame({"best_platform": ["instagram"], "best_hour": [20]}, index=[0])
    described = describe_segments(frame, times, date(2026, 11, 3), "segments-2026-11-03").set_index("segment_id")
    assert sorted(described.index) == [0, 1]
    young, parents = described.loc[0], described.loc[1]
    # the US is common in every group: it sets none apart, so no description names it
    assert "US" not in young["description"] and "US" not in parents["description"]
    assert "JP (" in young["description"] and "DE (" in parents["description"]
    assert young["platform"] == "instagram" and parents["platform"] == "facebook"
    assert "fashion" in young["topics"] and "kids" in parents["topics"]
    ratio, share = representation(frame)
    assert ratio.loc[1, ("country", "DE")] == pytest.approx(
        share.loc[1, ("country", "DE")] / (frame["country"] == "DE").sum() * frame["country"].notna().sum()
    )
    assert young["size"] == 201 and young["best_hour"] == 20
    buyers = frame[(frame["segment_id"] == 0) & (frame["orders_total"] > 0)]
    assert young["avg_order_value"] == pytest.approx(buyers["monetary_total"].sum() / buyers["orders_total"].sum())


def test_representation_summed_a_batch_of_people_at_a_time_is_that_of_everyone_at_once():
    frame = people(GROUPS, 150, 1)
    frame["segment_id"] = frame["group"].map({"young": 0, "parents": 1, "pros": 2})
    frame.loc[frame.index[::7], "country"] = None  # unknown to some, in every batch
    everyone = representation(frame)
    batches = [frame.iloc[start : start + 40] for start in range(0, len(frame), 40)]
    described = Representation(Scale.summed(part[SCALE_COLUMNS] for part in batches))
    for start in range(0, len(frame), 40):  # batches in which some values, and some segments, are missing
        described.add(frame.iloc[start : start + 40])
    for whole, summed in zip(everyone, described.result(), strict=True):
        pd.testing.assert_frame_equal(summed, whole, rtol=1e-12)
    assert everyone[0].notna().any().any() and len(everyone[0]) == 3


@pytest.mark.parametrize("engagements", [[0, 0, 1, 5, 5, 9, 12, None], [3.0], [2, 7], [None]])
def test_the_scale_summed_in_parts_is_that_of_everyone(engagements):
    frame = pd.DataFrame(
        {
            "engagements_90d": pd.array(engagements * 3, dtype="Float64"),
            **{column: [f"{column}{i % 4}" for i in range(3 * len(engagements))] for _, column in DESCRIBED},
        }
    )
    whole = frame["engagements_90d"].astype(float).quantile([1 / 3, 2 / 3]).tolist()
    parts = Scale.summed(frame.iloc[start : start + 2] for start in range(0, len(frame), 2))
    assert parts.low == pytest.approx(whole[0], nan_ok=True) and parts.high == pytest.approx(whole[1], nan_ok=True)
    assert parts == Scale.of(frame) or np.isnan(parts.low)
    assert parts.values == {column: sorted({f"{column}{i % 4}" for i in range(len(frame))}) for _, column in DESCRIBED}
