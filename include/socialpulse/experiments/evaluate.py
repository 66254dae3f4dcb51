"""An experiment's arms at every look: metrics, lifts with always-valid intervals, the power plan, and the decision.

Every look (a day from the start) is evaluated on the cumulative data up to it, so
the results can be read every morning: an interval here covers the truth at all looks
at once (statistics.py), and a decision is taken the first day the data allow it.
CRM arms' person-level metrics are CUPED-adjusted by each person's pre-period
(variance_reduction.py); every treatment arm × metric is one family, adjusted together
(multiple_testing.py); the plan says what the traffic can detect and when (power.py).

The decisions and the rules that keep them are in decisions.py, each look in words in
details.py. Once the end date has passed, a fixed-horizon read of the last look is added as
the final decision, at the alpha the daily looks left (power.final_alpha): there, a margin
guardrail whose interval reaches below −margin is harmed (non-inferiority not shown), a
settled daily decision stands otherwise, and what is not decided is underpowered. All
metrics count higher as better.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from socialpulse.experiments.decisions import (
    MIN_COUNTED,
    MIN_UNITS,
    broken_split,
    carried,
    decide,
    experiment_decision,
)
from socialpulse.experiments.declarations import Experiment, ExperimentError
from socialpulse.experiments.details import adjustment_note, look_detail, plan_note, waiting_note
from socialpulse.experiments.entities import DAILY, FINAL, KEEP_RUNNING, WINNER
from socialpulse.experiments.multiple_testing import fixed_horizon_family, sequential_family
from socialpulse.experiments.power import days_needed, detectable_lift, final_alpha
from socialpulse.experiments.statistics import (
    Moments,
    halfwidth,
    proportion,
    ratio,
    relative_lift,
    sample_mean,
    srm_p_value,
)
from socialpulse.experiments.variance_reduction import PersonSums, cuped

# What each look of an arm carries (observations.py builds it): units are people reached (campaign arms) or the
# group's members (CRM arms); revenue_squares sums each order's (campaigns) or person's (CRM) squared revenue.
LOOK_COLUMNS = (
    "as_of_date",
    "arm",
    "units",
    "impressions",
    "clicks",
    "conversions",
    "spend",
    "revenue",
    "revenue_squares",
    "last_active",
)
# CRM arms also carry each arm's sums of its people's pre-period metric (x) and its product with the outcome (y)
PRE_PERIOD_COLUMNS = ("pre_conversions", "conversions_cross", "pre_revenue", "pre_revenue_squares", "revenue_cross")
# person-level metric -> the look's columns of (Σy, Σy², Σx, Σx², Σxy); a 0/1 value is its own square
_COVARIATES = {
    "conversions_per_person": ("conversions", "conversions", "pre_conversions", "pre_conversions", "conversions_cross"),
    "revenue_per_person": ("revenue", "revenue_squares", "pre_revenue", "pre_revenue_squares", "revenue_cross"),
}
# metric -> (the column counted per unit, the column of units)
_PROPORTIONS = {
    "conversions_per_click": ("conversions", "clicks"),
    "conversions_per_person": ("conversions", "units"),
    "click_through_rate": ("clicks", "impressions"),
}


def moments(metric: str, looks: pd.DataFrame) -> tuple[Moments, pd.Series]:
    """The metric's per-unit moments for each row of `looks` (n: its units), and the value it counts."""
    if metric in _PROPORTIONS:
        counted, units = _PROPORTIONS[metric]
        too_many = looks[looks[counted] > looks[units]]
        if len(too_many):
            row = too_many.iloc[0]
            raise ExperimentError(
                f"arm '{row['arm']}' has {row[counted]:g} {counted} for {row[units]:g} {units} by "
                f"{row['as_of_date']}: {metric} is not a share of them; choose a metric whose "
                "units include every conversion (conversions_per_person)"
            )
        return proportion(looks[units].to_numpy(), looks[counted].to_numpy()), looks[counted]
    n, revenue, squares = looks["units"].to_numpy(), looks["revenue"].to_numpy(), looks["revenue_squares"].to_numpy()
    if metric == "revenue_per_person":
        return sample_mean(n, revenue, squares), looks["revenue"]
    if metric == "roas":  # spend is the platform's bill, known: every unit carries spend / n, with no variance
        spend = looks["spend"].to_numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            per_unit = np.where(n > 0, spend / n, 0.0)
        return ratio(n, revenue, squares, spend, spend * per_unit, revenue * per_unit), looks["revenue"]
    raise ExperimentError(f"no moments for metric {metric!r}")


