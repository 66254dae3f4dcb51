"""Always-valid inference for A/B tests: estimates, confidence sequences, p-values and the sample-ratio check.

Read every day, a fixed-horizon test declares far more winners than its alpha
promises. A confidence sequence covers the truth at every look at once, so it can be
read daily and acted on the first time it excludes zero.

* Confidence sequence: the asymptotic normal-mixture CS of Waudby-Smith, Arnold, Wu,
  Wang and Ramdas, "Time-uniform central limit theory and asymptotic confidence
  sequences" (Ann. Statist. 2024, arXiv:2103.06476), Theorem 2.2 / eq. (9):

      estimate ± σ̂ · sqrt( 2(nρ² + 1) / (n²ρ²) · log( sqrt(nρ² + 1) / α ) )

  with σ̂ the per-unit standard deviation (here: the standard error × sqrt(n)) and ρ
  tuning the sample size n* where it is tightest, ρ² = (−2 log α + log(−2 log α + 1)) / n*
  (their eq. for the optimal ρ). For a comparison of arms n counts the units of both.
  This is the boundary GrowthBook's sequential engine uses (gbstats 0.8.0,
  frequentist/tests.py, SequentialTwoSidedTTest); the tests compare against its figures.
* Always-valid p-value: the smallest α whose sequence excludes zero, which is the
  inverse of the normal-mixture likelihood ratio of Johari, Pekelis and Walsh
  (mixture SPRT, "Always valid inference", Operations Research 2022):
  p = min(1, sqrt(nρ² + 1) · exp(−z² nρ² / (2(nρ² + 1)))), z = estimate / standard error.
* Relative lift μ_t/μ_c − 1 by the delta method:
  Var ≈ σ_t²/(n_t μ_c²) + μ_t² σ_c²/(n_c μ_c⁴); ratio metrics (revenue / spend) by the
  delta method for a ratio of means (Deng, Knoblich and Lu, KDD 2018, eq. 3).
* Sample ratio mismatch: Pearson's chi-square of the units per arm against the
  planned split (Fabijan et al., KDD 2019), flagged below p = 0.001.

Every function works on numpy arrays too, so a benchmark evaluates thousands of
experiments at every look at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
import numpy.typing as npt
from scipy import stats

DEFAULT_TUNING_UNITS = 5_000  # n*: units at which the sequence is tightest (GrowthBook's default too)
SRM_P_VALUE = 0.001  # below: the split is not what was planned


@dataclass(frozen=True)
class Moments:
    """An arm's metric: units, the per-unit mean and the per-unit variance (numbers or arrays)."""

    n: np.ndarray | float
    mean: np.ndarray | float
    variance: np.ndarray | float

    @property
    def std_error(self) -> np.ndarray | float:
        return np.sqrt(self.variance / self.n)

    def arm(self, index: int) -> Moments:
        """One arm of moments whose last axis is the arms, kept as an axis (a control to compare every arm with)."""
        return Moments(*(np.asarray(v)[..., index : index + 1] for v in (self.n, self.mean, self.variance)))


def _safe(numerator: npt.ArrayLike, denominator: npt.ArrayLike) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.asarray(denominator) > 0, np.asarray(numerator, dtype=float) / denominator, np.nan)


def proportion(units: npt.ArrayLike, successes: npt.ArrayLike) -> Moments:
    """A rate of 0/1 outcomes per unit (conversions per click, clicks per impression)."""
    p = _safe(successes, units)
    return Moments(np.asarray(units, dtype=float), p, p * (1 - p))


def sample_mean(units: npt.ArrayLike, total: npt.ArrayLike, sum_squares: npt.ArrayLike) -> Moments:
    """A per-unit value (revenue per person) from its sum and its sum of squares; variance with n − 1."""
    n = np.asarray(units, dtype=float)
    mean = _safe(total, n)
    return Moments(n, mean, np.maximum(_safe(np.asarray(sum_squares) - n * mean**2, n - 1), 0))


