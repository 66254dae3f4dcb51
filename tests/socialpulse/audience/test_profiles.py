"""Profiles on a handful of people: windows by post time, identities resolved, topic shares, RFM."""

from __future__ import annotations

from datetime import date

import pandas as pd

from socialpulse.audience.profiles import AudienceInputs, build_profiles

AS_OF = date(2026, 11, 3)


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def inputs(linked_columns: bool = True) -> AudienceInputs:
    users = pd.DataFrame(
        {
            "person_id": ["ann", "bob"],
            "age": [29, 47],
            "gender": ["female", "male"],
            "country": ["US", "DE"],
            "city": ["NY", "Berlin"],
            "signup_date": [date(2026, 1, 1), date(2026, 10, 1)],
            "linked_facebook": [True, False],
            "linked_instagram": [False, False],
            "linked_x": [True, False],
            "facebook_pseudonym": ["fb-ann", None],
            "instagram_pseudonym": [None, None],
            "x_pseudonym": ["x-ann", None],
        }
    )
    posts = pd.DataFrame(
        {
            "platform": ["x", "x", "facebook", "x"],
            "post_id": ["p1", "p2", "f1", "late"],
            "created_at": [
                ts("2026-11-02 10:00"),
                ts("2026-09-01 10:00"),
                ts("2026-10-20 08:00"),
                ts("2026-11-04 01:00"),
            ],
            "topic": ["music", "fashion", "music", "music"],
        }
    )
    events = pd.DataFrame(
        {
            "platform": ["x", "x", "facebook", "x", "x", "x"],
            "post_id": ["p1", "p2", "f1", "p1", "late", "gone"],
            "person_id": ["x-ann", "ann", "fb-ann", "x-stranger", "ann", "ann"],
            "kind": ["like", "share", "comment", "like", "like", "like"],
        }
    )
    orders = pd.DataFrame(
        {
            "order_id": ["o1", "o2", "o2", "o3"],
            "person_id": ["ann", "ann", "ann", "bob"],
            "ordered_at": [ts("2026-10-30 12:00"), ts("2026-06-01"), ts("2026-06-01"), ts("2026-11-05")],
            "amount_reporting": [30.0, 50.0, 50.0, 99.0],
            "utm_campaign": [None, "c1", "c1", None],
        }
    )
    if not linked_columns:  # a drop cleaned before the pseudonym columns existed
        users = users.drop(columns=["facebook_pseudonym", "instagram_pseudonym", "x_pseudonym"])
    return AudienceInputs.resolve(users, orders, events, posts)


def test_events_before_the_link_join_the_crm_person_and_strangers_get_a_profile():
    resolved = inputs()
    assert resolved.unmatched_events == 1  # the event on a post the lake has no snapshot of
    profiles = build_profiles(resolved, AS_OF).set_index("person_id")
    assert sorted(profiles.index) == ["ann", "bob", "x-stranger"]
    ann, stranger = profiles.loc["ann"], profiles.loc["x-stranger"]
    # p1 is 1 day old, f1 14 days, p2 63 days; the post of Nov 4 is after the as-of date
    assert (ann["x_likes_7d"], ann["x_likes_30d"], ann["x_shares_30d"], ann["x_shares_90d"]) == (1, 1, 0, 1)
    assert (ann["facebook_comments_7d"], ann["facebook_comments_30d"], ann["engagements_90d"]) == (0, 1, 3)
    assert ann["topic_music"] == 2 / 3 and ann["topic_fashion"] == 1 / 3 and ann["top_topics"] == "music, fashion"
    assert bool(ann["on_facebook"]) and bool(ann["on_x"]) and not ann["on_instagram"] and ann["linked_platforms"] == 2
    assert not stranger["in_crm"] and pd.isna(stranger["age"]) and stranger["x_likes_7d"] == 1
    assert stranger["on_x"] and stranger["linked_platforms"] == 1


def test_rfm_counts_each_order_once_and_only_up_to_the_as_of_date():
    profiles = build_profiles(inputs(), AS_OF).set_index("person_id")
    ann, bob = profiles.loc["ann"], profiles.loc["bob"]
    assert (ann["orders_total"], ann["orders_90d"], ann["recency_days"]) == (2, 1, 4)  # o2 twice in the drops
    assert ann["monetary_total"] == 80.0 and ann["avg_order_value"] == 40.0
    assert (bob["orders_total"], bob["monetary_total"]) == (0, 0.0) and pd.isna(bob["recency_days"])
    assert ann["age_band"] == "25-34" and bob["age_band"] == "45-54" and bob["tenure_days"] == 33


def test_a_snapshot_before_signup_leaves_the_person_out():
    profiles = build_profiles(inputs(), date(2026, 9, 15))
    assert "bob" not in set(profiles["person_id"])  # signed up on Oct 1


def test_users_cleaned_before_the_linked_pseudonyms_existed_still_profile():
    resolved = inputs(linked_columns=False)
    profiles = build_profiles(resolved, AS_OF).set_index("person_id")
    assert {"ann", "x-ann", "fb-ann"} <= set(profiles.index)  # not joined, but nobody lost
    assert profiles.loc["x-ann", "x_likes_7d"] == 1 and not profiles.loc["x-ann", "in_crm"]
