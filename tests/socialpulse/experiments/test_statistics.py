"""The statistics against figures computed independently: gbstats 0.8.0 (GrowthBook's engine) and first principles.

The gbstats figures come from its SequentialTwoSidedTTest (tuning 5000 and 1000) and
check_srm, run in a separate environment (it caps numpy < 2 and pandas < 2, so it cannot
be installed beside this project's pins): relative lift, alpha 0.05, two-sided.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize, stats

from socialpulse.experiments.statistics import (
    always_valid_p,
    halfwidth,
    proportion,
    ratio,
    relative_lift,
    rho,
    sample_mean,
    srm_p_value,
)

CASES = {  # name: (control, treatment), as the gbstats statistics take them
    "A": (proportion(10_000, 300), proportion(10_000, 345)),
    "B": (proportion(2_000, 40), proportion(2_100, 63)),
    "C": (sample_mean(5_000, 25_000, 900_000), sample_mean(5_000, 27_500, 1_000_000)),
    "D": (ratio(3_000, 150, 170, 9_000, 40_000, 600), ratio(3_000, 180, 205, 9_100, 41_000, 700)),
}
# gbstats: (lift, its standard error, CI at tuning 5000, CI at tuning 1000, p at tuning 5000)
GBSTATS = {
    "A": (0.15, 0.08931498568, (-0.129298155, 0.429298155), (-0.1480313828, 0.4480313828), 1.0),
    "B": (0.5, 0.2996128454, (-0.4106379764, 1.410637976), (-0.4377567331, 1.437756733), 0.8195133477),
    "C": (0.1, 0.05346935379, (-0.06369520853, 0.2636952085), (-0.07333284174, 0.2733328417), 0.7926371587),
    "D": (0.1868131868, 0.1360050642, (-0.2261886534, 0.599815027), (-0.2450501102, 0.6186764838), 1.0),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_lift_interval_and_p_value_equal_gbstats(case):
    control, treatment = CASES[case]
    lift, error = relative_lift(control, treatment)
    n = control.n + treatment.n
    expected_lift, expected_error, ci_5000, ci_1000, p_5000 = GBSTATS[case]
    assert lift == pytest.approx(expected_lift, rel=1e-9)
    assert error == pytest.approx(expected_error, rel=1e-9)
    for tuning, (low, high) in ((5000, ci_5000), (1000, ci_1000)):
        width = halfwidth(error, n, 0.05, tuning)
        assert (lift - width, lift + width) == pytest.approx((low, high), rel=1e-8)
    assert always_valid_p(lift, error, n, 0.05, 5000) == pytest.approx(p_5000, rel=1e-8)


def test_rho_equals_gbstats():
    assert rho(0.05, 5000) == pytest.approx(0.03984006677, rel=1e-9)
    assert rho(0.05, 1000) == pytest.approx(0.08908509753, rel=1e-9)


def test_the_p_value_is_the_alpha_at_which_the_sequence_touches_zero():
    """Independently of the closed form: solve halfwidth(alpha) = |lift| numerically (rho held at alpha 0.05)."""
    lift, error, n = 0.12, 0.04, 20_000.0
    r2 = rho(0.05) ** 2
    sigma = error * np.sqrt(n)

    def gap(alpha: float) -> float:
        return sigma * np.sqrt(2 * (n * r2 + 1) / (n**2 * r2) * np.log(np.sqrt(n * r2 + 1) / alpha)) - lift

    touching = optimize.brentq(gap, 1e-12, 0.999)
    assert always_valid_p(lift, error, n, 0.05) == pytest.approx(touching, rel=1e-9)
    assert always_valid_p(0.0, error, n, 0.05) == 1.0


def test_the_sequence_is_wider_than_the_fixed_interval_and_narrows_with_data():
    fixed = stats.norm.ppf(0.975)
    widths = halfwidth(1 / np.sqrt([1e3, 1e4, 1e5]), [1e3, 1e4, 1e5], 0.05)
    assert np.all(widths > fixed / np.sqrt([1e3, 1e4, 1e5]))
    assert np.all(np.diff(widths) < 0)


def test_sample_mean_and_ratio_against_numpy_on_units():
    rng = np.random.default_rng(3)
    revenue, spend = rng.gamma(2, 10, 500), rng.gamma(3, 2, 500)
    mean = sample_mean(500, revenue.sum(), (revenue**2).sum())
    assert mean.mean == pytest.approx(revenue.mean()) and mean.variance == pytest.approx(revenue.var(ddof=1))
    r = ratio(500, revenue.sum(), (revenue**2).sum(), spend.sum(), (spend**2).sum(), (revenue * spend).sum())
    cov = np.cov(revenue, spend)  # delta method: Var(r) = (var_n - 2 r cov + r^2 var_d) / mean_d^2
    estimate = revenue.sum() / spend.sum()
    expected = (cov[0, 0] - 2 * estimate * cov[0, 1] + estimate**2 * cov[1, 1]) / spend.mean() ** 2
    assert r.mean == pytest.approx(estimate) and r.variance == pytest.approx(expected)


def test_no_units_or_a_zero_control_gives_no_estimate_rather_than_an_error():
    lift, error = relative_lift(proportion(0, 0), proportion(100, 3))
    assert np.isnan(lift) and np.isnan(always_valid_p(lift, error, 100, 0.05))
    lift, error = relative_lift(proportion(100, 0), proportion(100, 3))
    assert np.isnan(lift)


def test_srm_equals_gbstats_check_srm():
    assert srm_p_value([5000, 5210], [0.5, 0.5]) == pytest.approx(0.03768253547, rel=1e-8)
    assert srm_p_value([4800, 5200], [0.5, 0.5]) == pytest.approx(6.334248367e-05, rel=1e-8)
    assert srm_p_value([2000, 8000], [0.2, 0.8]) == pytest.approx(1.0)
    assert np.isnan(srm_p_value([0, 0], [0.5, 0.5]))
    many = srm_p_value([[5000, 5210], [4800, 5200], [0, 0]], [0.5, 0.5])  # arrays of looks, as the benchmark reads
    assert many[:2] == pytest.approx([0.03768253547, 6.334248367e-05], rel=1e-8) and np.isnan(many[2])
    assert srm_p_value([30, 20, 50], [1, 1, 2]) == pytest.approx(stats.chisquare([30, 20, 50], [25, 25, 50]).pvalue)
