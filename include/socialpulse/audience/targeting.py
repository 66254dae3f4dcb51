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
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from typing import NamedTuple

import numpy as np
import pandas as pd

from socialpulse.audience.briefs import Brief
from socialpulse.audience.buckets import summed
from socialpulse.audience.entities import TARGET_AUDIENCE_SUMMARIES, TARGET_AUDIENCES

MARKET_DAYS = 90
MARKET_SHARE = 0.05
RECENT_DAYS = 30  # "engaged recently"
LAPSED_DAYS = 90  # an order older than this is lapsed; a newer one is recent
AFFINITY_PRIOR = 5.0  # engagements' weight of the average person's topic shares in a person's affinity


def recent_buyers(orders: pd.DataFrame, profiles: pd.DataFrame, as_of: date) -> pd.Series:
    """How many orders of the last MARKET_DAYS each campaign had from each country: a sum over people."""
    end = pd.Timestamp(as_of + timedelta(days=1), tz="UTC")
    recent = orders[(orders["ordered_at"] >= end - pd.Timedelta(days=MARKET_DAYS)) & (orders["ordered_at"] < end)]
    recent = recent.dropna(subset=["utm_campaign"]).merge(profiles[["person_id", "country"]], on="person_id")
    return recent.groupby(["utm_campaign", "country"]).size().astype(float)


def markets_of(buyers: pd.Series) -> dict[str, list[str]]:
    """campaign_id -> its countries: those of at least MARKET_SHARE of its recent orders (recent_buyers)."""
    if buyers.empty:
        return {}
    shares = buyers / buyers.groupby(level=0).transform("sum")
    return {str(c): sorted(s.index.get_level_values(1)) for c, s in shares[shares >= MARKET_SHARE].groupby(level=0)}


def markets(orders: pd.DataFrame, profiles: pd.DataFrame, as_of: date) -> dict[str, list[str]]:
    """campaign_id -> its countries, from its orders of the last MARKET_DAYS."""
    return markets_of(recent_buyers(orders, profiles, as_of))


def brief_markets(brief: Brief, learned: dict[str, list[str]]) -> list[str]:
    """The brief's declared markets, else the union of its campaigns' learned ones."""
    if brief.markets:
        return sorted(brief.markets)
    return sorted({country for campaign in brief.campaign_ids for country in learned.get(campaign, [])})


def spending(people: pd.DataFrame) -> pd.DataFrame:
    """monetary_total and orders_total summed per segment_id (-1: none): a sum over people."""
    return people.groupby(people["segment_id"].fillna(-1))[["monetary_total", "orders_total"]].sum()


def expected_order_value(people: pd.DataFrame, spent: pd.DataFrame | None = None) -> pd.Series:
    """Each person's average order value, else their segment's, else everyone's: from `spent` (spending of
    everyone) when the people are some of them."""
    spent = spending(people) if spent is None else spent
    totals = spent.sum()
    overall = totals["monetary_total"] / max(totals["orders_total"], 1)
    named = spent.drop(index=-1, errors="ignore")
    by_segment = named["monetary_total"] / named["orders_total"].where(lambda n: n > 0)
    aov = people["avg_order_value"].astype("Float64").astype(float)
    return aov.fillna(people["segment_id"].map(by_segment).astype(float)).fillna(overall)


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


def topic_interest(profiles: pd.DataFrame, topics: tuple[str, ...]) -> tuple[pd.Series, pd.Series]:
    """Each person's share of engagement on `topics`, and their engagements it is a share of."""
    shares = profiles[[f"topic_{t}" for t in topics]].astype("Float64").astype(float).fillna(0.0).sum(axis=1)
    return shares, profiles["engagements_90d"].fillna(0).astype(float)


def topic_affinity(profiles: pd.DataFrame, topics: tuple[str, ...], average: float | None = None) -> pd.Series:
    """Each person's interest in `topics` against the average person's (1), smoothed by AFFINITY_PRIOR engagements:
    the average of `profiles`, or `average` when they are some of the people it is of."""
    shares, engaged = topic_interest(profiles, topics)
    if average is None:
        average = float((shares * engaged).sum() / engaged.sum()) if engaged.sum() else 0.0
    if average <= 0:  # nobody engaged with these topics yet: interest cannot rank anyone
        return pd.Series(1.0, index=profiles.index)
    smoothed = (shares * engaged + AFFINITY_PRIOR * average) / (engaged + AFFINITY_PRIOR)
    return smoothed / average


def in_holdout(brief: str, person_ids: pd.Series, share: float) -> np.ndarray:
    """A stable draw per (brief, person): the same people are held out of a brief on every run."""
    draws = [int.from_bytes(hashlib.sha256(f"{brief}|{p}".encode()).digest()[:8], "little") / 2**64 for p in person_ids]
    return np.asarray(draws) < share


