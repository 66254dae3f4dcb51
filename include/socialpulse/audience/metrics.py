"""How well scores rank and how honest they are: the figures every propensity model is compared on."""

from __future__ import annotations

import numpy as np

from socialpulse.typing_aliases import JsonObject

DECILES = 10
ROC_POINTS = 50  # a curve drawn from this many points: aggregates only, no person's score is kept


def deciles(scores: np.ndarray) -> np.ndarray:
    """1..10 by rank, 10 holding the highest scores; ties split by position, so every decile is a tenth
    (with fewer than ten people, the highest score is still in decile 10)."""
    rank = np.argsort(np.argsort(scores, kind="stable"), kind="stable")
    return (-(-(rank + 1) * DECILES // max(len(scores), 1))).astype(int)


def calibration(labels: np.ndarray, scores: np.ndarray) -> list[JsonObject]:
    """Per score decile: the mean score and the observed rate, which a calibrated model keeps equal."""
    bins = deciles(scores)
    return [
        {
            "decile": d,
            "mean_score": float(scores[bins == d].mean()),
            "observed": float(labels[bins == d].mean()),
            "people": int((bins == d).sum()),
        }
        for d in range(1, DECILES + 1)
        if (bins == d).any()
    ]


def top_decile_lift(labels: np.ndarray, scores: np.ndarray) -> float:
    """The conversion rate of the top-scored tenth over everyone's: how much better than random targeting."""
    base = labels.mean()
    return float(labels[deciles(scores) == DECILES].mean() / base) if base > 0 else float("nan")


def evaluate(labels: np.ndarray, scores: np.ndarray) -> JsonObject:
    """ROC AUC, PR AUC, log loss, Brier score, top-decile lift, calibration by decile and the ROC curve."""
    from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score, roc_curve

    labels, scores = np.asarray(labels, dtype=int), np.clip(np.asarray(scores, dtype=float), 1e-7, 1 - 1e-7)
    if labels.min() == labels.max():
        raise ValueError("the evaluation snapshot has only one class: no order, or everyone ordered, in its window")
    return {
        "roc_auc": float(roc_auc_score(labels, scores)),
        "pr_auc": float(average_precision_score(labels, scores)),
        "log_loss": float(log_loss(labels, scores)),
        "brier": float(brier_score_loss(labels, scores)),
        "top_decile_lift": top_decile_lift(labels, scores),
        "calibration": calibration(labels, scores),
        "positive_rate": float(labels.mean()),
        "rows": len(labels),
        "roc_curve": _downsampled(*roc_curve(labels, scores)[:2]),
    }


def _downsampled(fpr: np.ndarray, tpr: np.ndarray) -> dict[str, list[float]]:
    at = np.unique(np.linspace(0, len(fpr) - 1, min(ROC_POINTS, len(fpr))).round().astype(int))
    return {"fpr": [round(float(v), 4) for v in fpr[at]], "tpr": [round(float(v), 4) for v in tpr[at]]}


def auc_difference(labels: np.ndarray, new: np.ndarray, old: np.ndarray) -> JsonObject:
    """ROC AUC of `new` minus that of `old` on the same people, with its 95% confidence interval by DeLong's test
    (DeLong, DeLong and Clarke-Pearson 1988, in Sun and Xu's midrank form): exact for the paired case and one pass
    over the rows, where a paired bootstrap needs hundreds."""
    from scipy.stats import rankdata

    labels = np.asarray(labels, dtype=bool)
    positives, negatives = int(labels.sum()), int((~labels).sum())
    if not positives or not negatives:
        raise ValueError("the evaluation snapshot has only one class: no order, or everyone ordered, in its window")
    aucs, placements_pos, placements_neg = [], [], []
    for scores in (np.asarray(new, dtype=float), np.asarray(old, dtype=float)):
        ranks = rankdata(scores)
        within_pos, within_neg = rankdata(scores[labels]), rankdata(scores[~labels])
        aucs.append((ranks[labels].sum() - positives * (positives + 1) / 2) / (positives * negatives))
        placements_pos.append((ranks[labels] - within_pos) / negatives)
        placements_neg.append(1 - (ranks[~labels] - within_neg) / positives)
    covariance = np.cov(placements_pos) / positives + np.cov(placements_neg) / negatives
    error = float(np.sqrt(max(covariance[0, 0] + covariance[1, 1] - 2 * covariance[0, 1], 0.0)))
    difference = float(aucs[0] - aucs[1])
    return {
        "difference": difference,
        "standard_error": error,
        "low": difference - 1.96 * error,
        "high": difference + 1.96 * error,
        "test": "DeLong",
    }
