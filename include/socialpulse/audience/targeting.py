"""Target audiences: for each campaign brief (audiences.yaml), the people worth reaching for it, and a holdout.

Per brief, as of a day:
- **markets**: the declared ones, else the countries of the people whose orders came through the
  brief's campaigns (utm_campaign) in the last MARKET_DAYS, each with at least MARKET_SHARE of
  them (the ads report no geography per campaign; the orders do);
- **eligible** by goal (`eligible`), in those markets, among the people the CRM knows;
- **excluded**: people without marketing consent, and people in the control group (first arm)
  of a running experiment on CRM groups: targeting them would break the experiment that
  measures targeting. Erased people are gone from the inputs already;
- **ranked** by expected value: propensity x topic affinity x expected order value. Topic
  affinity is the person's share of engagement on the brief's topics against the average
  person's, smoothed towards 1 by AFFINITY_PRIOR engagements, so a person seen little is
  ranked by propensity alone; a brief without topics uses propensity alone;
- the best `max_size` form the list; a pool under `min_size`, or a list with fewer than `min_size`
  people once its holdout is kept out (what an ad platform receives), builds none, and says why;
- **exclusive** briefs share their people: each goes to the exclusive brief where their
  expected value is highest (ties: the brief declared first);
- **holdout**: a stable draw from (brief, person) keeps `holdout` of the list out of what is
  sent, so the audience's effect can be measured; the same person stays held out day after day.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date, timedelta
from typing import NamedTuple

import numpy as np
import pandas as pd

from socialpulse.audience.briefs import Brief
from socialpulse.audience.entities import TARGET_AUDIENCE_SUMMARIES, TARGET_AUDIENCES

MARKET_DAYS = 90
MARKET_SHARE = 0.05
RECENT_DAYS = 30  # "engaged recently"
LAPSED_DAYS = 90  # an order older than this is lapsed; a newer one is recent
AFFINITY_PRIOR = 5.0  # engagements' weight of the average person's topic shares in a person's affinity


def markets(orders: pd.DataFrame, profiles: pd.DataFrame, as_of: date) -> dict[str, list[str]]:
    """campaign_id -> its countries, from its orders of the last MARKET_DAYS."""
    end = pd.Timestamp(as_of + timedelta(days=1), tz="UTC")
    recent = orders[(orders["ordered_at"] >= end - pd.Timedelta(days=MARKET_DAYS)) & (orders["ordered_at"] < end)]
    recent = recent.dropna(subset=["utm_campaign"]).merge(profiles[["person_id", "country"]], on="person_id")
    shares = recent.groupby("utm_campaign")["country"].value_counts(normalize=True)
    return {str(c): sorted(s.index.get_level_values(1)) for c, s in shares[shares >= MARKET_SHARE].groupby(level=0)}


def brief_markets(brief: Brief, learned: dict[str, list[str]]) -> list[str]:
    """The brief's declared markets, else the union of its campaigns' learned ones."""
    if brief.markets:
        return sorted(brief.markets)
    return sorted({country for campaign in brief.campaign_ids for country in learned.get(campaign, [])})


def expected_order_value(profiles: pd.DataFrame) -> pd.Series:
    """Each person's average order value, else their segment's, else everyone's."""
    aov = profiles["avg_order_value"].astype("Float64").astype(float)
    overall = profiles["monetary_total"].sum() / max(profiles["orders_total"].sum(), 1)
    grouped = profiles.groupby("segment_id")
    by_segment = grouped["monetary_total"].sum() / grouped["orders_total"].sum().where(lambda n: n > 0)
    return aov.fillna(profiles["segment_id"].map(by_segment)).fillna(overall)