@dataclass(frozen=True)
class _Metric:
    """One metric at every look (rows) and arm (columns; the control first)."""

    stats: Moments  # as observed: the arm's value per unit
    counted: np.ndarray
    enough: np.ndarray  # the arm has the units (and outcomes) an asymptotic interval needs
    lift: np.ndarray  # against the control, CUPED-adjusted where it applies; nan where not readable
    error: np.ndarray
    unadjusted_lift: np.ndarray
    unadjusted_error: np.ndarray
    cuped: bool


def _grid(values: npt.ArrayLike, arms: int) -> np.ndarray:
    """A look-and-arm column as (looks, arms)."""
    return np.asarray(values, dtype=float).reshape(-1, arms)


def _metric(experiment: Experiment, looks: pd.DataFrame, metric: str) -> _Metric:
    """`looks`: a row per look and arm, looks in order, arms in declared order."""
    arms = len(experiment.arms)
    flat, counted_flat = moments(metric, looks)
    stats = Moments(*(_grid(v, arms) for v in (flat.n, flat.mean, flat.variance)))
    counted = _grid(counted_flat, arms)
    enough = (stats.n >= MIN_UNITS) & (np.asarray(stats.std_error) > 0)
    if metric in _PROPORTIONS:  # the normal approximation needs some of both outcomes
        enough &= (counted >= MIN_COUNTED) & (stats.n - counted >= MIN_COUNTED)
    unadjusted = relative_lift(stats.arm(0), stats)
    adjusted, cuped_applies = unadjusted, False
    sums = _COVARIATES.get(metric)
    if experiment.pre_period_days and sums and set(sums) <= set(looks) and looks[sums[2]].notna().all():
        moments_adjusted, _ = cuped(PersonSums(*(_grid(looks[c], arms) for c in ("units", *sums))))
        adjusted, cuped_applies = relative_lift(moments_adjusted.arm(0), moments_adjusted), True
    readable = enough & enough[:, :1]
    for _, error in (unadjusted, adjusted):
        readable &= np.isfinite(error) & (error > 0)
    readable[:, 0] = False

    def shown(values: np.ndarray) -> np.ndarray:
        return np.where(readable, values, np.nan)

    return _Metric(
        stats,
        counted,
        enough,
        shown(adjusted[0]),
        shown(adjusted[1]),
        shown(unadjusted[0]),
        shown(unadjusted[1]),
        cuped_applies,
    )


@dataclass(frozen=True)
class _Family:
    """Every comparison (treatment arm × metric, metric-major) at every look."""

    p_value: np.ndarray
    low: np.ndarray
    high: np.ndarray
    unadjusted_low: np.ndarray
    unadjusted_high: np.ndarray


def _stacked(metrics: list[_Metric], attribute: str) -> np.ndarray:
    return np.concatenate([getattr(m, attribute)[:, 1:] for m in metrics], axis=1)


def _compared_units(metrics: list[_Metric]) -> np.ndarray:
    return np.concatenate([m.stats.n[:, 1:] + m.stats.n[:, :1] for m in metrics], axis=1)  # type: ignore[index]


def _family(
    metrics: list[_Metric], shift: np.ndarray, read: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, ...]]
) -> _Family:
    """The family read (sequentially or once) on the lifts as adjusted and as observed, each comparison's lift
    tested against −shift (_margin_shift); the intervals are of the lifts themselves."""
    (p, low, high), (_, unadjusted_low, unadjusted_high) = (
        read(_stacked(metrics, lift) + shift, _stacked(metrics, error))
        for lift, error in (("lift", "error"), ("unadjusted_lift", "unadjusted_error"))
    )
    return _Family(p, low - shift, high - shift, unadjusted_low - shift, unadjusted_high - shift)


