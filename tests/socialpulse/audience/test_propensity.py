"""The Keras propensity model: preprocessing inside the saved file, deterministic, better than chance; the decision."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from socialpulse.audience import propensity
from socialpulse.audience.entities import USER_PROFILES
from socialpulse.audience.metrics import auc_difference, evaluate
from socialpulse.jobs.propensity import MARGIN, decide

pytestmark = pytest.mark.integration  # trains TensorFlow and scikit-learn models


def profiles(count: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """People whose chance of buying rises with past orders and engagement, with missing values and categories."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({c: 0 for c in USER_PROFILES.names}, index=range(count))
    frame["person_id"] = [f"p{seed}-{i}" for i in range(count)]
    frame["age"] = pd.array(rng.integers(18, 70, count), dtype="Int64")
    frame.loc[rng.random(count) < 0.05, "age"] = pd.NA
    frame["orders_90d"] = rng.poisson(1.0, count)
    frame["engagements_30d"] = rng.poisson(3.0, count)
    frame["recency_days"] = pd.array(
        np.where(frame["orders_90d"] > 0, rng.integers(0, 90, count), -1), dtype="Int64"
    ).astype("Int64")
    frame.loc[frame["orders_90d"] == 0, "recency_days"] = pd.NA
    frame["gender"] = rng.choice(["female", "male", None], count)
    frame["country"] = rng.choice(["US", "DE", "JP"], count)
    frame["age_band"] = None
    logit = -2.0 + 0.9 * frame["orders_90d"] + 0.15 * frame["engagements_30d"] + (frame["country"] == "US") * 0.5
    labels = (rng.random(count) < 1 / (1 + np.exp(-logit))).astype(int)
    return frame, labels


@pytest.fixture(scope="module")
def trained():
    train, y = profiles(2000, 1)
    return propensity.train_keras(train, y, seed=7)


def test_the_model_ranks_buyers_and_scores_raw_columns_after_a_reload(trained, tmp_path):
    test, y = profiles(2000, 2)
    scores = propensity.predict_keras(trained, test)
    assert evaluate(y, scores)["roc_auc"] > 0.65  # the planted rule's own AUC is about 0.73
    trained.save(tmp_path / "model.keras")
    reloaded = propensity.load_keras(str(tmp_path / "model.keras"))
    unseen = test.assign(country="BR")  # a category the lookup never saw, and nulls, straight from profiles
    assert np.allclose(propensity.predict_keras(reloaded, test), scores)
    assert np.isfinite(propensity.predict_keras(reloaded, unseen)).all()


def test_training_is_deterministic_on_cpu(trained):
    train, y = profiles(2000, 1)
    test, _ = profiles(300, 3)
    again = propensity.train_keras(train, y, seed=7)
    assert np.array_equal(propensity.predict_keras(again, test), propensity.predict_keras(trained, test))


def test_the_baselines_learn_the_same_columns():
    train, y = profiles(2000, 1)
    test, y_test = profiles(2000, 2)
    for name, model in propensity.train_baselines(train, y).items():
        assert evaluate(y_test, propensity.predict_baseline(model, test))["roc_auc"] > 0.65, name


def test_the_champion_is_replaced_only_by_a_model_the_paired_test_says_is_not_worse():
    trained_at, erased = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC)
    new, old = "propensity-2026-11-02", "propensity-2026-11-01"
    assert decide(new, None, None, None, None) == (True, f"promoted {new}: the first model, no champion before it")
    close = {"difference": -0.002, "low": -0.004, "high": 0.0, "test": "DeLong"}
    promoted, why = decide(new, close, old, trained_at, None)
    assert promoted and why.startswith(f"promoted {new} over {old}: ROC AUC -0.0020") and "-0.0040 to +0.0000" in why
    uncertain = {**close, "low": -0.006}  # the interval reaches past the margin: may be worse
    kept, why = decide(new, uncertain, old, trained_at, None)
    assert not kept and why.startswith(f"kept {old}") and f"margin {MARGIN}" in why
    promoted, why = decide(new, uncertain, old, trained_at, erased)
    assert promoted and "before the erasure" in why
    assert not decide(new, uncertain, old, erased, trained_at)[0]  # erasure before training


def test_delong_interval_matches_a_paired_bootstrap():
    rng = np.random.default_rng(3)
    labels = rng.random(3000) < 0.2
    truth = labels + rng.normal(0, 1.2, 3000)
    new, old = truth + rng.normal(0, 0.5, 3000), truth + rng.normal(0, 0.6, 3000)
    found = auc_difference(labels, new, old)
    assert found["difference"] == pytest.approx(roc_auc_score(labels, new) - roc_auc_score(labels, old))
    draws = []
    for _ in range(400):
        at = rng.integers(0, 3000, 3000)
        draws.append(roc_auc_score(labels[at], new[at]) - roc_auc_score(labels[at], old[at]))
    assert found["standard_error"] == pytest.approx(np.std(draws), rel=0.15)
    same = auc_difference(labels, new, new)
    assert same["difference"] == 0 and same["standard_error"] == 0


def test_a_snapshot_before_any_engagement_landed_trains_every_model():
    """A first run whose look-back is shorter than the training snapshot's age: no topic share for anyone."""
    train, y = profiles(2000, 1)
    test, y_test = profiles(2000, 2)
    topics = [c for c in propensity.NUMERIC if c.startswith("topic_")]
    assert topics
    train[topics] = np.nan
    for name, model in propensity.train_baselines(train, y).items():
        assert evaluate(y_test, propensity.predict_baseline(model, test))["roc_auc"] > 0.65, name
    scores = propensity.predict_keras(propensity.train_keras(train, y, seed=7), test)
    assert evaluate(y_test, scores)["roc_auc"] > 0.65