def eligible(people: pd.DataFrame, goal: str) -> pd.Series:
    """Who a goal admits (briefs.GOALS says it in words), from the profile's order and engagement columns."""
    ordered = people["orders_total"].fillna(0) > 0
    recency = people["recency_days"].astype("Float64").astype(float)
    recent_buyer = ordered & (recency <= LAPSED_DAYS)
    if goal == "retarget":
        return (people[f"engagements_{RECENT_DAYS}d"].fillna(0) > 0) & ~recent_buyer
    if goal == "win_back":
        return ordered & ~recent_buyer
    if goal == "loyalty":
        return recent_buyer
    if goal == "prospect":
        return ~ordered
    raise ValueError(f"unknown goal {goal!r}")


def experiment_controls(crm_users: pd.DataFrame, controls: Iterable[tuple[str, str]]) -> pd.Series:
    """Per person_id: whether they are in a running experiment's control group: (crm_column, control group) pairs
    against the CRM's experiment_groups, read as the experiments read them."""
    from socialpulse.experiments.observations import groups_of

    flagged = np.zeros(len(crm_users), dtype=bool)
    for column, group in set(controls):
        flagged |= (groups_of(crm_users, column) == group).to_numpy(dtype=bool)
    return pd.Series(flagged, index=crm_users["person_id"])


def topic_affinity(profiles: pd.DataFrame, topics: tuple[str, ...]) -> pd.Series:
    """Each person's interest in `topics` against the average person's (1), smoothed by AFFINITY_PRIOR engagements."""
    shares = profiles[[f"topic_{t}" for t in topics]].astype("Float64").astype(float).fillna(0.0).sum(axis=1)
    engaged = profiles["engagements_90d"].fillna(0).astype(float)
    average = float((shares * engaged).sum() / engaged.sum()) if engaged.sum() else 0.0
    if average <= 0:  # nobody engaged with these topics yet: interest cannot rank anyone
        return pd.Series(1.0, index=profiles.index)
    smoothed = (shares * engaged + AFFINITY_PRIOR * average) / (engaged + AFFINITY_PRIOR)
    return smoothed / average


def in_holdout(brief: str, person_ids: pd.Series, share: float) -> np.ndarray:
    """A stable draw per (brief, person): the same people are held out of a brief on every run."""
    draws = [int.from_bytes(hashlib.sha256(f"{brief}|{p}".encode()).digest()[:8], "little") / 2**64 for p in person_ids]
    return np.asarray(draws) < share


def _candidates(brief: Brief, people: pd.DataFrame, countries: list[str]) -> tuple[pd.DataFrame, int]:
    """(the brief's eligible people with their value for it, how many the exclusions kept out)."""
    admitted = people[people["country"].isin(countries) & eligible(people, brief.goal)]
    allowed = admitted[~admitted["excluded"]]
    affinity = topic_affinity(allowed, brief.topics) if brief.topics else pd.Series(np.nan, index=allowed.index)
    value = allowed["score"] * affinity.fillna(1.0) * allowed["order_value"]
    chosen = allowed[["person_id", "score"]].assign(topic_affinity=affinity, expected_value=value, brief=brief.name)
    return chosen, len(admitted) - len(allowed)


class Targeting(NamedTuple):
    members: pd.DataFrame  # a row per brief, campaign and person on its list
    summaries: pd.DataFrame  # a row per brief, with why one built nothing
    candidates: pd.DataFrame  # brief, person_id, score, expected_value: each brief's eligible pool, kept to judge it


