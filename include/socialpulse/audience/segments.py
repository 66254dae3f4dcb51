"""Audience segments: KMeans in a scikit-learn Pipeline, k chosen by silhouette, ids kept across retrains.

Features (segment_features), each chosen for what it separates and scaled so none dominates by its unit:
* `log_age`: log of the CRM age (median where unknown), standardised; a log because
  a year matters more at 23 than at 60;
* `log_aov`: log of the average order value, standardised; people who never ordered
  get the 10th percentile, and `buyer` says they never ordered (0/1);
* `on_facebook`, `on_instagram`, `on_x`: 0/1, where the person is;
* `topic_*`: the person's share of 90-day engagements per topic, times TOPIC_WEIGHT,
  so the topics together weigh about as much as one standardised feature moves.
Chosen against the simulator's planted segments (the figures are in issue 11's closing
note): standardising the topic shares as well, or adding engagement and order counts,
lowered the adjusted Rand index (those spread within a segment more than between segments).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from socialpulse.audience.entities import TOPIC_COLUMNS
from socialpulse.transforms.topics import OTHER

log = logging.getLogger(__name__)
SCALED = ("log_age", "log_aov")
FLAGS = ("buyer", "on_facebook", "on_instagram", "on_x")
TOPICS = tuple(c for c in TOPIC_COLUMNS if c != f"topic_{OTHER}")
FEATURES = (*SCALED, *FLAGS, *TOPICS)
TOPIC_WEIGHT = 2.0
K_RANGE = range(2, 9)
K_TOLERANCE = 0.02  # the smallest k whose silhouette is within this of the best
SILHOUETTE_SAMPLE = 5000  # silhouette is quadratic in rows: scored on a sample past this
MINIBATCH_FROM = 50_000  # rows from which MiniBatchKMeans replaces KMeans (bench/audience.py measures both)
MATCH_DISTANCE = 1.0  # centroids closer than this (in the new model's scaled space) keep their id


def segment_features(profiles: pd.DataFrame) -> pd.DataFrame:
    """The features above, one row per profile, before scaling."""
    age = profiles["age"].astype("Float64").astype(float)
    aov = np.log(profiles["avg_order_value"].astype("Float64").astype(float).where(lambda v: v > 0))
    frame = pd.DataFrame(
        {
            "log_age": np.log(age.fillna(age.median() if age.notna().any() else 35.0)),
            "log_aov": aov.fillna(aov.quantile(0.1) if aov.notna().any() else 0.0),
            "buyer": (profiles["orders_total"] > 0).astype(float),
            **{c: profiles[c].astype(float) for c in FLAGS[1:]},
            **{c: profiles[c].astype("Float64").astype(float).fillna(0.0) for c in TOPICS},
        },
        index=profiles.index,
    )
    return frame[list(FEATURES)]


def make_pipeline(k: int, rows: int, seed: int) -> Any:
    """Scaling and clustering in one Pipeline, so the saved model assigns new people the same way."""
    from sklearn.cluster import KMeans, MiniBatchKMeans
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    scale = ColumnTransformer(
        [
            ("scaled", StandardScaler(), list(SCALED)),
            ("flags", "passthrough", list(FLAGS)),
            ("topics", FunctionTransformer(_weighted_topics), list(TOPICS)),
        ]
    )
    cluster = (
        MiniBatchKMeans(k, n_init=5, random_state=seed, batch_size=4096)
        if rows >= MINIBATCH_FROM
        else KMeans(k, n_init=10, random_state=seed)
    )
    return Pipeline([("scale", scale), ("cluster", cluster)])


def _weighted_topics(values: npt.ArrayLike) -> np.ndarray:
    return np.asarray(values, dtype=float) * TOPIC_WEIGHT


def choose_k(features: pd.DataFrame, seed: int) -> tuple[int, dict[int, float], dict[int, Any]]:
    """(the smallest k within K_TOLERANCE of the best silhouette, every k's silhouette, every k's fitted pipeline)."""
    from sklearn.metrics import silhouette_score

    scores, pipelines = {}, {}
    for k in K_RANGE:
        if k >= len(features):
            break
        pipeline = pipelines[k] = make_pipeline(k, len(features), seed).fit(features)
        scaled = pipeline.named_steps["scale"].transform(features)
        labels = pipeline.named_steps["cluster"].labels_
        sample = min(SILHOUETTE_SAMPLE, len(features))
        scores[k] = float(silhouette_score(scaled, labels, sample_size=sample, random_state=seed))
        log.info("k=%d: silhouette %.4f", k, scores[k])
    if not scores:
        raise ValueError(f"{len(features)} profiles are too few to segment")
    best = max(scores.values())
    return min(k for k, s in scores.items() if s >= best - K_TOLERANCE), scores, pipelines


@dataclass
class SegmentModel:
    """A fitted pipeline and the segment id of each of its clusters."""

    pipeline: Any  # a fitted scikit-learn Pipeline
    segment_ids: list[int]  # cluster index -> segment id
    centroids: pd.DataFrame  # per segment id, in feature units (unscaled): what the next retrain matches
    silhouettes: dict[int, float] = field(default_factory=dict)
    next_id: int = 0

    def assign(self, features: pd.DataFrame) -> np.ndarray:
        return cast(np.ndarray, np.asarray(self.segment_ids)[self.pipeline.predict(features)])


def match_ids(new: pd.DataFrame, previous: SegmentModel | None, pipeline: Any) -> tuple[list[int], int]:
    """Segment ids for the new clusters: the previous model's where a centroid matches, new ones elsewhere.

    Hungarian assignment (scipy's linear_sum_assignment) on the distances between
    centroids in the new model's scaled space; a pair farther apart than
    MATCH_DISTANCE is no match, and its new cluster gets an id never used before.
    """
    from scipy.optimize import linear_sum_assignment

    if previous is None:
        return list(range(len(new))), len(new)
    scale = pipeline.named_steps["scale"]
    a, b = scale.transform(new), scale.transform(previous.centroids[list(FEATURES)])
    distance = np.linalg.norm(a[:, None, :] - b[None, :, :], axis=2)
    ids, next_id = [-1] * len(new), previous.next_id
    for row, column in zip(*linear_sum_assignment(distance), strict=True):
        if distance[row, column] <= MATCH_DISTANCE:
            ids[row] = int(previous.centroids.index[column])
    for row in range(len(ids)):
        if ids[row] < 0:
            ids[row], next_id = next_id, next_id + 1
    return ids, next_id


def fit_segments(profiles: pd.DataFrame, previous: SegmentModel | None, seed: int = 7) -> SegmentModel:
    """Choose k, fit, and name the clusters with stable ids."""
    features = segment_features(profiles)
    k, silhouettes, pipelines = choose_k(features, seed)
    pipeline = pipelines[k]
    centroids = features.groupby(pipeline.named_steps["cluster"].labels_).mean().sort_index()
    del pipeline.named_steps["cluster"].labels_  # one per person: the saved model keeps centroids only
    ids, next_id = match_ids(centroids, previous, pipeline)
    centroids.index = pd.Index(ids, name="segment_id")
    log.info(
        "k=%d (silhouettes %s); segment ids %s%s",
        k,
        {q: round(s, 3) for q, s in silhouettes.items()},
        ids,
        "" if previous is None else f", previous {list(previous.centroids.index)}",
    )
    return SegmentModel(pipeline, ids, centroids, silhouettes, next_id)
