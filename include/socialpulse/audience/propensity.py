"""Conversion propensity: a Keras model that scores raw profile columns, and the baselines it must beat.

Label: an order within LABEL_DAYS after the snapshot date. The split is by time: train
on profiles as of as_of - 2 x LABEL_DAYS with the orders of the LABEL_DAYS after it,
evaluate on profiles as of as_of - LABEL_DAYS with the orders since (both windows are
observed by the run's date), and score everyone as of the run's date.

The model's preprocessing lives in the saved `.keras` file: missing values filled
(FillMissing), numbers normalised (Normalization adapted on the training snapshot),
categories looked up (StringLookup, one-hot). It takes a dict of raw profile columns.
Training, evaluation and scoring rows come from one function, `feature_rows`, so a person's
features for a day are the same whichever run computes them:
- engagement counts only posts at least SETTLE_DAYS old at the snapshot's end (engagers keep
  arriving for two days, and a snapshot read 60 days later would count them);
- windows of fixed length: 7- and 30-day engagement, topic shares over TOPIC_DAYS (the first
  run's 90 days of posts cover 30 days at the training snapshot, not 90), orders over the
  last 90 and ORDER_WINDOW_DAYS days; no total or all-time average that changes from one
  snapshot to the next (orders, value, tenure), which trained the model on a younger
  population than it scored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, cast

import numpy as np
import pandas as pd

from socialpulse.audience.entities import ENGAGEMENT_COLUMNS, ORDER_WINDOW_DAYS, TOPIC_COLUMNS
from socialpulse.audience.profiles import AudienceInputs, build_profiles

LABEL_DAYS = 30
SETTLE_DAYS = 2  # a post's engagers are all visible two days after it is posted
MARKET_PRIOR = 5.0  # buyers' weight of a market's calibration factor towards 1
TOPIC_DAYS = 30
NUMERIC = (
    "age",
    "linked_platforms",
    *(c for c in ENGAGEMENT_COLUMNS if not c.endswith("90d")),
    "engagements_7d",
    "engagements_30d",
    *TOPIC_COLUMNS,
    "orders_90d",
    f"orders_{ORDER_WINDOW_DAYS}d",
    "recency_days",
    f"monetary_{ORDER_WINDOW_DAYS}d",
)
CATEGORICAL = ("gender", "country", "age_band")
FEATURES = (*NUMERIC, *CATEGORICAL)
MISSING = "missing"
LEARNING_RATE = 1e-3
LARGE = 20_000  # people from which the wider net trains (bench/audience.py measured both sides)


def architecture(rows: int) -> tuple[tuple[int, ...], float, int, int]:
    """(hidden layers, L2, batch size, epochs) for a training snapshot of `rows` people.

    A few thousand people: one small, strongly regularised layer for 40 epochs of 256
    (wider or deeper nets overfit them and lose to the logistic regression). From LARGE:
    two layers, lighter L2, batches of 1,024 for about 3,000 steps; at 200,000 people the
    small net stops at the logistic regression's AUC and this one passes it.
    """
    if rows < LARGE:
        return (16,), 1e-2, 256, 40
    return (32, 16), 1e-3, 1024, max(4, -(-3000 * 1024 // rows))


def feature_rows(inputs: AudienceInputs, snapshot: date) -> pd.DataFrame:
    """Everyone profiled as of the snapshot, with the model's windows (module docstring): the rows it trains,
    is evaluated and scores on. Recency is capped at ORDER_WINDOW_DAYS, past which it only grows with time."""
    rows = build_profiles(inputs, snapshot, SETTLE_DAYS, TOPIC_DAYS)
    rows["recency_days"] = rows["recency_days"].clip(upper=ORDER_WINDOW_DAYS)
    return rows


@dataclass(frozen=True)
class Calibration:
    """Scores to probabilities, learned on the evaluation snapshot (the newest labelled one): isotonic regression,
    then each market's observed buyers over its calibrated expectation, smoothed by MARKET_PRIOR buyers. A small
    network shrinks towards the overall rate, which overstated a market whose rate is lower (JP +17% after the
    isotonic step alone, bench/audience.py at 5,000 people)."""

    isotonic: Any
    by_market: dict[str, float]

    def apply(self, raw: np.ndarray, markets: pd.Series) -> np.ndarray:
        factor = markets.astype("string").map(self.by_market).astype("Float64").fillna(1.0).to_numpy(dtype=float)
        return cast(np.ndarray, np.clip(self.isotonic.predict(raw) * factor, 0.0, 1.0))


def calibrate(raw: np.ndarray, y: np.ndarray, markets: pd.Series) -> Calibration:
    from sklearn.isotonic import IsotonicRegression

    isotonic = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(raw, y)
    frame = pd.DataFrame({"market": markets.astype("string").to_numpy(), "p": isotonic.predict(raw), "y": y})
    sums = frame.dropna(subset=["market"]).groupby("market")[["p", "y"]].sum()
    factors = (sums["y"] + MARKET_PRIOR) / (sums["p"] + MARKET_PRIOR)
    return Calibration(isotonic, {str(m): round(float(f), 4) for m, f in factors.items()})


def snapshots(as_of: date) -> tuple[date, date]:
    """(training snapshot, evaluation snapshot) for a run's date."""
    return as_of - timedelta(days=2 * LABEL_DAYS), as_of - timedelta(days=LABEL_DAYS)