def target_audiences(
    briefs: tuple[Brief, ...],
    profiles: pd.DataFrame,
    scores: pd.DataFrame,
    crm_users: pd.DataFrame,
    orders: pd.DataFrame,
    controls: Iterable[tuple[str, str]],
    as_of: date,
) -> Targeting:
    """The lists, their summaries, and the pools they were chosen from (before exclusive briefs shared theirs).

    `crm_users` holds person_id, marketing_consent and experiment_groups; `controls` the (crm_column, group) pairs of
    the running experiments' control groups."""
    people = profiles[profiles["in_crm"]].merge(scores[["person_id", "score"]], on="person_id")
    people = people.assign(order_value=expected_order_value(people).to_numpy())
    consent = crm_users.set_index("person_id")["marketing_consent"].astype("boolean").fillna(False)
    in_control = experiment_controls(crm_users, controls)
    ids = people["person_id"]
    no_consent = ~ids.map(consent).fillna(False).astype(bool)
    people["excluded"] = no_consent | ids.map(in_control).fillna(False).astype(bool)
    learned = markets(orders, profiles, as_of)
    pools: dict[str, pd.DataFrame] = {}
    summaries: dict[str, dict[str, object]] = {}
    for brief in briefs:
        countries = brief_markets(brief, learned)
        summaries[brief.name] = {
            "as_of_date": as_of,
            "brief": brief.name,
            "account_id": brief.account_id,
            "campaign_ids": ", ".join(brief.campaign_ids),
            "goal": brief.goal,
            "markets": ", ".join(countries) or None,
            "eligible": 0,
            "excluded": 0,
            "size": 0,
            "holdout_size": 0,
            "expected_conversions": 0.0,
            "expected_value": 0.0,
            "reason": None,
        }
        if not countries:
            summaries[brief.name]["reason"] = (
                f"no markets: none declared, and its campaigns had no orders in {MARKET_DAYS} days to learn them from"
            )
            continue
        pools[brief.name], summaries[brief.name]["excluded"] = _candidates(brief, people, countries)
    candidates = pd.concat(
        [p[["brief", "person_id", "score", "expected_value"]] for p in pools.values()]
        or [pd.DataFrame(columns=["brief", "person_id", "score", "expected_value"])],
        ignore_index=True,
    )
    _assign_exclusive([b for b in briefs if b.exclusive], pools)
    members = []
    for brief in briefs:
        if brief.name not in pools:
            continue
        pool, summary = pools[brief.name], summaries[brief.name]
        summary["eligible"] = len(pool)
        if len(pool) < brief.min_size:
            summary["reason"] = f"{len(pool)} eligible people, under its min_size of {brief.min_size}"
            continue
        chosen = pool.sort_values(["expected_value", "person_id"], ascending=[False, True]).head(brief.max_size)
        chosen = chosen.assign(
            rank=np.arange(1, len(chosen) + 1), in_holdout=in_holdout(brief.name, chosen["person_id"], brief.holdout)
        )
        sent = chosen[~chosen["in_holdout"]]
        if len(sent) < brief.min_size:  # what an ad platform receives is the list without its holdout
            summary["reason"] = (
                f"{len(sent)} people to send once its holdout is kept out, under its min_size of {brief.min_size}: "
                "raise max_size"
            )
            continue
        summary.update(
            size=len(chosen),
            holdout_size=int(chosen["in_holdout"].sum()),
            expected_conversions=float(sent["score"].sum()),
            expected_value=float(sent["expected_value"].sum()),
        )
        members += [chosen.assign(as_of_date=as_of, campaign_id=campaign) for campaign in brief.campaign_ids]
    columns = list(TARGET_AUDIENCES.names)
    summary = pd.DataFrame(list(summaries.values()), columns=list(TARGET_AUDIENCE_SUMMARIES.names))
    return Targeting(
        pd.concat(members, ignore_index=True)[columns] if members else pd.DataFrame(columns=columns),
        summary.assign(reason=summary["reason"].astype(object).where(summary["reason"].notna(), None)),
        candidates.assign(as_of_date=as_of),
    )


def _assign_exclusive(briefs: list[Brief], pools: dict[str, pd.DataFrame]) -> None:
    """Keep each person in the one exclusive brief where their expected value is highest (ties: declared first)."""
    order = {b.name: i for i, b in enumerate(briefs) if b.name in pools}
    if len(order) < 2:
        return
    shared = pd.concat([pools[name] for name in order], ignore_index=True)
    shared["declared"] = shared["brief"].map(order)
    best = shared.sort_values(["expected_value", "declared"], ascending=[False, True]).drop_duplicates("person_id")
    for name in order:
        keep = set(best.loc[best["brief"] == name, "person_id"])
        pools[name] = pools[name][pools[name]["person_id"].isin(keep)]
