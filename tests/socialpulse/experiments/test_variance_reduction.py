"""CUPED against tea-tasting 1.14 (its Mean metric with a covariate) on fixed per-person data, to 1e-6."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import tea_tasting as tt

from socialpulse.experiments.statistics import relative_lift, sample_mean
from socialpulse.experiments.variance_reduction import PersonSums, cuped


def people(seed: int, binary: bool) -> pd.DataFrame:
    """Two arms of people whose outcome follows their pre-period (a persistent habit), treatment 10% higher."""
    rng = np.random.default_rng(seed)
    n = 4_000
    habit = rng.gamma(0.5, 2.0, n)
    arm = np.where(rng.random(n) < 0.3, "control", "treatment")
    boost = np.where(arm == "treatment", 1.1, 1.0)
    x, y = rng.poisson(habit), rng.poisson(habit * boost)
    if binary:
        x, y = (x > 0).astype(float), (y > 0).astype(float)
    return pd.DataFrame({"variant": arm, "x": x.astype(float), "y": y.astype(float)})


def sums(frame: pd.DataFrame) -> PersonSums:
    arms = [frame[frame["variant"] == v] for v in ("control", "treatment")]
    return PersonSums(
        *(
            np.array([f(a) for a in arms])
            for f in (
                len,
                lambda a: a["y"].sum(),
                lambda a: (a["y"] ** 2).sum(),
                lambda a: a["x"].sum(),
                lambda a: (a["x"] ** 2).sum(),
                lambda a: (a["x"] * a["y"]).sum(),
            )
        )
    )


@pytest.mark.parametrize("binary", [False, True], ids=["counts", "conversions"])
def test_cuped_equals_tea_tasting(binary):
    frame = people(11, binary)
    expected = tt.Experiment(y=tt.Mean("y", covariate="x", use_t=False)).analyze(frame, control="control")["y"]
    adjusted, theta = cuped(sums(frame))
    assert np.asarray(adjusted.mean) == pytest.approx([expected.control, expected.treatment], rel=1e-6)
    lift, _ = relative_lift(adjusted.arm(0), adjusted.arm(1))
    assert lift == pytest.approx(expected.rel_effect_size, rel=1e-6)
    error = np.sqrt(np.sum(np.asarray(adjusted.variance) / np.asarray(adjusted.n)))
    z = 1.959963984540054  # tea-tasting's normal interval of the absolute effect, 95%
    assert error == pytest.approx((expected.effect_size_ci_upper - expected.effect_size) / z, rel=1e-6)
    assert 0 < theta < 2


def test_cuped_shrinks_the_variance_by_the_share_the_pre_period_explains():
    frame = people(5, binary=False)
    adjusted, _ = cuped(sums(frame))
    s = sums(frame)
    plain = sample_mean(s.n, s.y, s.y_squares)
    reduction = 1 - np.asarray(adjusted.variance) / np.asarray(plain.variance)
    rho = frame.groupby("variant")[["x", "y"]].corr().xs("x", level=1)["y"].to_numpy()
    assert reduction == pytest.approx(rho**2, abs=0.01)  # θ is pooled, each arm's own ρ² is close


def test_without_a_pre_period_signal_nothing_changes_and_an_empty_covariate_is_no_adjustment():
    frame = people(2, binary=False).assign(x=0.0)
    adjusted, theta = cuped(sums(frame))
    s = sums(frame)
    assert theta == 0 and np.asarray(adjusted.mean) == pytest.approx(np.asarray(s.y) / np.asarray(s.n))
