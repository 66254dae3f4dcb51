"""The power plan: the detectable lift at a look, and the days a minimum effect needs, on exact variance curves."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from socialpulse.experiments.power import days_needed, detectable_lift, final_alpha
from socialpulse.experiments.statistics import halfwidth


def test_the_detectable_lift_is_the_interval_s_half_width_plus_the_power_quantile_of_the_error():
    assert detectable_lift(0.02, 10_000, 0.05, 0.05) == pytest.approx(
        halfwidth(0.02, 10_000, 0.05) + stats.norm.ppf(0.8) * 0.02
    )
    assert detectable_lift(0.02, 10_000, 0.05, 0.05, power=0.5) == pytest.approx(halfwidth(0.02, 10_000, 0.05))


@pytest.mark.parametrize(("a", "b", "daily_units"), [(0.004, 0.0, 1_000), (0.006, 0.0002, 0), (0.01, 0.00005, 300)])
def test_days_needed_are_when_simulated_daily_reads_have_decided_as_often_as_the_power(a, b, daily_units):
    """Independently of the plan's Brownian paths: each day's estimate is a running average of daily noise plus
    a lasting part (variance a / t + b, as the plan fits it), read against the interval's half-width every day."""
    seen = np.arange(1, 8, dtype=float)
    units = 20_000 + daily_units * seen
    planned = {p: days_needed(seen, np.sqrt(a / seen + b), units, 0.1, 0.05, 0.05, power=p) for p in (0.5, 0.8)}
    rng = np.random.default_rng(12)
    ahead = np.arange(1, 366, dtype=float)
    daily = rng.standard_normal((20_000, len(ahead)))
    estimate = 0.1 + np.sqrt(b) * rng.standard_normal((20_000, 1)) + np.sqrt(a) * daily.cumsum(axis=1) / ahead
    width = halfwidth(np.sqrt(a / ahead + b), 20_000 + daily_units * ahead, 0.05)
    decided = np.logical_or.accumulate(estimate > width, axis=1).mean(axis=0)
    for power, day in planned.items():
        simulated = np.flatnonzero(decided >= power)[0] + 1
        assert abs(day - simulated) <= max(1, 0.05 * simulated), (power, day, simulated)
    assert planned[0.8] > planned[0.5]


def test_a_floor_the_days_cannot_average_away_is_more_than_a_year_and_nothing_read_plans_nothing():
    seen = np.arange(1, 8, dtype=float)
    assert np.isnan(days_needed(seen, np.sqrt(0.001 / seen + 0.01), np.full(7, 5_000.0), 0.1, 0.05, 0.05))
    assert np.isnan(days_needed(seen, np.full(7, np.nan), np.full(7, 5_000.0), 0.1, 0.05, 0.05))
    rows = days_needed(
        np.tile(seen, (2, 1)), np.sqrt([0.004 / seen, 0.002 / seen]), np.full((2, 7), 9e3), 0.1, 0.05, 0.05
    )
    assert rows[1] < rows[0]  # one plan per row: half the variance, fewer days


def test_the_final_read_keeps_the_alpha_the_daily_looks_did_not_spend():
    """Checked against running averages of noise read daily with no difference at all, both ways."""
    looks = np.arange(1, 29, dtype=float)
    error, n = np.sqrt(0.004 / looks + 0.0005)[:, None], (20_000 + 1_000 * looks)[:, None]
    left = final_alpha(error, n, 0.05)
    rng = np.random.default_rng(3)
    noise = (
        np.sqrt(0.0005) * rng.standard_normal((40_000, 1))
        + np.sqrt(0.004) * rng.standard_normal((40_000, 28)).cumsum(axis=1) / looks
    )
    width = halfwidth(error[:, 0], n[:, 0], 0.05)
    spent = (np.abs(noise) > width).any(axis=1).mean()
    assert 0 < spent < 0.05 and spent - 0.001 < 0.05 - left < spent + 0.005  # errs on the safe side
    family = final_alpha(np.repeat(error, 8, axis=1), np.repeat(n, 8, axis=1), 0.05)
    assert 0 < 0.05 - family < 0.05  # 8 comparisons at alpha / 8 each: a chance too small to see still counts
    unread = final_alpha(np.full((5, 2), np.nan), np.ones((5, 2)), 0.05)
    assert 0.048 < unread < 0.05  # nothing read, nothing seen: only the bound's own allowance
