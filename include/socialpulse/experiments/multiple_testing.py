"""One experiment's comparisons as a family: every treatment arm × every metric, adjusted together.

A primary metric, two guardrails and two treatment arms are six chances to be fooled at
every look. Holm-Bonferroni (default) keeps the chance of any false discovery in the
family within alpha; Benjamini-Hochberg (declared `multiple_testing: bh`) keeps the
expected share of false discoveries within alpha, as GrowthBook offers both.

* The procedures take the always-valid p-values, each the running minimum over the looks
  so far. Holm's proof needs only that each p-value is valid at the time it is read, which
  an always-valid p-value is at every look at once, so with Holm the family-wise rate holds
  across daily looks too; Benjamini-Hochberg's guarantee is for one read, and across looks
  it is a heuristic. Both procedures are monotone, so an adjusted p-value never rises.
* Intervals agree with decisions: comparison i is read at the level the procedure gave it,
  alpha_i = alpha · p_i / p_adjusted_i (between alpha / m and alpha, as GrowthBook and
  tea-tasting report it), and its interval is the running intersection, at that level, of
  its confidence sequences at every look so far. With ρ held at one value for the family
  (tuned for alpha / m), that interval excludes zero exactly when p_adjusted_i < alpha.
* A comparison not yet readable (too few units) counts in the family with p = 1.

Arrays carry the looks on the second-to-last axis and the family on the last.
"""

from __future__ import annotations

import warnings

import numpy as np
import numpy.typing as npt
from scipy import stats

from socialpulse.experiments.statistics import DEFAULT_TUNING_UNITS, always_valid_p, halfwidth

HOLM, BENJAMINI_HOCHBERG = "holm", "bh"
METHODS = (HOLM, BENJAMINI_HOCHBERG)


def adjust(p_values: npt.ArrayLike, method: str = HOLM) -> np.ndarray:
    """Adjusted p-values of each family (the last axis); nan (not read) counts as 1 and stays nan."""
    p = np.asarray(p_values, dtype=float)
    filled = np.where(np.isnan(p), 1.0, p)
    m = p.shape[-1]
    order = np.argsort(filled, axis=-1, kind="stable")
    ranked = np.take_along_axis(filled, order, axis=-1)
    rank = np.arange(1, m + 1)
    if method == HOLM:  # step down: (m − k + 1) p_(k), never below an earlier one
        stepped = np.maximum.accumulate((m - rank + 1) * ranked, axis=-1)
    elif method == BENJAMINI_HOCHBERG:  # step up: m p_(k) / k, never above a later one
        stepped = np.flip(np.minimum.accumulate(np.flip(m * ranked / rank, axis=-1), axis=-1), axis=-1)
    else:
        raise ValueError(f"unknown multiple-testing method {method!r}; expected one of {METHODS}")
    adjusted = np.empty_like(stepped)
    np.put_along_axis(adjusted, order, np.minimum(stepped, 1.0), axis=-1)
    return np.where(np.isnan(p), np.nan, adjusted)


def levels(p_values: np.ndarray, adjusted: np.ndarray, alpha: float) -> np.ndarray:
    """The level each comparison was tested at: alpha · p / p_adjusted (alpha / m to alpha)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.where(adjusted > 0, alpha * p_values / adjusted, alpha / p_values.shape[-1]))


def sequential_family(
    lift: np.ndarray,
    error: np.ndarray,
    n: np.ndarray,
    alpha: float,
    method: str = HOLM,
    tuning_units: float = DEFAULT_TUNING_UNITS,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(adjusted p-value, interval low, interval high) of every comparison at every look.

    `lift`, `error`, `n`: (..., looks, comparisons), nan where a comparison is not readable yet.
    """
    m = lift.shape[-1]
    tuning_alpha = alpha / m
    current = always_valid_p(lift, error, n, tuning_alpha, tuning_units)
    running = np.fmin.accumulate(current, axis=-2)  # always valid: the smallest so far is too
    adjusted = adjust(running, method)
    level = levels(running, adjusted, alpha)
    # every earlier look's sequence at this look's level: (..., look t, look s, comparison), s <= t
    width = halfwidth(error[..., None, :, :], n[..., None, :, :], level[..., :, None, :], tuning_units, tuning_alpha)
    looks = lift.shape[-2]
    earlier = np.tril(np.ones((looks, looks), dtype=bool))[:, :, None]
    estimate = lift[..., None, :, :]
    low = np.where(earlier, estimate - width, np.nan)
    high = np.where(earlier, estimate + width, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a look with no readable comparison yet: all-nan
        return adjusted, np.nanmax(low, axis=-2), np.nanmin(high, axis=-2)


def fixed_horizon_family(
    lift: np.ndarray, error: np.ndarray, alpha: float, method: str = HOLM
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(adjusted p-value, low, high) of one fixed-horizon read (z-test) of the family (the last axis)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        z = lift / error
    p = 2 * stats.norm.sf(np.abs(z))
    adjusted = adjust(p, method)
    width = stats.norm.isf(levels(p, adjusted, alpha) / 2) * error
    return adjusted, lift - width, lift + width