def labels(profiles: pd.DataFrame, orders: pd.DataFrame, snapshot: date) -> np.ndarray:
    """1 where the person ordered in the LABEL_DAYS after the snapshot's day."""
    start = pd.Timestamp(snapshot + timedelta(days=1), tz="UTC")
    window = orders[(orders["ordered_at"] >= start) & (orders["ordered_at"] < start + pd.Timedelta(days=LABEL_DAYS))]
    return cast(np.ndarray, profiles["person_id"].isin(set(window["person_id"])).to_numpy(dtype=int))


def model_inputs(profiles: pd.DataFrame) -> dict[str, np.ndarray]:
    """Raw profile columns as the model's inputs: numbers as float32 (NaN where missing), categories as text."""
    inputs = {
        c: profiles[c].astype("Float64").astype("float32").to_numpy(na_value=np.nan).reshape(-1, 1) for c in NUMERIC
    }
    inputs.update(
        {c: profiles[c].astype("string").fillna(MISSING).to_numpy(dtype=str).reshape(-1, 1) for c in CATEGORICAL}
    )
    return inputs


def _layers() -> tuple[Any, Any]:
    """Keras and the one custom layer, defined on first use (TensorFlow is imported only where it trains)."""
    import keras

    @keras.saving.register_keras_serializable(package="socialpulse")
    class FillMissing(keras.layers.Layer):  # type: ignore[misc]  # keras is untyped: its Layer is Any
        """NaN -> a constant, with a 0/1 column saying it was missing: nulls are part of the raw columns."""

        def __init__(self, value: float = 0.0, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.value = value

        def call(self, inputs: Any) -> Any:
            missing = keras.ops.isnan(inputs)
            filled = keras.ops.where(missing, self.value, inputs)
            return keras.ops.concatenate([filled, keras.ops.cast(missing, inputs.dtype)], axis=-1)

        def get_config(self) -> dict[str, Any]:
            return {**super().get_config(), "value": self.value}

    return keras, FillMissing


def train_keras(profiles: pd.DataFrame, y: np.ndarray, seed: int = 7) -> Any:
    """A small MLP on the raw columns; seeded, and deterministic on CPU (TensorFlow op determinism)."""
    import tensorflow as tf

    keras, fill_missing = _layers()
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    data = model_inputs(profiles)
    inputs, encoded = {}, []
    for name in NUMERIC:
        inputs[name] = keras.Input(shape=(1,), name=name, dtype="float32")
        column = data[name]
        fill = float(np.nanmedian(column)) if np.isfinite(column).any() else 0.0
        filled = fill_missing(fill, name=f"fill_{name}")(inputs[name])
        seen = np.concatenate([np.where(np.isnan(column), fill, column), np.isnan(column)], axis=1)
        # A column constant in training (no topic share before any engagement landed) keeps unit variance:
        # Keras would divide by its epsilon, and a value seen later would saturate every score.
        variance = seen.var(axis=0)
        norm = keras.layers.Normalization(
            mean=seen.mean(axis=0), variance=np.where(variance > 0, variance, 1.0), name=f"norm_{name}"
        )
        encoded.append(norm(filled))
    for name in CATEGORICAL:
        inputs[name] = keras.Input(shape=(1,), name=name, dtype="string")
        lookup = keras.layers.StringLookup(output_mode="one_hot", name=f"lookup_{name}")
        lookup.adapt(data[name])
        encoded.append(lookup(inputs[name]))
    features = keras.layers.Concatenate(name="features")(encoded)
    # Preprocessing learns nothing: the rows go through it once, and the layers that learn train on its output,
    # one float matrix. Fed the ~45 raw inputs, each step took 55 ms and training 173 s at 200,000 people.
    prepared = keras.Model(inputs, features).predict(tf.data.Dataset.from_tensor_slices(data).batch(8192), verbose=0)
    hidden, l2, batch, epochs = architecture(len(y))
    x = head_input = keras.Input(shape=(prepared.shape[1],), name="features")
    for width in hidden:
        x = keras.layers.Dense(width, activation="relu", kernel_regularizer=keras.regularizers.l2(l2))(x)
    head = keras.Model(head_input, keras.layers.Dense(1, activation="sigmoid", name="score")(x), name="head")
    head.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE), loss="binary_crossentropy")
    order = np.random.default_rng(seed).permutation(len(y))
    rows = tf.data.Dataset.from_tensor_slices((prepared[order], np.asarray(y, dtype="float32").reshape(-1, 1)[order]))
    # Below LARGE, rows are reshuffled each epoch. From LARGE, rows are permuted once and whole batches reshuffled,
    # as chosen when each row was ~45 raw tensors (a row buffer took 2 GiB more at 200,000 people, training 3x longer).
    batches = (
        rows.shuffle(len(y), seed=seed).batch(batch)
        if len(y) < LARGE
        else rows.batch(batch).shuffle(-(-len(y) // batch), seed=seed)
    )
    head.fit(batches, epochs=epochs, shuffle=False, verbose=0)
    return keras.Model(inputs, head(features), name="propensity")  # raw columns in, as saved and scored


def load_keras(path: str) -> Any:
    keras, _ = _layers()
    return keras.saving.load_model(path)


def predict_keras(model: Any, profiles: pd.DataFrame) -> np.ndarray:
    import tensorflow as tf

    batches = tf.data.Dataset.from_tensor_slices(model_inputs(profiles)).batch(8192)
    return cast(np.ndarray, model.predict(batches, verbose=0).reshape(-1).astype(float))


def _tabular(profiles: pd.DataFrame) -> pd.DataFrame:
    frame = profiles[list(FEATURES)].copy()
    for c in NUMERIC:
        frame[c] = frame[c].astype("Float64").astype(float)
    for c in CATEGORICAL:
        frame[c] = frame[c].astype("string").fillna(MISSING).astype(object)
    return frame


def train_baselines(profiles: pd.DataFrame, y: np.ndarray, seed: int = 7) -> dict[str, Any]:
    """{"logistic_regression": ..., "gradient_boosting": ...}: scikit-learn pipelines on the same columns."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

    frame = _tabular(profiles)
    # A snapshot older than the first engagement that landed has no topic share at all. The trees cannot bin a
    # column without a value (sklearn fails with "window shape cannot be larger than input array shape"), so an
    # empty column becomes a constant one, which no split uses.
    frame = frame.fillna({c: 0.0 for c in NUMERIC if frame[c].isna().all()})
    linear = ColumnTransformer(
        [
            (
                "numeric",
                make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler()),
                list(NUMERIC),
            ),
            ("categorical", OneHotEncoder(handle_unknown="ignore"), list(CATEGORICAL)),
        ]
    )
    trees = ColumnTransformer(
        [
            ("numeric", "passthrough", list(NUMERIC)),
            ("categorical", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1), list(CATEGORICAL)),
        ]
    )
    categorical = [False] * len(NUMERIC) + [True] * len(CATEGORICAL)
    models = {
        "logistic_regression": Pipeline([("prepare", linear), ("model", LogisticRegression(max_iter=2000))]),
        "gradient_boosting": Pipeline(
            [
                ("prepare", trees),
                ("model", HistGradientBoostingClassifier(categorical_features=categorical, random_state=seed)),
            ]
        ),
    }
    return {name: model.fit(frame, y) for name, model in models.items()}


def predict_baseline(model: Any, profiles: pd.DataFrame) -> np.ndarray:
    return cast(np.ndarray, model.predict_proba(_tabular(profiles))[:, 1])
