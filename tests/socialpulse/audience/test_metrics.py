"""The model figures on cases small enough to compute by hand."""

from __future__ import annotations

import numpy as np
import pytest

from socialpulse.audience.metrics import calibration, deciles, evaluate, top_decile_lift


def test_auc_log_loss_and_brier_match_hand_computed_values():
    labels, scores = np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])
    result = evaluate(labels, scores)
    assert result["roc_auc"] == pytest.approx(0.75)  # 3 of the 4 (positive, negative) pairs ordered right
    assert result["brier"] == pytest.approx((0.01 + 0.16 + 0.4225 + 0.04) / 4)
    expected = -np.mean([np.log(0.9), np.log(0.6), np.log(0.35), np.log(0.8)])
    assert result["log_loss"] == pytest.approx(expected)
    assert result["pr_auc"] == pytest.approx((1 + 2 / 3) / 2)  # precision at each positive's rank


def test_deciles_split_into_tenths_and_lift_compares_the_top_tenth():
    scores = np.arange(100) / 100
    assert np.bincount(deciles(scores))[1:].tolist() == [10] * 10 and deciles(scores)[-1] == 10
    labels = np.zeros(100, dtype=int)
    labels[95:] = 1  # every buyer in the top tenth
    assert top_decile_lift(labels, scores) == pytest.approx(0.5 / 0.05)
    top = calibration(labels, scores)[-1]
    assert top["observed"] == 0.5 and top["mean_score"] == pytest.approx(0.945)


def test_one_class_cannot_be_evaluated():
    with pytest.raises(ValueError, match="only one class"):
        evaluate(np.zeros(5, dtype=int), np.linspace(0, 1, 5))