def _plan(
    experiment: Experiment, metric: _Metric, day_numbers: np.ndarray, comparisons: int
) -> tuple[np.ndarray, np.ndarray]:
    """(detectable lift, days needed for the minimum effect) of each treatment arm at each look, at 80% power,
    each comparison at alpha / comparisons (the family's strictest level: the plan errs long)."""
    level = experiment.alpha / comparisons
    error, n = metric.error[:, 1:], _compared_units([metric])
    detectable = np.where(np.isfinite(error), detectable_lift(error, n, level, level), np.nan)
    needed = np.full_like(error, np.nan)
    for look in range(len(day_numbers)):
        needed[look] = days_needed(
            np.broadcast_to(day_numbers[: look + 1], error[: look + 1].T.shape),
            error[: look + 1].T,
            n[: look + 1].T,
            experiment.minimum_effect,
            level,
            level,
        )
    return detectable, np.where(np.isfinite(error), needed, np.nan)


def _per_arm(family: np.ndarray, metric: int, arms: int) -> np.ndarray:
    """One metric's columns of a family array, with a nan column for the control in front."""
    part = family[:, metric * (arms - 1) : (metric + 1) * (arms - 1)]
    return np.concatenate([np.full((len(part), 1), np.nan), part], axis=1)


def _metric_interval(experiment: Experiment, metric: _Metric, final: bool) -> tuple[np.ndarray, np.ndarray]:
    """Each arm's value with its interval: the running intersection of its sequences, or, final, a z-interval."""
    error = np.asarray(metric.stats.std_error)
    if final:
        width = np.where(metric.enough, stats.norm.isf(experiment.alpha / 2) * error, np.nan)[-1:]
        mean = np.asarray(metric.stats.mean)[-1:]
        return mean - width, mean + width
    width = np.where(metric.enough, halfwidth(error, metric.stats.n, experiment.alpha), np.nan)
    mean = np.asarray(metric.stats.mean)
    return np.fmax.accumulate(mean - width, axis=0), np.fmin.accumulate(mean + width, axis=0)


