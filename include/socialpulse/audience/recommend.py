"""What to show each person next: topics ranked by one blend of their own engagement, similar topics and their segment.

A person's score for a topic (Blend):
1. their engagements per topic, each weighted by recency (halving every `half_life_days`);
2. shrunk toward their segment's profile: the topic mix of the segment model's classes,
   weighted by how likely each class is given the person's row, counting as
   `prior_weight` engagements. A person with no history gets the profile alone, one
   with many gets mostly their own shares (the Dirichlet posterior mean);
3. with `item_weight` of the score moved to the topics similar to those (item-item cosine
   over people).
The blend is chosen on a validation week (the week before the test week) among BLENDS, by
NDCG@3, and reported with its figures; the test week is never used to choose it.
Evaluated offline each run: learned from the engagement with posts up to a cut, scored on
each person's engagement with the posts of the 7 days after (hit rate@3, NDCG@3), for
people with history and for cold-start people (fewer than MIN_HISTORY engagements)
apart, next to recommending everyone the most popular topics.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any, cast

import numpy as np
import pandas as pd

from socialpulse.audience.buckets import summed
from socialpulse.audience.entities import TOPIC_COLUMNS
from socialpulse.audience.segments import SegmentModel, segment_features
from socialpulse.transforms.topics import OTHER, TOPICS
from socialpulse.typing_aliases import JsonObject

TOP_N = 3
MIN_HISTORY = 3  # fewer engagements than this: a cold-start person, reported apart
HOLDOUT_DAYS = 7
HISTORY_DAYS = 90
CANDIDATES = tuple(t for t in TOPICS if t != OTHER)


@dataclass(frozen=True)
class Blend:
    half_life_days: float  # an engagement's weight halves every this many days
    prior_weight: float  # how many engagements the segment profile counts as
    item_weight: float  # share of the score moved to similar topics

    def __str__(self) -> str:
        return (
            f"engagement's weight halves every {self.half_life_days:g} days; the segment profile counts as "
            f"{self.prior_weight:g} engagements; {self.item_weight:.0%} of the score moves to similar topics"
        )


BLENDS = tuple(Blend(h, m, b) for h in (7.0, 30.0, 90.0) for m in (1.0, 4.0, 16.0, 64.0) for b in (0.0, 0.3))


def window(events: pd.DataFrame, since: date, until: date) -> pd.DataFrame:
    """Events on posts created from the start of `since` to the end of `until`."""
    start, end = pd.Timestamp(since, tz="UTC"), pd.Timestamp(until + timedelta(days=1), tz="UTC")
    return events[(events["posted_at"] >= start) & (events["posted_at"] < end)]


def recent(events: pd.DataFrame, as_of: date) -> pd.DataFrame:
    return window(events, as_of - timedelta(days=HISTORY_DAYS - 1), as_of)


def topic_counts(events: pd.DataFrame, until: date, half_life_days: float | None = None) -> pd.DataFrame:
    """People x TOPICS engagements, each weighted 0.5 ** (age in days / half_life_days) at the end of `until`
    (counted plainly without a half-life)."""
    if half_life_days is None:
        weight = pd.Series(1.0, index=events.index)
    else:
        age = (pd.Timestamp(until + timedelta(days=1), tz="UTC") - events["posted_at"]).dt.total_seconds() / 86_400
        weight = 0.5 ** (age / half_life_days)
    counts = weight.groupby([events["person_id"], events["topic"]]).sum().unstack(fill_value=0.0)
    return counts.reindex(columns=list(TOPICS), fill_value=0.0).astype(float)


def similarity(gram: np.ndarray) -> np.ndarray:
    """Topic x topic cosine similarity over people, from their Gram matrix (people's topic vectors, X.T @ X);
    diagonal kept (a liked topic stays a good next one)."""
    norms = np.sqrt(np.diag(gram)).copy()
    norms[norms == 0] = 1.0
    return cast(np.ndarray, gram / np.outer(norms, norms))


def segment_profiles(model: SegmentModel, profiles: pd.DataFrame, counts: pd.DataFrame) -> np.ndarray:
    """Per profile, the CANDIDATES mix of its segment: each class's topic mix weighted by the class's probability
    given the profile's row, its topic counts taken from `counts` (what was known at the time)."""
    features = segment_features(profiles)
    known = counts.reindex(profiles["person_id"]).fillna(0.0).to_numpy()
    features[list(TOPIC_COLUMNS)] = known
    mixture = model.mixture
    mix = mixture.topic_mix[:, [TOPICS.index(t) for t in CANDIDATES]]
    return cast(np.ndarray, mixture.predict_proba(features) @ (mix / mix.sum(axis=1, keepdims=True)))


def blended(decayed: np.ndarray, prior: np.ndarray, similar: np.ndarray, blend: Blend) -> np.ndarray:
    """People x CANDIDATES scores: the Dirichlet posterior mean of each person's topic mix, part of it moved along
    topic similarity. Each row sums to 1."""
    posterior = (decayed + blend.prior_weight * prior) / (decayed.sum(axis=1, keepdims=True) + blend.prior_weight)
    moved = posterior @ similar
    moved /= np.maximum(moved.sum(axis=1, keepdims=True), 1e-12)
    return cast(np.ndarray, (1 - blend.item_weight) * posterior + blend.item_weight * moved)


HALF_LIVES = tuple(sorted({b.half_life_days for b in BLENDS}))


@dataclass
class Everyone:
    """What the scores at a cut take from everyone, summed a bucket of people at a time (add): each topic's
    engagements up to the cut, for popularity, and per half-life the Gram matrix of people's decayed topic counts,
    for topic similarity. The rest of a score is the person's own."""

    until: date
    half_lives: tuple[float, ...] = HALF_LIVES
    totals: np.ndarray = field(default_factory=lambda: np.zeros(len(CANDIDATES)))
    grams: dict[float, np.ndarray] = field(default_factory=dict)

    @classmethod
    def of(cls, events: pd.DataFrame, until: date, half_lives: tuple[float, ...] = HALF_LIVES) -> Everyone:
        """Everyone of a cut whose events are all at hand."""
        everyone = cls(until, half_lives)
        everyone.add(events)
        return everyone

    def add(self, events: pd.DataFrame) -> None:
        """The events of a bucket of people (every event of each of them)."""
        history = _history(events, self.until)
        self.totals = self.totals + topic_counts(history, self.until)[list(CANDIDATES)].sum().to_numpy()
        for half_life in self.half_lives:
            decayed = topic_counts(history, self.until, half_life)[list(CANDIDATES)].to_numpy()
            self.grams[half_life] = self.grams.get(half_life, 0.0) + decayed.T @ decayed

    @property
    def popularity(self) -> list[str]:
        """CANDIDATES, the most engaged with up to the cut first."""
        return [CANDIDATES[i] for i in np.argsort(-self.totals, kind="stable")]

    def similarity(self, half_life: float) -> np.ndarray:
        return similarity(self.grams.get(half_life, np.zeros((len(CANDIDATES), len(CANDIDATES)))))


def _history(events: pd.DataFrame, until: date) -> pd.DataFrame:
    return window(events, until - timedelta(days=HISTORY_DAYS - 1), until)


@dataclass
class Inputs:
    """What the scores of one cut are made from, for the people of `profiles`, in their order."""

    people: np.ndarray
    history: np.ndarray  # engagements up to the cut, per person
    prior: np.ndarray  # people x CANDIDATES segment profile
    events: pd.DataFrame  # their engagement up to the cut
    everyone: Everyone
    decayed: dict[float, np.ndarray] = field(default_factory=dict)  # their own, by half-life

    @classmethod
    def at(cls, events: pd.DataFrame, profiles: pd.DataFrame, model: SegmentModel, everyone: Everyone) -> Inputs:
        history = _history(events, everyone.until)
        counts = topic_counts(history, everyone.until)
        people = profiles["person_id"].to_numpy()
        prior = segment_profiles(model, profiles, counts)
        per_person = counts.sum(axis=1).reindex(people).fillna(0.0).to_numpy()
        return cls(people, per_person, prior, history, everyone)

    @property
    def popularity(self) -> list[str]:
        return self.everyone.popularity

    def scores(self, blend: Blend) -> np.ndarray:
        if blend.half_life_days not in self.decayed:  # the blends tried share three half-lives
            decayed = topic_counts(self.events, self.everyone.until, blend.half_life_days)[list(CANDIDATES)]
            self.decayed[blend.half_life_days] = decayed.reindex(self.people).fillna(0.0).to_numpy()
        own = self.decayed[blend.half_life_days]
        return blended(own, self.prior, self.everyone.similarity(blend.half_life_days), blend)


def _top(values: np.ndarray) -> np.ndarray:
    """Per row, the column positions of the TOP_N highest values, highest first."""
    return np.argsort(-values, axis=1, kind="stable")[:, :TOP_N]


def recommendations(inputs: Inputs, blend: Blend) -> pd.DataFrame:
    """person_id, rank, topic, score, source for every person of the inputs (TOP_N rows each)."""
    values = inputs.scores(blend)
    top = _top(values)
    return pd.DataFrame(
        {
            "person_id": np.repeat(inputs.people, TOP_N),
            "rank": np.tile(np.arange(1, TOP_N + 1), len(inputs.people)),
            "topic": np.asarray(CANDIDATES)[top].reshape(-1),
            "score": np.take_along_axis(values, top, axis=1).reshape(-1),
            "source": np.repeat(np.where(inputs.history >= MIN_HISTORY, "engagement", "segment_profile"), TOP_N),
        }
    )


def recommend(
    events: pd.DataFrame, profiles: pd.DataFrame, model: SegmentModel, as_of: date, blend: Blend
) -> pd.DataFrame:
    """recommendations for every profile, everyone's events at hand."""
    everyone = Everyone.of(events, as_of, (blend.half_life_days,))
    return recommendations(Inputs.at(events, profiles, model, everyone), blend)


DISCOUNTS = 1 / np.log2(np.arange(2, TOP_N + 2))  # NDCG's weight of each rank of a list


@dataclass
class Tally:
    """Hits and NDCG gains of lists against what people then engaged with, summed over people (add), for quality."""

    hits: float = 0.0
    gains: float = 0.0
    people: int = 0

    def add(self, hit: np.ndarray, relevant: np.ndarray) -> None:
        """People's lists as arrays: per person and rank, whether the topic shown was engaged with (hit), and how
        many topics they engaged with (relevant, 1 or more). Arrays, not a loop over people: 24 blends tried on a
        million people made that loop most of recommend_content's time."""
        ideal = np.cumsum(DISCOUNTS)[np.minimum(relevant, TOP_N) - 1]
        self.hits += float(hit.any(axis=1).sum())
        self.gains += float((hit @ DISCOUNTS / ideal).sum())
        self.people += len(hit)

    def figures(self) -> JsonObject:
        """Hit rate@3 (a shown topic was engaged with) and NDCG@3, over the people added."""
        return {
            "hit_rate_at_3": self.hits / self.people if self.people else None,
            "ndcg_at_3": self.gains / self.people if self.people else None,
            "people": self.people,
        }


def _tallied(top: dict[Any, list[str]], held: dict[Any, set[str]]) -> Tally:
    """A Tally of lists and engaged topics given by person (a list may be short or missing: no hit there)."""
    shown = {p: [*top.get(p, [])[:TOP_N], *[None] * TOP_N][:TOP_N] for p in held}
    hit = np.array([[t in topics for t in shown[p]] for p, topics in held.items()], dtype=bool)
    tally = Tally()
    tally.add(hit.reshape(len(held), TOP_N), np.array([len(t) for t in held.values()], dtype=int))
    return tally


def quality(top: dict[Any, list[str]], held: dict[Any, set[str]]) -> JsonObject:
    """Hit rate@3 and NDCG@3 of the lists `top` against the topics `held` (Tally)."""
    return _tallied(top, held).figures()


GROUPS = ("all", "history", "cold_start")


@dataclass
class Split:
    """Engagement known at a cut, and each person's topics in the HOLDOUT_DAYS after it."""

    inputs: Inputs
    engaged: np.ndarray  # inputs' people x CANDIDATES: engaged with after the cut, for the people known at it
    held: np.ndarray  # inputs' people known at the cut (in the CRM or with history) who engaged after it
    cold: np.ndarray  # of them, those with fewer than MIN_HISTORY engagements up to the cut

    @classmethod
    def at(cls, events: pd.DataFrame, profiles: pd.DataFrame, model: SegmentModel, everyone: Everyone) -> Split:
        inputs = Inputs.at(events, profiles, model, everyone)
        cut = everyone.until
        after = window(events, cut + timedelta(days=1), cut + timedelta(days=HOLDOUT_DAYS))
        after = after[after["topic"].isin(CANDIDATES)]
        engaged = np.zeros((len(inputs.people), len(CANDIDATES)), dtype=bool)
        rows = pd.Index(inputs.people).get_indexer(after["person_id"])
        columns = pd.Index(CANDIDATES).get_indexer(after["topic"])
        engaged[rows[rows >= 0], columns[rows >= 0]] = True
        known = profiles["in_crm"].astype(bool).to_numpy() | (inputs.history > 0)
        engaged &= known[:, None]
        held = cast(np.ndarray, engaged.any(axis=1))
        return cls(inputs, engaged, held, held & (inputs.history < MIN_HISTORY))

    def tally(self, top: np.ndarray, into: dict[str, Tally]) -> None:
        """Add the hits and gains of the lists `top` (per person of the inputs, CANDIDATES positions, best first) to
        the tallies of GROUPS given: everyone held, people with history, cold-start people."""
        hit, relevant, groups = np.take_along_axis(self.engaged, top, axis=1), self.engaged.sum(axis=1), self.groups()
        for group, tally in into.items():
            tally.add(hit[groups[group]], relevant[groups[group]])

    def groups(self) -> dict[str, np.ndarray]:
        """GROUPS as masks over the inputs' people."""
        return {"all": self.held, "history": self.held & ~self.cold, "cold_start": self.cold}

    def engaged_topics(self) -> dict[Any, set[str]]:
        """Each held person's topics engaged with after the cut."""
        return {
            person: {CANDIDATES[c] for c in np.flatnonzero(row)}
            for person, row in zip(self.inputs.people[self.held], self.engaged[self.held], strict=True)
        }

    def report(self, top: dict[Any, list[str]]) -> JsonObject:
        """quality() of lists by person over everyone held, with the same for people with history and cold-start
        people apart."""
        held = self.engaged_topics()
        return report(
            {
                group: _tallied(top, {p: held[p] for p in self.inputs.people[rows]})
                for group, rows in self.groups().items()
            }
        )

    def popular(self) -> np.ndarray:
        """Everyone's list (tally's `top`) when everyone gets the most engaged topics up to the cut."""
        first = [CANDIDATES.index(t) for t in self.inputs.popularity[:TOP_N]]
        return np.tile(first, (len(self.inputs.people), 1))


def report(tallies: dict[str, Tally]) -> JsonObject:
    return {
        **tallies["all"].figures(),
        "history": tallies["history"].figures(),
        "cold_start": tallies["cold_start"].figures(),
    }


class Recommender:
    """Recommendations as of a day, made a bucket of people at a time, with their offline figures.

    Passes over the buckets, each holding one bucket at a time: learn (what scores take from everyone, at the
    validation cut, the test cut and the day), choose (the blend with the best NDCG@3 on the validation week), then
    test (the chosen blend and popularity on the test week, the last HOLDOUT_DAYS) and recommend, in any order.
    """

    def __init__(self, model: SegmentModel, as_of: date) -> None:
        self.model, self.as_of = model, as_of
        self.validation, self.test_cut = as_of - timedelta(days=2 * HOLDOUT_DAYS), as_of - timedelta(days=HOLDOUT_DAYS)
        self.everyone = {cut: Everyone(cut) for cut in (self.validation, self.test_cut, as_of)}
        self.tried = {blend: Tally() for blend in BLENDS}
        self.blend: Blend | None = None
        self.tested = {name: {group: Tally() for group in GROUPS} for name in ("model", "popularity")}

    def learn(self, events: pd.DataFrame) -> None:
        """The events of a bucket of people."""
        for everyone in self.everyone.values():
            everyone.add(events)

    def choose(self, buckets: Iterable[tuple[pd.DataFrame, pd.DataFrame]]) -> Blend:
        """The blend of BLENDS with the best NDCG@3 (then hit rate) on the validation week, over buckets of
        (events, profiles)."""
        for events, profiles in buckets:
            validation = Split.at(events, profiles, self.model, self.everyone[self.validation])
            for blend in BLENDS:
                validation.tally(_top(validation.inputs.scores(blend)), {"all": self.tried[blend]})
        figures = {blend: tally.figures() for blend, tally in self.tried.items()}
        self.blend = max(BLENDS, key=lambda b: (figures[b]["ndcg_at_3"] or 0.0, figures[b]["hit_rate_at_3"] or 0.0))
        return self.blend

    def test(self, events: pd.DataFrame, profiles: pd.DataFrame) -> None:
        """Tally the chosen blend's lists, and popularity's, on the test week, for a bucket of people."""
        assert self.blend is not None, "choose the blend first"
        test = Split.at(events, profiles, self.model, self.everyone[self.test_cut])
        test.tally(_top(test.inputs.scores(self.blend)), self.tested["model"])
        test.tally(test.popular(), self.tested["popularity"])

    def recommend(self, events: pd.DataFrame, profiles: pd.DataFrame) -> pd.DataFrame:
        """The chosen blend's recommendations as of the day for a bucket of people."""
        assert self.blend is not None, "choose the blend first"
        return recommendations(Inputs.at(events, profiles, self.model, self.everyone[self.as_of]), self.blend)

    def quality(self) -> JsonObject:
        """The chosen blend, its validation figures, and the test week's for it and for popularity."""
        assert self.blend is not None, "choose the blend first"
        return {
            "blend": asdict(self.blend),
            "validation": {**self.tried[self.blend].figures(), "blends_tried": len(BLENDS)},
            "model": report(self.tested["model"]),
            "popularity": report(self.tested["popularity"]),
        }


def evaluate(
    events: pd.DataFrame, profiles: pd.DataFrame, model: SegmentModel, as_of: date
) -> tuple[Blend, JsonObject]:
    """(the blend chosen on the validation week, the figures: Recommender.quality), everyone at hand."""
    recommender = Recommender(model, as_of)
    recommender.learn(events)
    blend = recommender.choose([(events, profiles)])
    recommender.test(events, profiles)
    return blend, recommender.quality()


def best_times(events: pd.DataFrame, profiles: pd.DataFrame, posts: pd.DataFrame) -> pd.DataFrame:
    """Per segment id: the platform where its members engage most against that platform's everyone, and the UTC hour
    whose posts they engage with most per post (BestTimes, everyone at hand).

    Platforms count unlike things (comments on Facebook, likes and reposts on X), so a platform's
    figure compares it only with itself: the segment's engagements there per member, over
    everyone's per person (its share of the platform's engagement over its share of the
    audience; 1 for average). Where members are not, they engage less: reach counts. Only
    platforms that report who engaged take part; a segment with no engagement on any is "unknown".
    """
    times = BestTimes()
    times.add(events, profiles)
    return times.result(posts)


class BestTimes:
    """best_times of people that come in buckets (add: a bucket's events and profiles, every event of each of its
    people): every figure is a count over events or people, summed."""

    def __init__(self) -> None:
        self.sizes = pd.Series(dtype="int64")  # members per segment
        self.by_platform: pd.Series | None = None  # members' events per (segment, platform)
        self.by_hour: pd.Series | None = None  # members' events per (segment, hour of the post)
        self.platforms: set[str] = set()  # every platform with events, members' or not

    def add(self, events: pd.DataFrame, profiles: pd.DataFrame) -> None:
        segments = profiles.set_index("person_id")["segment_id"]
        joined = events.join(segments.rename("segment_id"), on="person_id").dropna(subset=["segment_id"])
        self.sizes = self.sizes.add(profiles.groupby("segment_id").size(), fill_value=0)
        self.by_platform = summed(self.by_platform, joined.groupby(["segment_id", "platform"]).size())
        hours = joined["posted_at"].dt.hour.rename("hour")
        self.by_hour = summed(self.by_hour, joined.groupby([joined["segment_id"], hours]).size())
        self.platforms |= {str(p) for p in events["platform"].unique()}

    def result(self, posts: pd.DataFrame) -> pd.DataFrame:
        """best_times' frame; `posts` holds every post engaged with once (created_at)."""
        assert self.by_platform is not None and self.by_hour is not None, "add a bucket first"
        sizes = self.sizes.sort_index()
        by_platform = self.by_platform.unstack(fill_value=0)
        index = pd.DataFrame(
            {
                p: (by_platform[p] / sizes) / (by_platform[p].sum() / sizes.sum())
                if p in by_platform
                else pd.Series(np.nan, index=sizes.index)
                for p in sorted(self.platforms)
            },
            index=sizes.index,
        ).fillna(0.0)
        hours = pd.to_datetime(posts["created_at"], utc=True).dt.hour
        per_hour = self.by_hour / posts.groupby(hours.rename("hour")).size()
        best = pd.DataFrame(
            {
                "best_platform": index.apply(lambda row: row.idxmax() if row.max() > 0 else "unknown", axis=1)
                if len(index.columns)
                else "unknown",
                "best_hour": per_hour.dropna().groupby(level=0).idxmax().map(lambda k: int(k[1])),
            }
        )
        best.index = best.index.astype(int)
        return best