def ratio(
    units: npt.ArrayLike,
    numerator: npt.ArrayLike,
    numerator_squares: npt.ArrayLike,
    denominator: npt.ArrayLike,
    denominator_squares: npt.ArrayLike,
    cross: npt.ArrayLike,
) -> Moments:
    """A ratio of two per-unit sums (revenue / spend), its per-unit variance by the delta method."""
    n = np.asarray(units, dtype=float)
    mean_num, mean_den = _safe(numerator, n), _safe(denominator, n)
    var_num = _safe(np.asarray(numerator_squares) - n * mean_num**2, n - 1)
    var_den = _safe(np.asarray(denominator_squares) - n * mean_den**2, n - 1)
    covariance = _safe(np.asarray(cross) - n * mean_num * mean_den, n - 1)
    r = _safe(mean_num, mean_den)
    variance = (var_num - 2 * r * covariance + r**2 * var_den) / mean_den**2
    return Moments(n, r, np.maximum(variance, 0))


def relative_lift(control: Moments, treatment: Moments) -> tuple[np.ndarray, np.ndarray]:
    """(lift, its standard error): μ_t/μ_c − 1 and the delta-method error of that ratio."""
    mc, mt = np.asarray(control.mean, dtype=float), np.asarray(treatment.mean, dtype=float)
    lift = _safe(mt, mc) - 1
    variance = _safe(treatment.variance, treatment.n * mc**2) + _safe(mt**2 * control.variance, control.n * mc**4)
    return lift, np.sqrt(variance)


def rho(alpha: float, tuning_units: float = DEFAULT_TUNING_UNITS) -> float:
    """The mixture's ρ that makes the sequence tightest at `tuning_units` (Waudby-Smith et al., optimal ρ)."""
    log_term = -2 * np.log(alpha)
    return float(np.sqrt((log_term + np.log(log_term + 1)) / tuning_units))


def halfwidth(
    std_error: npt.ArrayLike,
    n: npt.ArrayLike,
    alpha: npt.ArrayLike,
    tuning_units: float = DEFAULT_TUNING_UNITS,
    tuning_alpha: float | None = None,
) -> np.ndarray | float:
    """Half the width of the asymptotic confidence sequence at n units (module docstring, eq. 9).

    ρ is tuned for `tuning_alpha` (default: `alpha`); a family of comparisons holds it at one value and
    varies `alpha` per comparison (multiple_testing.py), so each interval is the sequence its p-value inverts.
    """
    n, alpha = np.asarray(n, dtype=float), np.asarray(alpha, dtype=float)
    r2 = rho(float(alpha) if tuning_alpha is None else tuning_alpha, tuning_units) ** 2
    sigma = np.asarray(std_error) * np.sqrt(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        # a numpy float for a single n (0-d arrays compute to scalars)
        return cast(
            "np.ndarray | float", sigma * np.sqrt(2 * (n * r2 + 1) / (n**2 * r2) * np.log(np.sqrt(n * r2 + 1) / alpha))
        )


def always_valid_p(
    estimate: npt.ArrayLike,
    std_error: npt.ArrayLike,
    n: npt.ArrayLike,
    alpha: float,
    tuning_units: float = DEFAULT_TUNING_UNITS,
) -> np.ndarray:
    """The smallest α whose sequence (with the ρ tuned for `alpha`) excludes zero."""
    n = np.asarray(n, dtype=float)
    r2 = rho(alpha, tuning_units) ** 2
    z = _safe(estimate, std_error)
    p = np.sqrt(n * r2 + 1) * np.exp(-(z**2) * n * r2 / (2 * (n * r2 + 1)))
    return np.where(np.isnan(z), np.nan, np.minimum(p, 1.0))


def srm_p_value(units: npt.ArrayLike, planned: npt.ArrayLike) -> np.ndarray | float:
    """Pearson chi-square p-value of the units per arm (the last axis) against the planned shares; nan without units."""
    observed = np.asarray(units, dtype=float)
    shares = np.asarray(planned, dtype=float) / np.sum(planned)
    total = observed.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = total * shares
        statistic = np.sum((observed - expected) ** 2 / expected, axis=-1)
    p = np.where(total[..., 0] > 0, stats.chi2.sf(statistic, observed.shape[-1] - 1), np.nan)
    return float(p) if p.ndim == 0 else p
