"""Target audiences per brief: eligibility by goal, markets, exclusions, topic affinity, exclusivity, holdouts."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date

import pandas as pd
import pytest

from socialpulse.audience.briefs import Brief
from socialpulse.audience.buckets import in_bucket
from socialpulse.audience.targeting import (
    Targeter,
    eligible,
    expected_order_value,
    in_holdout,
    markets,
    target_audiences,
    topic_affinity,
)

AS_OF = date(2026, 11, 3)


def profiles(count: int) -> pd.DataFrame:
    """p000..: every 5th never ordered; p001 ordered 3 days ago; the rest 100 days ago. Every 4th is DE, the rest US.
    Even people engage on fashion, odd ones on home."""
    return pd.DataFrame(
        {
            "person_id": [f"p{i:03d}" for i in range(count)],
            "in_crm": True,
            "country": ["DE" if i % 4 == 3 else "US" for i in range(count)],
            "avg_order_value": [None if i % 5 == 0 else float(10 + i) for i in range(count)],
            "orders_total": [0 if i % 5 == 0 else 1 for i in range(count)],
            "monetary_total": [0.0 if i % 5 == 0 else float(10 + i) for i in range(count)],
            "recency_days": pd.array(
                [3 if i == 1 else None if i % 5 == 0 else 100 for i in range(count)], dtype="Int64"
            ),
            "engagements_30d": [i % 3 for i in range(count)],
            "engagements_90d": [40] * count,
            "topic_fashion": [1.0 if i % 2 == 0 else 0.0 for i in range(count)],
            "topic_home": [0.0 if i % 2 == 0 else 1.0 for i in range(count)],
            "segment_id": [i % 2 for i in range(count)],
        }
    )


def crm(people: pd.DataFrame, no_consent=(), groups=None) -> pd.DataFrame:
    groups = groups or {}
    return pd.DataFrame(
        {
            "person_id": people["person_id"],
            "marketing_consent": [p not in no_consent for p in people["person_id"]],
            "experiment_groups": [json.dumps(groups[p]) if p in groups else None for p in people["person_id"]],
        }
    )


def orders(campaign: str, people: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "person_id": people,
            "utm_campaign": campaign,
            "order_id": [f"{campaign}-{p}" for p in people],
            "ordered_at": pd.Timestamp("2026-10-20", tz="UTC"),
            "amount_reporting": 10.0,
        }
    )


def brief(name: str, goal: str, **fields) -> Brief:
    return Brief(**{"name": name, "account_id": "1001", "campaign_ids": (f"c_{name}",), "goal": goal, **fields})


def scores(people: pd.DataFrame, score: float = 0.5) -> pd.DataFrame:
    return pd.DataFrame({"person_id": people["person_id"], "score": score})


def bought_by(briefs) -> pd.DataFrame:
    """Orders through each brief's campaign, whose buyers' countries become its markets."""
    return pd.concat([orders(b.campaign_ids[0], ["p002", "p004"]) for b in briefs])


def build(briefs, people, users=None, bought=None, controls=()):
    bought = bought if bought is not None else bought_by(briefs)
    return target_audiences(
        tuple(briefs), people, scores(people), users if users is not None else crm(people), bought, controls, AS_OF
    )[:2]


def test_markets_are_the_countries_of_a_campaigns_buyers():
    people = profiles(40)
    assert markets(orders("c1", ["p001", "p002", "p005"]), people, AS_OF) == {"c1": ["US"]}
    assert markets(orders("c1", ["p001"]), people, date(2027, 3, 1)) == {}  # too old to say


def test_each_goal_admits_its_people():
    people = profiles(20).set_index("person_id")
    admitted = {goal: set(people.index[eligible(people, goal)]) for goal in ("retarget", "win_back", "loyalty")}
    admitted["prospect"] = set(people.index[eligible(people, "prospect")])
    assert admitted["loyalty"] == {"p001"}  # ordered 3 days ago
    assert admitted["prospect"] == {"p000", "p005", "p010", "p015"}  # never ordered
    assert admitted["win_back"] == {p for p in people.index if p not in admitted["prospect"] | {"p001"}}
    engaged = set(people.index[people["engagements_30d"] > 0])
    assert admitted["retarget"] == engaged - {"p001"}  # engaged in 30 days, no recent order


def test_without_consent_or_in_a_running_experiments_control_nobody_is_targeted():
    people = profiles(400)
    users = crm(
        people,
        no_consent={"p002", "p003"},
        groups={"p006": {"experiment_retargeting": "holdout"}, "p008": {"experiment_retargeting": "targeted"}},
    )
    members, summary = build(
        [brief("lapsed", "win_back", max_size=400)], people, users, controls=[("experiment_retargeting", "holdout")]
    )
    chosen = set(members["person_id"])
    assert not chosen & {"p002", "p003", "p006"} and "p008" in chosen
    assert summary["excluded"].iloc[0] == 2  # p002 no consent, p006 control (p003 is DE, outside the markets)


def test_briefs_of_different_topics_rank_different_people_first():
    people = profiles(400)
    fashion, home = (
        brief("fashion", "win_back", topics=("fashion",), max_size=50, min_size=40),  # small lists, for the ranking
        brief("home", "win_back", topics=("home",), max_size=50, min_size=40),
    )
    members, _ = build([fashion, home], people)
    first = {b: set(members.loc[members["brief"] == b, "person_id"]) for b in ("fashion", "home")}
    assert not first["fashion"] & first["home"]
    assert {int(p[1:]) % 2 for p in first["fashion"]} == {0} and {int(p[1:]) % 2 for p in first["home"]} == {1}


def test_topic_affinity_is_relative_to_the_average_and_a_person_seen_little_stays_near_it():
    people = profiles(10).assign(engagements_90d=[0, 100, 2, 100, 4, 100, 6, 100, 8, 100])
    affinity = topic_affinity(people, ("fashion",))
    assert affinity[0] == pytest.approx(1.0)  # never engaged: the average
    assert affinity[2] < affinity[4] < affinity[8]  # more seen on fashion, more sure
    assert affinity[1] < 0.1  # 100 engagements, none on fashion


def test_exclusive_briefs_share_their_people_by_expected_value():
    people = profiles(600)
    a, b = (
        brief(n, "win_back", topics=(t,), max_size=1000, exclusive=True) for n, t in (("a", "fashion"), ("b", "home"))
    )
    shared = brief("c", "win_back", max_size=1000)
    members, _ = build([a, b, shared], people)
    by = {n: set(members.loc[members["brief"] == n, "person_id"]) for n in "abc"}
    assert by["a"] and by["b"] and not by["a"] & by["b"]
    assert by["a"] | by["b"] <= by["c"]  # a brief that is not exclusive keeps everyone
    pools = target_audiences((a, b, shared), people, scores(people), crm(people), bought_by([a, b, shared]), (), AS_OF)
    pool = {n: set(pools.candidates.loc[pools.candidates["brief"] == n, "person_id"]) for n in "abc"}
    assert pool["a"] == pool["b"] == pool["c"] == by["c"]  # each pool is kept whole, before the sharing


def test_the_holdout_is_a_stable_share_drawn_per_brief():
    ids = pd.Series([f"p{i:05d}" for i in range(20_000)])
    held = in_holdout("spring", ids, 0.1)
    assert 0.09 < held.mean() < 0.11
    assert (in_holdout("spring", ids.iloc[::-1], 0.1)[::-1] == held).all()  # the person, not the position
    assert (in_holdout("autumn", ids, 0.1) != held).any()
    people = profiles(400)
    members, summary = build([brief("lapsed", "win_back", max_size=250)], people)
    again, _ = build([brief("lapsed", "win_back", max_size=250)], people)
    assert members["in_holdout"].tolist() == again["in_holdout"].tolist()
    row = summary.iloc[0]
    assert row["holdout_size"] == members["in_holdout"].sum() and row["size"] == len(members)
    assert row["expected_conversions"] == pytest.approx(0.5 * (row["size"] - row["holdout_size"]))


def test_a_brief_too_small_or_without_markets_says_why_and_the_others_build():
    people = profiles(800)
    small, nowhere, tight, fine = (
        brief("small", "loyalty", max_size=100),
        brief("nowhere", "win_back", max_size=100),
        brief("tight", "win_back", max_size=100, markets=("DE",)),  # its holdout leaves fewer than 100 to send
        brief("fine", "win_back", max_size=125, markets=("DE",)),
    )
    bought = orders("c_small", ["p002"])
    members, summary = build([small, nowhere, tight, fine], people, bought=bought)
    reasons = dict(zip(summary["brief"], summary["reason"], strict=True))
    assert reasons["small"] == "1 eligible people, under its min_size of 100"
    assert reasons["nowhere"].startswith("no markets")
    assert re.fullmatch(
        r"9\d people to send once its holdout is kept out, under its min_size of 100: raise max_size", reasons["tight"]
    )
    assert reasons["fine"] is None and set(members["brief"]) == {"fine"}
    assert set(people.set_index("person_id").loc[members["person_id"], "country"]) == {"DE"}


def test_expected_value_falls_back_to_the_segment_then_everyone():
    people = profiles(10)
    value = expected_order_value(people)
    assert value[1] == 11.0  # their own
    segment_zero = people[(people["segment_id"] == 0) & (people["orders_total"] > 0)]
    assert value[0] == pytest.approx(segment_zero["monetary_total"].sum() / segment_zero["orders_total"].sum())


def test_in_buckets_the_lists_summaries_and_candidates_are_those_of_everyone_at_once():
    count = 800
    ids = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(count)]
    people = profiles(count).assign(person_id=ids, segment_id=pd.array([i % 3 or None for i in range(count)], "Int64"))
    scored = scores(people).assign(score=[0.05 + (i * 37 % 100) / 110 for i in range(count)])
    users = crm(people, no_consent=set(ids[::9]), groups={p: {"exp": "control"} for p in ids[5::11]})
    briefs = (
        brief("fashion", "win_back", topics=("fashion",), max_size=120, exclusive=True),
        brief("home", "win_back", topics=("home", "fashion"), max_size=90, min_size=40, exclusive=True),
        brief("everyone", "retarget", max_size=200),
        brief("abroad", "win_back", topics=("home",), max_size=60, min_size=30, markets=("DE",)),
        brief("loyal", "loyalty", max_size=100),  # too few: says so the same
    )
    bought = pd.concat(
        [orders(b.campaign_ids[0], ids[i::7]) for i, b in enumerate(briefs)]  # US and DE buyers: both markets
    )
    whole = target_audiences(briefs, people, scored, users, bought, [("exp", "control")], AS_OF)
    targeter = Targeter(briefs, [("exp", "control")], AS_OF)
    buckets = [
        [frame[in_bucket(frame["person_id"], b, 4)] for frame in (people, scored, users, bought)] for b in range(4)
    ]
    assert all(len(frames[0]) < count / 2 for frames in buckets)
    for frames in buckets:
        targeter.add(*frames)
    parts = list(targeter.choose(frames[:3] for frames in buckets))
    members, summaries = targeter.lists()
    assert len(whole.members) > 300 and whole.summaries["reason"].notna().sum() == 1
    assert set(whole.summaries["markets"].dropna()) == {"DE", "DE, US"}
    pd.testing.assert_frame_equal(members, whole.members, check_exact=False)
    pd.testing.assert_frame_equal(summaries, whole.summaries, check_exact=False)
    ordered = ["brief", "person_id"]
    candidates = pd.concat(parts, ignore_index=True).sort_values(ordered, ignore_index=True)
    expected = whole.candidates.sort_values(ordered, ignore_index=True)
    pd.testing.assert_frame_equal(candidates, expected, check_exact=False)