def _decisions(
    experiment: Experiment,
    metrics: list[_Metric],
    family: _Family,
    broken: np.ndarray,
    needed: np.ndarray,
    settled: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(decision, winning arm, what waits) of every treatment arm at every look; the first two with the
    experiment's in column 0, the last a note per look on winners waiting for a margin guardrail.

    Daily (`settled` None): a look that decides nothing keeps the last settled decision, unless the split broke
    since. Final (`settled`: the last daily look's decisions): a margin guardrail not shown within its margin is
    harmed, what the fixed-horizon read cannot decide is underpowered, and a settled daily decision stands
    against an undecided final read.
    """
    arms, final = len(experiment.arms), settled is not None
    low, high = (_per_arm(v, 0, arms)[:, 1:] for v in (family.low, family.high))
    harmed = np.zeros_like(low, dtype=bool)
    unproven: dict[str, np.ndarray] = {}
    for k, metric in enumerate(experiment.guardrail_metrics, start=1):
        margin = experiment.margin(metric)
        guard_low, guard_high = (_per_arm(v, k, arms)[:, 1:] for v in (family.low, family.high))
        harmed |= (guard_low < -margin) if final and margin else (guard_high < -margin)
        if margin:
            unproven[metric] = ~(guard_low > -margin)
    waiting = (low > 0) & np.logical_or.reduce([np.zeros_like(harmed), *unproven.values()])
    planned = experiment.planned_days
    if final:  # the data have stopped: what is not decided now could not be with this traffic
        underpowered = np.ones_like(harmed)
    elif planned:
        underpowered = np.isfinite(metrics[0].error[:, 1:]) & ~(needed <= planned) & ~waiting
    else:
        underpowered = np.zeros_like(harmed)
    lift = metrics[0].lift[:, 1:]
    decision = decide(lift, low, high, experiment.minimum_effect, broken[:, None], harmed, waiting, underpowered)
    treatments = np.array([a.name for a in experiment.arms[1:]], dtype=object)
    winning = np.where(
        decision == WINNER,
        np.where(low > 0, treatments, experiment.control.name),
        None,  # type: ignore[call-overload]  # numpy's stubs take no None (an object array)
    )
    if settled is None:
        decision, winning = carried(decision, winning)
    else:
        kept = carried(np.concatenate([settled[0], decision]), np.concatenate([settled[1], winning]))
        decision, winning = kept[0][-1:], kept[1][-1:]
    notes = [waiting_note(experiment, unproven, t, waiting[t] & (decision[t] == KEEP_RUNNING)) for t in range(len(low))]
    overall = [experiment_decision(d, w, lf) for d, w, lf in zip(decision, winning, lift, strict=True)]
    return (
        np.concatenate([np.array([[d] for d, _ in overall], dtype=object), decision.astype(object)], axis=1),
        np.concatenate([np.array([[w] for _, w in overall], dtype=object), winning], axis=1),
        notes,
    )


def evaluate(experiment: Experiment, looks: pd.DataFrame, final: bool = False) -> pd.DataFrame:
    """Every look of an experiment: LOOK_COLUMNS (and for CRM arms PRE_PERIOD_COLUMNS) per (as_of_date, arm),
    cumulative since the start. `final`: the end date has passed, so a fixed-horizon read of the last look is
    added, dated the day after the end date (look 'final')."""
    if looks.empty:
        return pd.DataFrame()
    names = [a.name for a in experiment.arms]
    days = sorted(looks["as_of_date"].astype(str).unique())
    grid = pd.MultiIndex.from_product([days, names], names=["as_of_date", "arm"])
    looks = looks.assign(as_of_date=looks["as_of_date"].astype(str)).set_index(["as_of_date", "arm"]).reindex(grid)
    summed = [c for c in LOOK_COLUMNS if c not in ("as_of_date", "arm", "last_active")]
    looks[summed] = looks[summed].fillna(0.0)
    looks = looks.reset_index()
    metrics = [_metric(experiment, looks, m) for m in experiment.metrics]
    arm_units = looks["units"].to_numpy(dtype=float).reshape(-1, len(names))
    srm_p = np.asarray(srm_p_value(arm_units, [a.traffic for a in experiment.arms]), dtype=float).reshape(-1)
    broken = np.array([broken_split(experiment, u, p) for u, p in zip(arm_units, srm_p, strict=True)])
    day_numbers = np.array([(date.fromisoformat(d) - experiment.start_date).days + 1 for d in days], dtype=float)
    detectable, needed = _plan(experiment, metrics[0], day_numbers, len(metrics) * (len(names) - 1))
    notes = [
        "; ".join(
            note
            for note in (
                look_detail(experiment, looks[looks["as_of_date"] == day], day, srm_p[t], broken[t], unread),
                adjustment_note(experiment, metrics[0].cuped, _reduction(metrics[0])[t]),
                plan_note(experiment, detectable[t], needed[t]),
            )
            if note
        )
        for t, (day, unread) in enumerate(zip(days, np.isnan(metrics[0].lift[:, 1:]).any(axis=1), strict=True))
    ]
    plan = (_with_control(detectable), _with_control(needed))
    alpha, method, shift = experiment.alpha, experiment.multiple_testing, _margin_shift(experiment)
    units = _compared_units(metrics)
    daily = _family(metrics, shift, lambda lift, error: sequential_family(lift, error, units, alpha, method))
    decision, winning, waits = _decisions(experiment, metrics, daily, broken, needed)
    notes = ["; ".join(n for n in (note, wait) if n) for note, wait in zip(notes, waits, strict=True)]
    rows = [_read(experiment, metrics, daily, days, srm_p, plan, notes, (decision, winning))]
    if final and experiment.end_date is not None and days[-1] == experiment.end_date.isoformat():
        last = slice(-1, None)
        ended = [_sliced(m, last) for m in metrics]
        level = final_alpha(_stacked(metrics, "error"), units, alpha)
        closing = (
            f"final fixed-horizon read of the data through {experiment.end_date}, at alpha {level:.4f}: "
            f"{alpha:g} less what the daily looks could have spent"
        )
        family = _family(ended, shift, lambda lift, error: fixed_horizon_family(lift, error, level, method))
        settled = (decision[last, 1:], winning[last, 1:])
        closed = _decisions(experiment, ended, family, broken[last], needed[last], settled)[:2]
        cuped_note = adjustment_note(experiment, ended[0].cuped, _reduction(ended[0])[-1])
        rows.append(
            _read(
                experiment,
                ended,
                family,
                [(experiment.end_date + timedelta(days=1)).isoformat()],
                srm_p[last],
                (plan[0][last], plan[1][last]),
                ["; ".join(n for n in (closing, cuped_note) if n)],
                closed,
                final=True,
            )
        )
    out = pd.concat(rows, ignore_index=True)
    return out.assign(experiment=experiment.name, is_control=out["arm"] == experiment.control.name)


def _margin_shift(experiment: Experiment) -> np.ndarray:
    """Per comparison (metric-major), the margin its lift is tested against: a guardrail with a margin is tested
    as lift + margin against zero (non-inferiority), so the family's adjustment covers it like any other."""
    treatments = len(experiment.arms) - 1
    return np.repeat([experiment.margin(m) if k else 0.0 for k, m in enumerate(experiment.metrics)], treatments)


def _read(
    experiment: Experiment,
    metrics: list[_Metric],
    family: _Family,
    days: list[str],
    srm_p: np.ndarray,
    plan: tuple[np.ndarray, np.ndarray],
    notes: list[str],
    decided: tuple[np.ndarray, np.ndarray],
    final: bool = False,
) -> pd.DataFrame:
    """The rows of one read (the daily looks, or the final one): a row per look, metric and arm."""
    names, arms = [a.name for a in experiment.arms], len(experiment.arms)
    frames = []
    for k, (name, metric) in enumerate(zip(experiment.metrics, metrics, strict=True)):
        low, high = _metric_interval(experiment, metric, final)
        primary = k == 0
        columns = {
            "metric": name,
            "role": "primary" if primary else "guardrail",
            "units": metric.stats.n,
            "value": metric.counted,
            "metric_value": metric.stats.mean,
            "metric_low": low,
            "metric_high": high,
            "lift": metric.lift,
            "lift_low": _per_arm(family.low, k, arms),
            "lift_high": _per_arm(family.high, k, arms),
            "p_value": _per_arm(family.p_value, k, arms),
            "unadjusted_lift": metric.unadjusted_lift,
            "unadjusted_lift_low": _per_arm(family.unadjusted_low, k, arms),
            "unadjusted_lift_high": _per_arm(family.unadjusted_high, k, arms),
            "variance_reduction": _reduction(metric),
            "adjustment": "cuped" if metric.cuped else "none",
            "detectable_lift": plan[0] if primary else np.full_like(plan[0], np.nan),
            "days_needed": plan[1] if primary else np.full_like(plan[1], np.nan),
            "decision": decided[0],
            "winning_arm": decided[1],
            "srm_p_value": np.repeat(srm_p[:, None], arms, axis=1),
            "detail": np.repeat(np.array(notes, dtype=object)[:, None], arms, axis=1),
        }
        frames.append(_long(days, names, columns).assign(look=FINAL if final else DAILY))
    return pd.concat(frames, ignore_index=True)


def _sliced(metric: _Metric, looks: slice) -> _Metric:
    stats = Moments(*(np.asarray(v)[looks] for v in (metric.stats.n, metric.stats.mean, metric.stats.variance)))
    return _Metric(
        stats,
        metric.counted[looks],
        metric.enough[looks],
        metric.lift[looks],
        metric.error[looks],
        metric.unadjusted_lift[looks],
        metric.unadjusted_error[looks],
        metric.cuped,
    )


def _reduction(metric: _Metric) -> np.ndarray:
    """The share of the lift's variance CUPED took out, per look and arm (nan without CUPED)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(metric.cuped, 1 - metric.error**2 / metric.unadjusted_error**2, np.nan)


def _with_control(treatments: np.ndarray) -> np.ndarray:
    return np.concatenate([np.full((len(treatments), 1), np.nan), treatments], axis=1)


def _long(days: list[str], arms: list[str], columns: Mapping[str, object]) -> pd.DataFrame:
    """A row per look and arm from (looks, arms) arrays and scalars."""
    flat = {k: (np.asarray(v).reshape(-1) if isinstance(v, np.ndarray) else v) for k, v in columns.items()}
    return pd.DataFrame({"as_of_date": np.repeat(days, len(arms)), "arm": np.tile(arms, len(days)), **flat})
