"""An experiment's arms at every look: metrics, lifts with always-valid intervals, and the decision.

Every look (a day from the start) is evaluated on the cumulative data up to it, so
the results can be read every morning: an interval here covers the truth at all looks
at once (statistics.py), and a decision is taken the first day the data allow it.

Decisions, per treatment arm against the control (the control's rows carry the
experiment's):
* `sample_ratio_mismatch`: the units per arm are not the planned split (chi-square
  p < 0.001; for campaign arms also an arm's share off by more than a percentage point,
  as summed daily reach counts person-days, whose split varies more than a binomial).
  The assignment is broken, so no comparison is trusted: stop and fix the split.
* `guardrail_harmed`: a guardrail metric is worse than the control's, beyond doubt.
* `no_meaningful_difference`: the lift's interval lies within ± the minimum effect worth
  detecting (even when it excludes zero: the difference is too small to act on).
* `winner`: the primary metric's lift interval excludes zero (`winning_arm` says which).
* `keep_running`: none of the above yet.
In that order: the first that holds is the decision.

Each look's intervals are intersected with the earlier looks' (the sequences hold at all
looks at once), so a decision, once taken, stays. No comparison is read before each arm
has MIN_UNITS units (and, for rates, MIN_COUNTED conversions and non-conversions): the
intervals are asymptotic, and a rate of 0 or 1 has no variance to go by.
With several treatment arms each comparison uses alpha / (arms − 1) (Bonferroni), and
its p-value is multiplied by (arms − 1), so it compares with alpha. All metrics count
higher as better.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from socialpulse.experiments.declarations import CRM_GROUP, Experiment, ExperimentError
from socialpulse.experiments.entities import GUARDRAIL, KEEP_RUNNING, NO_DIFFERENCE, SRM, WINNER
from socialpulse.experiments.statistics import (
    SRM_P_VALUE,
    Moments,
    always_valid_p,
    halfwidth,
    proportion,
    ratio,
    relative_lift,
    sample_mean,
    srm_p_value,
)

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
SRM_MIN_SHARE_GAP = 0.01  # campaign arms: an arm's share of the reach this far off the plan, beyond chance
MIN_UNITS = 100  # per arm before it is compared: the intervals are asymptotic
MIN_COUNTED = 5  # conversions (and non-conversions) per arm before a rate is compared
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


def decide(
    lift: npt.ArrayLike,
    low: npt.ArrayLike,
    high: npt.ArrayLike,
    minimum_effect: float,
    broken_split: npt.ArrayLike = False,
    harmed: npt.ArrayLike = False,
) -> np.ndarray:
    """The decision for lifts with their always-valid interval (arrays, so the benchmark shares it)."""
    low, high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    return np.select(
        [
            np.asarray(broken_split),
            np.asarray(harmed),
            (low > -minimum_effect) & (high < minimum_effect),
            (low > 0) | (high < 0),
        ],
        [SRM, GUARDRAIL, NO_DIFFERENCE, WINNER],
        default=KEEP_RUNNING,
    )


def _estimates(experiment: Experiment, look: pd.DataFrame, metric: str) -> pd.DataFrame:
    """One metric of one look: each arm's value with its interval, and its lift against the control."""
    stats, counted = moments(metric, look)
    enough = cast(np.ndarray, (stats.n >= MIN_UNITS) & (stats.std_error > 0))  # moments() gives arrays
    if metric in _PROPORTIONS:  # the normal approximation needs some of both outcomes
        enough &= (counted.to_numpy() >= MIN_COUNTED) & (stats.n - counted.to_numpy() >= MIN_COUNTED)
    width = np.where(enough, halfwidth(stats.std_error, stats.n, experiment.alpha), np.nan)
    rows = pd.DataFrame(
        {
            "arm": look["arm"].to_numpy(),
            "metric": metric,
            "units": stats.n,
            "value": counted.to_numpy(dtype=float),
            "metric_value": stats.mean,
            "metric_low": stats.mean - width,
            "metric_high": stats.mean + width,
        }
    )
    comparisons = len(experiment.arms) - 1
    lift, error = relative_lift(
        Moments(cast(np.ndarray, stats.n)[0], cast(np.ndarray, stats.mean)[0], cast(np.ndarray, stats.variance)[0]),
        stats,
    )
    readable = enough & enough[0] & np.isfinite(error) & (error > 0)
    n = stats.n + cast(np.ndarray, stats.n)[0]
    lift_width = np.where(readable, halfwidth(error, n, experiment.alpha / comparisons), np.nan)
    rows["lift"], rows["lift_low"], rows["lift_high"] = lift, lift - lift_width, lift + lift_width
    p = always_valid_p(lift, error, n, experiment.alpha / comparisons)
    rows["p_value"] = np.where(readable, np.minimum(p * comparisons, 1.0), np.nan)  # Bonferroni-adjusted
    rows.loc[0, ["lift", "lift_low", "lift_high", "p_value"]] = np.nan
    return rows


def broken_split(experiment: Experiment, units: np.ndarray, srm_p: float) -> bool:
    """Whether the units per arm say the assignment is broken (module docstring)."""
    if not srm_p < SRM_P_VALUE:
        return False
    shares = units / units.sum()
    gap = np.abs(shares - np.array([a.traffic for a in experiment.arms])).max()
    return experiment.kind == CRM_GROUP or bool(gap > SRM_MIN_SHARE_GAP)


