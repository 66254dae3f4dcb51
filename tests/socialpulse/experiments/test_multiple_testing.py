"""Holm and Benjamini-Hochberg against tea-tasting 1.14 to 1e-6, and intervals that agree with the decisions."""

from __future__ import annotations

import numpy as np
import pytest
from tea_tasting import experiment as tt_experiment
from tea_tasting import multiplicity

from socialpulse.experiments.multiple_testing import (
    BENJAMINI_HOCHBERG,
    HOLM,
    adjust,
    fixed_horizon_family,
    sequential_family,
)

P_VALUES = [0.001, 0.04, 0.012, 0.3, 0.0049, 0.02]  # 3 metrics x 2 arms


def tea_tasting_adjusted(p_values: list[float], method: str) -> list[float]:
    results = tt_experiment.ExperimentResult({f"m{i}": {"pvalue": p} for i, p in enumerate(p_values)})
    if method == HOLM:
        adjusted = multiplicity.adjust_fwer(results, alpha=0.05, method="bonferroni", arbitrary_dependence=True)
    else:
        adjusted = multiplicity.adjust_fdr(results, alpha=0.05)
    (only,) = adjusted.values()
    return [only[f"m{i}"]["pvalue_adj"] for i in range(len(p_values))]


@pytest.mark.parametrize("method", [HOLM, BENJAMINI_HOCHBERG])
def test_adjusted_p_values_equal_tea_tasting(method):
    assert adjust(P_VALUES, method).tolist() == pytest.approx(tea_tasting_adjusted(P_VALUES, method), rel=1e-6)
    many = np.random.default_rng(1).uniform(0, 0.2, (50, 6))
    ours = adjust(many, method)
    assert all(
        ours[i].tolist() == pytest.approx(tea_tasting_adjusted(list(row), method), rel=1e-6)
        for i, row in enumerate(many)
    )


def test_a_comparison_not_read_counts_as_one_and_stays_unread():
    adjusted = adjust([0.01, np.nan, 0.02], HOLM)
    assert np.isnan(adjusted[1]) and adjusted[[0, 2]].tolist() == pytest.approx([0.03, 0.04])
    with pytest.raises(ValueError, match="unknown multiple-testing method"):
        adjust([0.1], "sidak")


def test_intervals_exclude_zero_exactly_when_the_adjusted_p_value_is_below_alpha():
    rng = np.random.default_rng(4)
    looks, family = 20, 6
    error = 0.05 / np.sqrt(np.arange(1, looks + 1))[None, :, None] * np.ones((300, 1, family))
    lift = rng.normal(0.03, 1, (300, looks, family)) * error + np.linspace(0, 0.06, family)
    n = 1_000 * np.arange(1, looks + 1)[None, :, None] * np.ones_like(lift)
    for method in (HOLM, BENJAMINI_HOCHBERG):
        p, low, high = sequential_family(lift, error, n, 0.05, method)
        assert np.array_equal((low > 0) | (high < 0), p < 0.05)
        assert (np.diff(p, axis=1) <= 1e-12).all()  # an adjusted p-value never rises from look to look
        fixed_p, fixed_low, fixed_high = fixed_horizon_family(lift[:, -1], error[:, -1], 0.05, method)
        assert np.array_equal((fixed_low > 0) | (fixed_high < 0), fixed_p < 0.05)
    assert (p < 0.05).any() and not (p < 0.05).all()  # the check above could fail both ways
