"""What to show each person next: topics by item-based collaborative filtering, and when each segment engages.

Item-based CF on the person x topic matrix of 90-day engagement counts: two topics are
similar when the same people engage with both (cosine over people); a person's score for
a topic is their engagement profile times that similarity. People with fewer than
MIN_HISTORY engagements get their segment's most engaged topics instead.
`recent(events, as_of)` is what a run learns from: engagement with the posts of HISTORY_DAYS.
Evaluated offline each run: fitted on engagement with posts older than HOLDOUT_DAYS,
tested on each person's engagement with the newest posts (hit rate@3, NDCG@3), next to
recommending everyone the most popular topics.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import cast

import numpy as np
import pandas as pd

from socialpulse.transforms.topics import OTHER, TOPICS
from socialpulse.typing_aliases import JsonObject

TOP_N = 3
MIN_HISTORY = 3
HOLDOUT_DAYS = 7
HISTORY_DAYS = 90
CANDIDATES = tuple(t for t in TOPICS if t != OTHER)


def window(events: pd.DataFrame, since: date, until: date) -> pd.DataFrame:
    """Events on posts created from the start of `since` to the end of `until`."""
    start, end = pd.Timestamp(since, tz="UTC"), pd.Timestamp(until + timedelta(days=1), tz="UTC")
    return events[(events["posted_at"] >= start) & (events["posted_at"] < end)]


def recent(events: pd.DataFrame, as_of: date) -> pd.DataFrame:
    return window(events, as_of - timedelta(days=HISTORY_DAYS - 1), as_of)


def topic_matrix(events: pd.DataFrame) -> pd.DataFrame:
    """People x CANDIDATES engagement counts."""
    counts = events[events["topic"].isin(CANDIDATES)].groupby(["person_id", "topic"]).size().unstack(fill_value=0)
    return counts.reindex(columns=list(CANDIDATES), fill_value=0).astype(float)


def similarity(matrix: pd.DataFrame) -> np.ndarray:
    """Topic x topic cosine similarity over people, diagonal kept (a liked topic stays a good next one)."""
    values = matrix.to_numpy()
    norms = np.linalg.norm(values, axis=0)
    norms[norms == 0] = 1.0
    return cast(np.ndarray, (values.T @ values) / np.outer(norms, norms))


def scores(matrix: pd.DataFrame) -> pd.DataFrame:
    shares = matrix.div(matrix.sum(axis=1).replace(0, 1), axis=0)
    return pd.DataFrame(shares.to_numpy() @ similarity(matrix), index=matrix.index, columns=matrix.columns)


def segment_popularity(matrix: pd.DataFrame, segments: pd.Series) -> pd.DataFrame:
    """Per segment id: each topic's share of its members' engagement (everyone's where unknown)."""
    joined = matrix.join(segments.rename("segment_id"), how="left")
    joined["segment_id"] = joined["segment_id"].fillna(-1)
    popular = joined.groupby("segment_id").sum()
    popular.loc[-1] = matrix.sum()
    return popular.div(popular.sum(axis=1).replace(0, 1), axis=0)


def recommend(events: pd.DataFrame, segments: pd.Series, people: pd.Index) -> pd.DataFrame:
    """person_id, rank, topic, score, source for every person in `people` (TOP_N rows each)."""
    matrix = topic_matrix(events)
    history = matrix.sum(axis=1).reindex(people, fill_value=0).to_numpy()
    collaborative = (
        scores(matrix).reindex(people).fillna(0.0).to_numpy()
        if len(matrix)
        else np.zeros((len(people), len(CANDIDATES)))
    )
    popular = segment_popularity(matrix, segments)
    keys = segments.reindex(people).where(lambda s: s.isin(popular.index), -1).fillna(-1)
    fallback = popular.reindex(keys.to_numpy()).to_numpy()
    use_cf = history >= MIN_HISTORY
    ranked = np.where(use_cf[:, None], collaborative, fallback)
    top = np.argsort(-ranked, axis=1, kind="stable")[:, :TOP_N]
    return pd.DataFrame(
        {
            "person_id": np.repeat(np.asarray(people), TOP_N),
            "rank": np.tile(np.arange(1, TOP_N + 1), len(people)),
            "topic": np.asarray(CANDIDATES)[top].reshape(-1),
            "score": np.take_along_axis(ranked, top, axis=1).reshape(-1),
            "source": np.repeat(np.where(use_cf, "collaborative", "segment_popularity"), TOP_N),
        }
    )


def _quality(top: dict[str, list[str]], held: dict[str, set[str]]) -> JsonObject:
    hits, gains = [], []
    ideal = [sum(1 / np.log2(i + 2) for i in range(min(TOP_N, len(t)))) for t in held.values()]
    for (person, truth), best in zip(held.items(), ideal, strict=True):
        shown = top.get(person, [])[:TOP_N]
        hits.append(any(t in truth for t in shown))
        gains.append(sum(1 / np.log2(i + 2) for i, t in enumerate(shown) if t in truth) / best)
    return {
        "hit_rate_at_3": float(np.mean(hits)) if hits else None,
        "ndcg_at_3": float(np.mean(gains)) if gains else None,
        "people": len(held),
    }


def evaluate(events: pd.DataFrame, as_of: date) -> JsonObject:
    """Hit rate@3 and NDCG@3 of the recommendations and of popularity, on each person's newest engagement.

    People with little history fall back to everyone's popular topics here, not their
    segment's: the segments were fitted on shares that include the held-out week.
    """
    cut = as_of - timedelta(days=HOLDOUT_DAYS)
    train = window(events, as_of - timedelta(days=HISTORY_DAYS - 1), cut)
    test = window(events, cut + timedelta(days=1), as_of)
    test = test[test["topic"].isin(CANDIDATES)]
    held = test.groupby("person_id")["topic"].agg(set).to_dict()
    known = set(train["person_id"])
    held = {p: t for p, t in held.items() if p in known}  # people with a history to learn from
    if not held:
        return {"model": _quality({}, {}), "popularity": _quality({}, {})}
    recs = recommend(train, pd.Series(dtype="Int64"), pd.Index(sorted(held)))
    top = recs.sort_values("rank").groupby("person_id")["topic"].agg(list).to_dict()
    popular = topic_matrix(train).sum().sort_values(ascending=False, kind="stable").index[:TOP_N].tolist()
    return {"model": _quality(top, held), "popularity": _quality(dict.fromkeys(held, popular), held)}


def best_times(events: pd.DataFrame, segments: pd.Series, posts: pd.DataFrame) -> pd.DataFrame:
    """Per segment id: the platform and the UTC hour whose posts its members engage with most, per post."""
    joined = events.join(segments.rename("segment_id"), on="person_id").dropna(subset=["segment_id"])
    joined = joined.assign(hour=joined["posted_at"].dt.hour)
    posts = posts.assign(hour=pd.to_datetime(posts["created_at"], utc=True).dt.hour)
    per_platform = joined.groupby(["segment_id", "platform"]).size() / posts.groupby("platform").size()
    per_hour = joined.groupby(["segment_id", "hour"]).size() / posts.groupby("hour").size()
    best = pd.DataFrame(
        {
            "best_platform": per_platform.dropna().groupby(level=0).idxmax().map(lambda k: k[1]),
            "best_hour": per_hour.dropna().groupby(level=0).idxmax().map(lambda k: int(k[1])),
        }
    )
    best.index = best.index.astype(int)
    return best