def _detail(experiment: Experiment, look: pd.DataFrame, ds: str, srm_p: float, broken: bool, unread: bool) -> str:
    notes = []
    idle = look[look["units"] <= 0]["arm"].tolist()
    if idle:
        notes.append(f"waiting for data: no units yet in {idle}")
    elif unread:
        notes.append(
            f"too little data to compare yet (each arm needs {MIN_UNITS} units and, for a rate, "
            f"{MIN_COUNTED} conversions and non-conversions)"
        )
    stopped = look[(look["units"] > 0) & (look["last_active"].fillna(ds) < ds)]
    if idle != look["arm"].tolist() and len(stopped):
        notes += [f"arm '{r.arm}' has received no traffic since {r.last_active}" for r in stopped.itertuples()]
    if broken:
        shares = ", ".join(
            f"{a.name} {u / look['units'].sum():.1%} (planned {a.traffic:.0%})"
            for a, u in zip(experiment.arms, look["units"], strict=True)
        )
        shown = f"p = {srm_p:.1e}" if srm_p > 0 else "p < 1e-300"
        notes.append(f"sample ratio mismatch ({shown}): {shares}")
    return "; ".join(notes)


def _look_rows(experiment: Experiment, look: pd.DataFrame) -> pd.DataFrame:
    """Rows of one look, before decisions: every metric of every arm; `look` has a row per arm."""
    look = look.set_index("arm").reindex([a.name for a in experiment.arms]).reset_index()
    ds = str(look["as_of_date"].iloc[0])
    units = look["units"].to_numpy(dtype=float)
    srm_p = cast(float, srm_p_value(units, [a.traffic for a in experiment.arms]))  # one look: a float
    broken = broken_split(experiment, units, srm_p)
    out = pd.concat(
        [
            _estimates(experiment, look, m).assign(role="primary" if m == experiment.primary_metric else "guardrail")
            for m in experiment.metrics
        ],
        ignore_index=True,
    )
    is_control = out["arm"] == experiment.control.name
    unread = bool(out[(out["role"] == "primary") & ~is_control]["lift_low"].isna().any())
    return out.assign(
        experiment=experiment.name,
        as_of_date=ds,
        is_control=is_control,
        srm_p_value=srm_p,
        broken_split=broken,
        detail=_detail(experiment, look, ds, srm_p, broken, unread),
    )


def _narrowed(rows: pd.DataFrame) -> pd.DataFrame:
    """Each interval intersected with every earlier look's, and the smallest p-value so far.

    The sequences hold at all looks at once, so their running intersection does too; a
    decision, once the data allow it, then stays.
    """
    rows = rows.sort_values("as_of_date", kind="stable")
    by_series = rows.groupby(["metric", "arm"], sort=False)
    for low, high in (("lift_low", "lift_high"), ("metric_low", "metric_high")):
        rows[low], rows[high] = by_series[low].cummax(), by_series[high].cummin()
    rows["p_value"] = by_series["p_value"].cummin()
    return rows.sort_index()


def _decided(experiment: Experiment, rows: pd.DataFrame) -> pd.DataFrame:
    """Every arm's decision at every look, and on the control's rows the experiment's."""
    key = ["as_of_date", "arm"]
    harmed = rows[rows["role"] == "guardrail"].assign(harmed=lambda f: f["lift_high"] < 0).groupby(key)["harmed"].any()
    primary = rows[rows["role"] == "primary"].set_index(key)
    primary["decision"] = decide(
        primary["lift"],
        primary["lift_low"],
        primary["lift_high"],
        experiment.minimum_effect,
        primary["broken_split"],
        harmed.reindex(primary.index, fill_value=False).to_numpy(),
    )
    primary["winning_arm"] = np.where(
        primary["decision"] != WINNER,
        None,  # type: ignore[call-overload]  # numpy's stubs take no None (an object array)
        np.where(primary["lift_low"] > 0, primary.index.get_level_values("arm"), experiment.control.name),
    )
    for day, arms in primary.groupby(level="as_of_date"):
        treatments = arms.drop(index=(day, experiment.control.name))
        primary.loc[(day, experiment.control.name), ["decision", "winning_arm"]] = _experiment_decision(
            treatments["decision"].to_numpy(), treatments["winning_arm"].to_numpy(), treatments["lift"].to_numpy()
        )
    decided = primary[["decision", "winning_arm"]]
    return rows.join(decided, on=key).drop(columns="broken_split")


def _experiment_decision(decisions: np.ndarray, winners: np.ndarray, lifts: np.ndarray) -> tuple[str, str | None]:
    """The control row's decision: the experiment's, from its treatment arms' decisions."""
    for decision in (SRM, GUARDRAIL):
        if decision in decisions:
            return decision, None
    if WINNER in decisions:  # the treatment arm with the largest lift among the winners, or the control
        best = max((i for i, d in enumerate(decisions) if d == WINNER), key=lambda i: lifts[i])
        return WINNER, winners[best]
    return (NO_DIFFERENCE, None) if (decisions == NO_DIFFERENCE).all() else (KEEP_RUNNING, None)


def evaluate(experiment: Experiment, looks: pd.DataFrame) -> pd.DataFrame:
    """Every look of an experiment: LOOK_COLUMNS per (as_of_date, arm), cumulative since the start."""
    if looks.empty:
        return pd.DataFrame()
    rows = pd.concat(
        [_look_rows(experiment, look) for _, look in looks.groupby("as_of_date", sort=True)], ignore_index=True
    )
    return _decided(experiment, _narrowed(rows))