CANDIDATE_COLUMNS = ["brief", "person_id", "score", "expected_value"]


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
    """The lists, their summaries, and the pools they were chosen from (before exclusive briefs shared theirs), of
    everyone at once (Targeter, for a bucket of people at a time).

    `crm_users` holds person_id, marketing_consent and experiment_groups; `controls` the (crm_column, group) pairs of
    the running experiments' control groups."""
    targeter = Targeter(briefs, controls, as_of)
    targeter.add(profiles, scores, crm_users, orders)
    candidates = pd.concat(list(targeter.choose([(profiles, scores, crm_users)])), ignore_index=True)
    return Targeting(*targeter.lists(), candidates)


class Targeter:
    """target_audiences a bucket of people at a time (audience/buckets.py: a person's rows of every table in the
    same bucket), never everyone at once. Two passes over the buckets:

    1. `add` each: the sums over everyone that rank a person (recent buyers per campaign and country, spending per
       segment, each brief's topic interest per country);
    2. `choose` from each: its people's candidacies, exclusive briefs shared person by person, each brief's best
       `max_size` kept as the buckets go; `lists` then gives the lists and their summaries.
    """

    def __init__(self, briefs: tuple[Brief, ...], controls: Iterable[tuple[str, str]], as_of: date) -> None:
        self.briefs, self.controls, self.as_of = briefs, list(controls), as_of
        self.buyers: pd.Series | None = None
        self.spent: pd.DataFrame | None = None
        # per brief with topics: its admitted people's engagements on them, and all their engagements, per country
        self.interest: dict[str, pd.DataFrame] = {}
        self.best: dict[str, pd.DataFrame] = {}  # each brief's best max_size of the buckets chosen from so far
        self.counts: dict[str, dict[str, int]] = {}  # each brief's eligible and excluded people so far

    def _people(self, profiles: pd.DataFrame, scores: pd.DataFrame, crm_users: pd.DataFrame) -> pd.DataFrame:
        """The CRM's people with a score, each flagged `excluded` when consent or an experiment's control keeps them
        out."""
        people = profiles[profiles["in_crm"]].merge(scores[["person_id", "score"]], on="person_id")
        consent = crm_users.set_index("person_id")["marketing_consent"].astype("boolean").fillna(False)
        in_control = experiment_controls(crm_users, self.controls)
        ids = people["person_id"]
        no_consent = ~ids.map(consent).fillna(False).astype(bool)
        return people.assign(excluded=no_consent | ids.map(in_control).fillna(False).astype(bool))

    def add(self, profiles: pd.DataFrame, scores: pd.DataFrame, crm_users: pd.DataFrame, orders: pd.DataFrame) -> None:
        """Pass 1: a bucket's people, and their orders, into the sums over everyone."""
        people = self._people(profiles, scores, crm_users)
        self.buyers = summed(self.buyers, recent_buyers(orders, profiles, self.as_of))
        self.spent = summed(self.spent, spending(people).astype(float))
        for brief in self.briefs:
            if brief.topics:
                allowed = people[eligible(people, brief.goal) & ~people["excluded"]]
                shares, engaged = topic_interest(allowed, brief.topics)
                sums = pd.DataFrame({"on_topics": shares * engaged, "engaged": engaged}).groupby(allowed["country"])
                self.interest[brief.name] = summed(self.interest.get(brief.name), sums.sum())

    def _markets(self) -> dict[str, list[str]]:
        learned = markets_of(self.buyers) if self.buyers is not None else {}
        return {brief.name: brief_markets(brief, learned) for brief in self.briefs}

    def _average_interest(self, brief: Brief, countries: list[str]) -> float:
        """The average person's share of engagement on the brief's topics, in its markets (topic_affinity)."""
        if brief.name not in self.interest:  # no bucket held anyone
            return 0.0
        sums = self.interest[brief.name].reindex(countries).sum()
        return float(sums["on_topics"] / sums["engaged"]) if sums["engaged"] else 0.0

    def choose(self, buckets: Iterable[tuple[pd.DataFrame, ...]]) -> Iterator[pd.DataFrame]:
        """Pass 2, over every bucket's (profiles, scores, crm_users) again: each bucket's candidates (before exclusive
        briefs share their people), as it is chosen from. Each call starts the lists anew."""
        countries = self._markets()
        averages = {b.name: self._average_interest(b, countries[b.name]) for b in self.briefs if b.topics}
        self.best, self.counts = {}, {b.name: {"eligible": 0, "excluded": 0} for b in self.briefs}
        exclusive = [b for b in self.briefs if b.exclusive]
        for profiles, scores, crm_users in buckets:
            people = self._people(profiles, scores, crm_users)
            people = people.assign(order_value=expected_order_value(people, self.spent).to_numpy())
            pools = {}
            for brief in self.briefs:
                if countries[brief.name]:
                    pool, excluded = _candidates(brief, people, countries[brief.name], averages.get(brief.name))
                    pools[brief.name] = pool
                    self.counts[brief.name]["excluded"] += excluded
            candidates = pd.concat(
                [pool[CANDIDATE_COLUMNS] for pool in pools.values()] or [_no_candidates()], ignore_index=True
            ).assign(as_of_date=self.as_of)
            _assign_exclusive(exclusive, pools)
            for brief in (b for b in self.briefs if b.name in pools):
                pool = pools[brief.name]
                self.counts[brief.name]["eligible"] += len(pool)
                kept = pd.concat([self.best[brief.name], pool]) if brief.name in self.best else pool
                ranked = kept.sort_values(["expected_value", "person_id"], ascending=[False, True])
                # a copy: a slice would keep the whole bucket's pool
                self.best[brief.name] = ranked.take(np.arange(min(len(ranked), brief.max_size)))
            yield candidates  # the lists are up to date with the bucket before it is handed on

    def lists(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The lists of the buckets chosen from, and a summary per brief, with why one built nothing."""
        countries, members, summaries = self._markets(), [], []
        for brief in self.briefs:
            summary: dict[str, object] = {
                "as_of_date": self.as_of,
                "brief": brief.name,
                "account_id": brief.account_id,
                "campaign_ids": ", ".join(brief.campaign_ids),
                "goal": brief.goal,
                "markets": ", ".join(countries[brief.name]) or None,
                "eligible": 0,
                "excluded": 0,
                "size": 0,
                "holdout_size": 0,
                "expected_conversions": 0.0,
                "expected_value": 0.0,
                "reason": None,
            }
            summaries.append(summary)
            if not countries[brief.name]:
                summary["reason"] = (
                    f"no markets: none declared, and its campaigns had no orders in {MARKET_DAYS} days to learn them "
                    "from"
                )
                continue
            summary.update(self.counts[brief.name])
            if self.counts[brief.name]["eligible"] < brief.min_size:
                summary["reason"] = f"{summary['eligible']} eligible people, under its min_size of {brief.min_size}"
                continue
            chosen = self.best[brief.name]
            held = in_holdout(brief.name, chosen["person_id"], brief.holdout)
            chosen = chosen.assign(rank=np.arange(1, len(chosen) + 1), in_holdout=held)
            sent = chosen[~chosen["in_holdout"]]
            if len(sent) < brief.min_size:  # what an ad platform receives is the list without its holdout
                summary["reason"] = (
                    f"{len(sent)} people to send once its holdout is kept out, under its min_size of "
                    f"{brief.min_size}: raise max_size"
                )
                continue
            summary.update(
                size=len(chosen),
                holdout_size=int(chosen["in_holdout"].sum()),
                expected_conversions=float(sent["score"].sum()),
                expected_value=float(sent["expected_value"].sum()),
            )
            members += [chosen.assign(as_of_date=self.as_of, campaign_id=campaign) for campaign in brief.campaign_ids]
        columns = list(TARGET_AUDIENCES.names)
        table = pd.DataFrame(summaries, columns=list(TARGET_AUDIENCE_SUMMARIES.names))
        return (
            pd.concat(members, ignore_index=True)[columns] if members else pd.DataFrame(columns=columns),
            table.assign(reason=table["reason"].astype(object).where(table["reason"].notna(), None)),
        )


def _no_candidates() -> pd.DataFrame:
    return pd.DataFrame({"brief": pd.Series(dtype=object), "person_id": pd.Series(dtype=object)}).assign(
        score=pd.Series(dtype=float), expected_value=pd.Series(dtype=float)
    )


def _candidates(
    brief: Brief, people: pd.DataFrame, countries: list[str], average: float | None
) -> tuple[pd.DataFrame, int]:
    """(the brief's eligible people with their value for it, how many the exclusions kept out)."""
    admitted = people[people["country"].isin(countries) & eligible(people, brief.goal)]
    allowed = admitted[~admitted["excluded"]]
    affinity = (
        topic_affinity(allowed, brief.topics, average) if brief.topics else pd.Series(np.nan, index=allowed.index)
    )
    value = allowed["score"] * affinity.fillna(1.0) * allowed["order_value"]
    chosen = allowed[["person_id", "score"]].assign(topic_affinity=affinity, expected_value=value, brief=brief.name)
    return chosen, len(admitted) - len(allowed)


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
