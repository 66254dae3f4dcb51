"""Training, judging and using the conversion-propensity model of a day.

The Keras model and two scikit-learn baselines (logistic regression, gradient boosting)
learn from the same training snapshot and are judged on the same held-out, later one.
The current champion is judged there too; the new model takes over only if it is not
worse: the lower end of the 95% confidence interval of its ROC AUC minus the champion's on
the same people (DeLong's paired test) is above -MARGIN; or if a person was erased after
the champion was trained (the registry keeps the newest erasure each model saw, so the
rule gives the same answer on every rerun). The champion of the date scores everyone as
of the date. Saved versions trained before the newest erasure, other than the one that
scores, are deleted: no model file keeps an erased person's influence.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any, cast

import numpy as np
import pandas as pd

from socialpulse import lake as lake_zone
from socialpulse.audience import propensity
from socialpulse.audience.metrics import auc_difference, deciles, evaluate
from socialpulse.errors import FatalError
from socialpulse.jobs.audience import (
    SEED,
    features_snapshot,
    model_dir,
    read_bucket,
    read_features,
    register_model,
    replace_people_in_parts,
    write_features_in_parts,
)
from socialpulse.jobs.buckets import people_buckets
from socialpulse.lake import files as lake_files
from socialpulse.lake import storage as lake_storage
from socialpulse.typing_aliases import JsonObject
from socialpulse.warehouse.dialect import bind_day, dialect_of, placeholder

log = logging.getLogger(__name__)
MODEL = "propensity"
MARGIN = 0.005  # ROC AUC a challenger may be worse than the champion by and still take over: a declared non-inferiority
# margin, a fifth to a quarter of the TensorFlow model's gap to the planted oracle (0.026 at 5,000 people, 0.018 at
# 200,000: bench/audience.py); the test's noise is on top


TRAIN_PEOPLE = 250_000  # people the models learn from and are judged on, at most: a sample by pseudonym beyond
SCORE_PEOPLE = 250_000  # people scored at a time (a bucket by pseudonym)


class NothingToLearnError(FatalError):
    """The training snapshot has no buyers (or only buyers): the CRM history must land first; a retry cannot help."""


def _timestamp(value: Any) -> datetime | None:
    if value is None:
        return None
    stamp = pd.Timestamp(value)
    return cast(datetime, (stamp.tz_convert("UTC") if stamp.tzinfo else stamp.tz_localize("UTC")).to_pydatetime())


def _champion_before(conn: Any, ds: str) -> tuple[str | None, datetime | None]:
    """(the version that scored the latest date before ds, the newest erasure it saw when trained)."""
    cursor = conn.cursor()
    mark = placeholder(dialect_of(conn))
    cursor.execute(
        f"SELECT r.champion_version, c.last_erasure_seen FROM model_registry r LEFT JOIN model_registry c "
        f"ON c.model_version = r.champion_version WHERE r.model_name = {mark} AND r.as_of_date < {mark} "
        "ORDER BY r.as_of_date DESC LIMIT 1",
        (MODEL, bind_day(conn, ds)),
    )
    row = cursor.fetchone()
    return (row[0], _timestamp(row[1])) if row else (None, None)


def _last_erasure(conn: Any) -> datetime | None:
    cursor = conn.cursor()
    cursor.execute("SELECT max(erased_at) FROM privacy_erasures WHERE status IS NULL OR status = 'erased'")
    return _timestamp(cursor.fetchone()[0])


def decide(
    version: str,
    comparison: JsonObject | None,
    champion: str | None,
    champion_saw: datetime | None,
    last_erasure: datetime | None,
) -> tuple[bool, str]:
    """(promote `version`?, the decision in words) by the rule in the module docstring; `comparison` is
    auc_difference(new, champion) on the evaluation snapshot, None when there is no champion to compare."""
    if champion is None:
        return True, f"promoted {version}: the first model, no champion before it"
    if last_erasure is not None and (champion_saw is None or champion_saw < last_erasure):
        return (
            True,
            f"promoted {version} over {champion}: {champion} was trained before the erasure of "
            f"{last_erasure:%Y-%m-%d %H:%M}",
        )
    if comparison is None:
        return True, f"promoted {version} over {champion}: {champion}'s model could not be loaded to compare"
    figures = (
        f"ROC AUC {comparison['difference']:+.4f} against {champion} "
        f"(95% interval {comparison['low']:+.4f} to {comparison['high']:+.4f}, "
        f"{comparison['test']} test on the same people)"
    )
    if comparison["low"] >= -MARGIN:
        return True, f"promoted {version} over {champion}: {figures}, not worse by more than the margin {MARGIN}"
    return False, f"kept {champion}: {version}'s {figures} may be worse by more than the margin {MARGIN}"


def _save(folder: lake_storage.LakePath, model: Any, baselines: dict[str, Any]) -> None:
    """The Keras file and the baselines, each moved into place whole."""
    import joblib

    with lake_files.local_file_to_write(folder / "model.keras") as local:  # Keras saves to local paths only
        model.save(local)
    with lake_files.replacing(folder / "baselines.joblib") as tmp, tmp.open("wb") as handle:
        joblib.dump(baselines, handle)


def _retire(conn: Any, lake: lake_zone.Lake, keep: set[str | None], last_erasure: datetime | None) -> list[str]:
    """Delete the saved versions trained before the newest erasure, except those in `keep`."""
    if last_erasure is None:
        return []
    cursor = conn.cursor()
    cursor.execute(
        f"SELECT model_version, last_erasure_seen FROM model_registry WHERE model_name = "
        f"{placeholder(dialect_of(conn))}",
        (MODEL,),
    )
    retired = [
        v
        for v, seen in cursor.fetchall()
        if v not in keep
        and (_timestamp(seen) is None or cast(datetime, _timestamp(seen)) < last_erasure)
        and model_dir(lake, MODEL, v).exists()
    ]
    for version in retired:
        lake_files.remove_tree(model_dir(lake, MODEL, version))
    if retired:
        log.info("deleted models trained before the erasure of %s: %s", last_erasure, retired)
    return retired


def _scores(
    lake: lake_zone.Lake, ds: str, as_of: date, scorer: Any, version: str, calibration: propensity.Calibration
) -> Callable[[], Iterator[pd.DataFrame]]:
    """Everyone's calibrated score and decile as of ds, scored a bucket of SCORE_PEOPLE at a time; the scores are
    kept (a float a person) for the deciles, which rank everyone, and the parts made from them on demand."""
    rows = features_snapshot(lake, "propensity_rows", ds)
    buckets = people_buckets(rows, ds, SCORE_PEOPLE)
    scores: list[np.ndarray] = []
    for bucket in range(buckets):
        part = read_bucket(rows, ds, bucket, buckets)
        scores.append(calibration.apply(propensity.predict_keras(scorer, part), part["country"]))
        log.info("scored bucket %d of %d: %d people so far", bucket + 1, buckets, sum(map(len, scores)))
    ranks = np.split(deciles(np.concatenate(scores)), np.cumsum([len(s) for s in scores])[:-1])

    def parts() -> Iterator[pd.DataFrame]:
        for bucket in range(buckets):
            yield pd.DataFrame(
                {
                    "as_of_date": as_of,
                    "person_id": read_bucket(rows, ds, bucket, buckets, ["person_id"])["person_id"],
                    "score": scores[bucket],
                    "decile": ranks[bucket],
                    "model_version": version,
                }
            )

    return parts


def train(conn: Any, lake: lake_zone.Lake, ds: str, run_id: str) -> JsonObject:
    """Train, evaluate against the baselines and the champion, register, and score the date's profiles."""

    as_of = date.fromisoformat(ds)
    train_rows, eval_rows = (
        read_features(lake, f"propensity_{name}", ds, at_most=TRAIN_PEOPLE) for name in ("train", "eval")
    )
    y_train, y_eval = train_rows["label"].to_numpy(), eval_rows["label"].to_numpy()
    if len(set(y_train)) < 2:
        raise NothingToLearnError(
            f"the training snapshot of {ds} has {int(y_train.sum())} buyers in {len(y_train)} "
            "people: nothing to learn; has the CRM drop's order history landed?"
        )
    version = f"{MODEL}-{ds}"
    folder = model_dir(lake, MODEL, version)
    lake_storage.ensure_dir(folder)
    log.info(
        "training %s on %d people (%d buyers), evaluating on %d (%d buyers)",
        version,
        len(y_train),
        y_train.sum(),
        len(y_eval),
        y_eval.sum(),
    )
    model = propensity.train_keras(train_rows, y_train, SEED)
    baselines = propensity.train_baselines(train_rows, y_train, SEED)
    _save(folder, model, baselines)
    scores = {"tensorflow": propensity.predict_keras(model, eval_rows)}
    scores.update({name: propensity.predict_baseline(m, eval_rows) for name, m in baselines.items()})
    metrics = {name: evaluate(y_eval, s) for name, s in scores.items()}
    for name, m in metrics.items():
        log.info(
            "%-20s ROC AUC %.4f  PR AUC %.4f  log loss %.4f  Brier %.4f  top-decile lift %.2f",
            name,
            m["roc_auc"],
            m["pr_auc"],
            m["log_loss"],
            m["brier"],
            m["top_decile_lift"],
        )
    champion, champion_saw = _champion_before(conn, ds)
    champion_model = comparison = None
    if champion and (model_dir(lake, MODEL, champion) / "model.keras").exists():
        with lake_files.local_file_to_read(model_dir(lake, MODEL, champion) / "model.keras") as local:
            champion_model = propensity.load_keras(str(local))
        champion_scores = propensity.predict_keras(champion_model, eval_rows)
        comparison = auc_difference(y_eval, scores["tensorflow"], champion_scores)
        metrics["champion"] = {
            "version": champion,
            "roc_auc": evaluate(y_eval, champion_scores)["roc_auc"],
            "comparison": comparison,
            "margin": MARGIN,
        }
    last_erasure = _last_erasure(conn)
    promote, decision = decide(version, comparison, champion, champion_saw, last_erasure)
    scorer_version, scorer = (version, model) if promote else (champion, champion_model)
    scorer_eval = scores["tensorflow"] if promote else propensity.predict_keras(scorer, eval_rows)
    calibration = propensity.calibrate(scorer_eval, y_eval, eval_rows["country"])
    log.info("scores calibrated on the evaluation snapshot; market factors %s", calibration.by_market)
    log.info("%s", decision)
    train_snapshot, eval_snapshot = propensity.snapshots(as_of)
    register_model(
        conn,
        version,
        MODEL,
        as_of,
        run_id,
        {
            "last_erasure_seen": last_erasure,
            "train_snapshot": train_snapshot,
            "eval_snapshot": eval_snapshot,
            "rows_train": len(y_train),
            "rows_eval": len(y_eval),
            "features": json.dumps(list(propensity.FEATURES)),
            "metrics": json.dumps({**metrics, "market_calibration": calibration.by_market}),
            "roc_auc": metrics["tensorflow"]["roc_auc"],
            "artifact_path": str(folder),
            "champion_version": scorer_version,
            "decision": decision,
        },
    )
    _retire(conn, lake, {version, scorer_version}, last_erasure)
    assert scorer_version is not None  # the champion is kept only when there is one
    people = _scores(lake, ds, as_of, scorer, scorer_version, calibration)
    write_features_in_parts(lake, "propensity_scores", ds, people)
    scored = replace_people_in_parts(conn, lake, "propensity_scores", people, {"as_of_date": as_of}, run_id)
    return {
        "version": version,
        "promoted": promote,
        "decision": decision,
        "scored_by": scorer_version,
        "people_scored": scored,
        "auc": {n: round(m["roc_auc"], 4) for n, m in metrics.items()},
    }
