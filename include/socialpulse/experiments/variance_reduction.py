"""CUPED: a person's metric adjusted by the same metric over a pre-period before the experiment.

Deng, Xu, Kohavi and Walker, "Improving the sensitivity of online controlled
experiments by utilizing pre-experiment data" (WSDM 2013). Each person's outcome y
becomes y − θ(x − x̄), x their same metric over the pre-period: the part of y a
person's history predicts is the same in every arm, so taking it out leaves the lift
and shrinks its variance by the share the history explains (ρ² at the best θ).

* θ = cov(x, y) / var(x) over all arms pooled, as tea-tasting computes it (its Mean
  metric with a covariate); the tests compare to tea-tasting 1.14 to 1e-6. Pooled,
  θ does not depend on the assignment, so the adjusted means stay unbiased.
* An arm's adjusted mean is ȳ − θ(x̄ − x̄_pooled) and its per-person variance
  var(y) + θ²var(x) − 2θ·cov(x, y); the relative lift of the adjusted means and its
  error then follow by the delta method (statistics.relative_lift), and the always-valid
  interval and p-value take that error as they take any other, keeping their validity.
* The pre-period is before any person was treated, so the adjustment cannot take the
  treatment's effect out. A person without history has x = 0, like a person who bought nothing.

Everything works from per-arm sums (arms on the last axis), as the pipeline's looks and
the benchmark's thousands of simulated experiments carry them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from socialpulse.experiments.statistics import Moments


@dataclass(frozen=True)
class PersonSums:
    """An arm's sums over its people of the outcome y and the pre-period covariate x (numbers or arrays)."""

    n: npt.ArrayLike
    y: npt.ArrayLike
    y_squares: npt.ArrayLike
    x: npt.ArrayLike
    x_squares: npt.ArrayLike
    xy: npt.ArrayLike


def _covariance(n: np.ndarray, a: np.ndarray, b: np.ndarray, ab: np.ndarray) -> np.ndarray:
    """Sample covariance (n − 1) from the sums of a, b and a·b."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 1, (ab - a * b / np.where(n > 0, n, 1)) / (n - 1), np.nan)


def cuped(sums: PersonSums) -> tuple[Moments, np.ndarray]:
    """(adjusted moments, θ) of the per-person mean of y in each arm (the last axis)."""
    n, y, yy = (np.asarray(v, dtype=float) for v in (sums.n, sums.y, sums.y_squares))
    x, xx, xy = (np.asarray(v, dtype=float) for v in (sums.x, sums.x_squares, sums.xy))
    pooled = [v.sum(axis=-1, keepdims=True) for v in (n, x, xx, xy, y)]
    pooled_n, pooled_x, pooled_xx, pooled_xy, pooled_y = pooled
    covariate_var = _covariance(pooled_n, pooled_x, pooled_x, pooled_xx)
    with np.errstate(divide="ignore", invalid="ignore"):
        theta = np.where(covariate_var > 0, _covariance(pooled_n, pooled_x, pooled_y, pooled_xy) / covariate_var, 0.0)
        mean_y, mean_x = y / n, x / n
        pooled_mean_x = pooled_x / pooled_n
    var_y, var_x, cov = _covariance(n, y, y, yy), _covariance(n, x, x, xx), _covariance(n, x, y, xy)
    adjusted_var = np.maximum(var_y + theta**2 * var_x - 2 * theta * cov, 0)
    return Moments(n, mean_y - theta * (mean_x - pooled_mean_x), adjusted_var), theta[..., 0]
