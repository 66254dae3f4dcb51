"""Power planning: the smallest lift the traffic so far can detect, and the days the declared minimum effect needs.

A lift δ is detected at a look when its always-valid interval excludes zero: when the
estimate exceeds the half-width. With the estimate normal around δ with error σ, that
happens with probability `power` once δ ≥ half-width + z_power·σ: the minimum
detectable effect (MDE) at that look.

To plan ahead, the relative lift's variance at day T is fitted to the looks so far as
v(T) = a / T + b (a, b ≥ 0): the a/T part is the noise that more days average away (new
people, new orders); b is the part they do not, the differences between the same people
that a per-person metric carries to the end (CUPED takes much of b out). Units grow
linearly as they have since the first look.

The days needed are the first day by which a decision has come with probability
`power`. A decision may come at any daily look, and the looks' estimates share their
data, so the chance is not that of the last look alone: it is simulated. The estimate's
error at day t is √b·Z + √a·β(1/t), Z standard normal and β a standard Brownian motion
(a cumulative average's errors: Cov(e_s, e_t) = a / max(s, t) + b), on PLAN_PATHS
paths from a fixed seed, so a plan is the same every time it is made. Against simulated experiments the
plan lands within 25% of the day (bench/experiments.py); the last look's chance alone
(the MDE reaching δ) would put it up to 44% late when b dominates.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from scipy import stats

from socialpulse.experiments.statistics import DEFAULT_TUNING_UNITS, halfwidth

POWER = 0.8
HORIZON_DAYS = 365  # the plan looks no further: "more than a year"
PLAN_PATHS = 1_000  # simulated paths of the daily estimates
FINAL_PATHS = 5_000  # for the alpha the daily looks spent: small chances, so more paths


def detectable_lift(
    error: np.ndarray | float,
    n: np.ndarray | float,
    alpha: np.ndarray | float,
    tuning_alpha: float,
    power: float = POWER,
    tuning_units: float = DEFAULT_TUNING_UNITS,
) -> np.ndarray:
    """The relative lift detected with probability `power` at a look with this error and these units."""
    width = halfwidth(error, n, alpha, tuning_units, tuning_alpha)
    return np.asarray(width + stats.norm.ppf(power) * np.asarray(error, dtype=float))


def _variance_model(day: np.ndarray, variance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(a, b) of v(T) = a / T + b, least squares over the looks (the last axis) with a, b ≥ 0; nan looks ignored."""
    seen = np.isfinite(variance)
    inverse = np.where(seen, 1 / day, 0.0)
    v = np.where(seen, variance, 0.0)
    count = seen.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_inverse, mean_v = inverse.sum(axis=-1) / count, v.sum(axis=-1) / count
        spread = (np.where(seen, (inverse - mean_inverse[..., None]) ** 2, 0)).sum(axis=-1)
        slope = (np.where(seen, (inverse - mean_inverse[..., None]) * (v - mean_v[..., None]), 0)).sum(axis=-1) / spread
        slope = np.where(spread > 0, slope, mean_v / mean_inverse)  # one look: all of it averages away
        a, b = slope, mean_v - slope * mean_inverse
        # a negative part is refitted without it
        through_origin = (inverse * v).sum(axis=-1) / (inverse**2).sum(axis=-1)
    a, b = np.where(b < 0, through_origin, a), np.maximum(b, 0)
    return np.where(a < 0, 0.0, a), np.where(a < 0, mean_v, b)


def days_needed(
    day: np.ndarray,
    error: np.ndarray,
    n: np.ndarray,
    minimum_effect: float,
    alpha: float,
    tuning_alpha: float,
    power: float = POWER,
    horizon: int = HORIZON_DAYS,
) -> np.ndarray:
    """Days from the start until a decision on a lift of `minimum_effect` has come with probability `power` at some
    daily look, on the variance fitted to the looks so far (the last axis: `day` numbered from 1, the relative
    lift's `error`, the `n` units compared); nan beyond `horizon`."""
    day, error, n = (np.asarray(v, dtype=float) for v in (day, error, n))
    a, b = _variance_model(day, error**2)
    seen = np.isfinite(error)
    last = np.where(seen, day, -np.inf).max(axis=-1)
    first = np.where(seen, day, np.inf).min(axis=-1)
    n_last = np.take_along_axis(n, np.argmax(np.where(seen, day, -np.inf), axis=-1)[..., None], axis=-1)[..., 0]
    n_first = np.take_along_axis(n, np.argmin(np.where(seen, day, np.inf), axis=-1)[..., None], axis=-1)[..., 0]
    days = np.arange(1, horizon + 1, dtype=float)
    future = days.reshape((1,) * a.ndim + (-1,))
    with np.errstate(divide="ignore", invalid="ignore"):  # no readable look: nan throughout
        growth = np.where(last > first, (n_last - n_first) / (last - first), 0.0)
        units = np.maximum(n_last[..., None] + growth[..., None] * (future - last[..., None]), 1)
        widths = halfwidth(np.sqrt(a[..., None] / future + b[..., None]), units, alpha, tuning_alpha=tuning_alpha)
    reached = decision_chance(a, b, np.asarray(widths), minimum_effect) >= power
    return np.where(reached.any(axis=-1) & np.isfinite(last), reached.argmax(axis=-1) + 1.0, np.nan)


def _draw(horizon: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """(β at 1/t for days t = 1..horizon, Z) on `count` paths from a fixed seed: a plan is reproducible."""
    rng = np.random.default_rng(0)
    u = 1 / np.arange(horizon, 0, -1)  # β's times, from the last day's 1/horizon up to day 1's 1
    beta = np.cumsum(rng.standard_normal((count, horizon)) * np.sqrt(np.diff(u, prepend=0)), axis=1)[:, ::-1]
    return beta, rng.standard_normal((count, 1))


_plan_paths = cache(lambda horizon: _draw(horizon, PLAN_PATHS))  # every plan's horizon is HORIZON_DAYS


def decision_chance(
    a: np.ndarray,
    b: np.ndarray,
    widths: np.ndarray,
    effect: float,
    both_ways: bool = False,
    paths: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """The chance that the interval has excluded zero (upwards, or `both_ways`) by each day (the last axis of
    `widths`, from day 1), for a true lift `effect` and the variance curve a / T + b (module docstring), on the
    plan's paths unless given."""
    horizon = widths.shape[-1]
    beta, shared = paths or _plan_paths(horizon)
    flat_a, flat_b, flat_widths = np.ravel(a), np.ravel(b), widths.reshape(-1, horizon)
    chance = np.zeros_like(flat_widths)
    for row, (part, floor, width) in enumerate(zip(flat_a, flat_b, flat_widths, strict=True)):
        if np.isfinite(part) and np.isfinite(floor):
            estimate = effect + np.sqrt(floor) * shared + np.sqrt(part) * beta
            excluded = (estimate > width) | ((estimate < -width) if both_ways else False)
            chance[row] = np.logical_or.accumulate(excluded, axis=1).mean(axis=0)
    return chance.reshape(widths.shape)


def final_alpha(error: np.ndarray, n: np.ndarray, alpha: float) -> float:
    """The alpha left for a fixed-horizon read after the daily looks of a family: `alpha` less an upper bound on
    the chance that the daily looks had already rejected a true null. `error`, `n`: (every day from the start,
    comparisons), nan where a comparison was not read.

    Holm (or BH) rejects one of k true nulls first only if one of their p-values fell below alpha / k, so the
    chance is at most, over k, the sum of the k largest chances that a comparison's daily interval at alpha / k
    (ρ tuned for the family) ever excluded zero with no difference. Each chance is simulated on FINAL_PATHS paths
    of the fitted variance curve and taken at its 97.5% Clopper-Pearson upper limit, so a chance too small for
    any path to show still counts. At daily looks the sequences spend well under their alpha, so the final read
    keeps most of it (at least alpha / 1000)."""
    day = np.arange(1, len(error) + 1, dtype=float)
    a, b = _variance_model(day, error.T**2)
    comparisons, paths = error.shape[1], _draw(len(error), FINAL_PATHS)
    worst = 0.0
    for nulls in range(1, comparisons + 1):
        level = alpha / nulls
        widths = np.where(np.isfinite(error), halfwidth(error, n, level, tuning_alpha=alpha / comparisons), np.inf)
        hits = decision_chance(a, b, np.asarray(widths).T, 0.0, both_ways=True, paths=paths)[:, -1] * FINAL_PATHS
        upper = stats.beta.ppf(0.975, np.round(hits) + 1, FINAL_PATHS - np.round(hits))
        worst = max(worst, float(np.sort(upper)[-nulls:].sum()))
    return max(alpha - worst, alpha / 1000)
