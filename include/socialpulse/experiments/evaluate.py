"""An experiment's arms at every look: metrics, lifts with always-valid intervals, and the decision.

Every look (a day from the start) is evaluated on the cumulative data up to it, so
the results can be read every morning: an interval here covers the truth at all looks
at once (statistics.py), and a decision is taken the first day the data allow it.

Decisions, per treatment arm against the control (the control's rows carry the
experiment's):
* `sample_ratio_mismatch`: the units per arm are not the planned split (p < 0.001).
  The assignment is broken, so no comparison is trusted: stop and fix the split.
* `guardrail_harmed`: a guardrail metric is worse than the control's, beyond doubt.
* `winner`: the primary metric's lift interval excludes zero (`winning_arm` says which).
* `no_meaningful_difference`: the interval lies within ± the minimum effect worth detecting.
* `keep_running`: none of the above yet.

With several treatment arms each comparison uses alpha / (arms − 1) (Bonferroni).
All metrics count higher as better.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from socialpulse.experiments.declarations import Experiment, ExperimentError
from socialpulse.experiments.schemas import GUARDRAIL, KEEP_RUNNING, NO_DIFFERENCE, SRM, WINNER
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
LOOK_COLUMNS = ("as_of_date", "arm", "units", "impressions", "clicks", "conversions", "spend", "revenue",
                "revenue_squares", "last_active")
# metric -> (the column counted per unit, the column of units)
_PROPORTIONS = {"conversions_per_click": ("conversions", "clicks"), "conversions_per_person": ("conversions", "units"),
                "click_through_rate": ("clicks", "impressions")}


def moments(metric: str, looks: pd.DataFrame) -> tuple[Moments, pd.Series]:
    """The metric's per-unit moments for each row of `looks` (n: its units), and the value it counts."""
    if metric in _PROPORTIONS:
        counted, units = _PROPORTIONS[metric]
        too_many = looks[looks[counted] > looks[units]]
        if len(too_many):
            row = too_many.iloc[0]
            raise ExperimentError(f"arm '{row['arm']}' has {row[counted]:g} {counted} for {row[units]:g} {units} by "
                                  f"{row['as_of_date']}: {metric} is not a share of them; choose a metric whose "
                                  "units include every conversion (conversions_per_person)")
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


def decide(lift, low, high, minimum_effect: float, srm_p, harmed=False) -> np.ndarray:
    """The decision for lifts with their always-valid interval (arrays, so the benchmark shares it)."""
    low, high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    return np.select(
        [np.asarray(srm_p) < SRM_P_VALUE, np.asarray(harmed), (low > 0) | (high < 0),
         (low > -minimum_effect) & (high < minimum_effect)],
        [SRM, GUARDRAIL, WINNER, NO_DIFFERENCE], default=KEEP_RUNNING)


def _arm_rows(experiment: Experiment, look: pd.DataFrame, metric: str, alpha: float) -> pd.DataFrame:
    stats, counted = moments(metric, look)
    width = halfwidth(stats.std_error, stats.n, experiment.alpha)
    rows = pd.DataFrame({"arm": look["arm"].to_numpy(), "metric": metric, "units": stats.n,
                         "value": counted.to_numpy(dtype=float), "metric_value": stats.mean,
                         "metric_low": stats.mean - width, "metric_high": stats.mean + width})
    control = Moments(stats.n[0], stats.mean[0], stats.variance[0])
    lift, error = relative_lift(control, stats)
    n = stats.n + stats.n[0]
    lift_width = halfwidth(error, n, alpha)
    rows["lift"], rows["lift_low"], rows["lift_high"] = lift, lift - lift_width, lift + lift_width
    rows["p_value"] = always_valid_p(lift, error, n, alpha)
    rows.loc[0, ["lift", "lift_low", "lift_high", "p_value"]] = np.nan
    return rows


def _detail(experiment: Experiment, look: pd.DataFrame, day: str, srm_p: float) -> str:
    notes = []
    idle = look[look["units"] <= 0]["arm"].tolist()
    if idle:
        notes.append(f"waiting for data: no units yet in {idle}")
    stopped = look[(look["units"] > 0) & (look["last_active"].fillna(day) < day)]
    if idle != look["arm"].tolist() and len(stopped):
        notes += [f"arm '{r.arm}' has received no traffic since {r.last_active}" for r in stopped.itertuples()]
    if srm_p < SRM_P_VALUE:
        shares = ", ".join(f"{a.name} {u / look['units'].sum():.1%} (planned {a.traffic:.0%})"
                           for a, u in zip(experiment.arms, look["units"], strict=True))
        shown = f"p = {srm_p:.1e}" if srm_p > 0 else "p < 1e-300"
        notes.append(f"sample ratio mismatch ({shown}): {shares}")
    return "; ".join(notes)


def evaluate_look(experiment: Experiment, look: pd.DataFrame) -> pd.DataFrame:
    """Rows of one look: every metric of every arm; `look` has one row per arm, in the declared order."""
    look = look.set_index("arm").reindex([a.name for a in experiment.arms]).reset_index()
    day = str(look["as_of_date"].iloc[0])
    alpha = experiment.alpha / (len(experiment.arms) - 1)
    srm_p = srm_p_value(look["units"].tolist(), [a.traffic for a in experiment.arms])
    frames = {m: _arm_rows(experiment, look, m, alpha) for m in experiment.metrics}
    harmed = np.zeros(len(look), dtype=bool)
    for metric in experiment.guardrail_metrics:
        harmed |= (frames[metric]["lift_high"] < 0).to_numpy()
    primary = frames[experiment.primary_metric]
    decisions = decide(primary["lift"], primary["lift_low"], primary["lift_high"], experiment.minimum_effect,
                       srm_p, harmed)
    winners = np.where(decisions == WINNER, np.where(primary["lift"] > 0, look["arm"], look["arm"].iloc[0]), None)
    decisions[0], winners[0] = _experiment_decision(decisions[1:], winners[1:], primary["lift"].to_numpy()[1:])
    out = pd.concat([f.assign(role="primary" if m == experiment.primary_metric else "guardrail",
                              decision=decisions, winning_arm=winners) for m, f in frames.items()], ignore_index=True)
    return out.assign(experiment=experiment.name, as_of_date=day, is_control=out["arm"] == experiment.control.name,
                      srm_p_value=srm_p, detail=_detail(experiment, look, day, srm_p))


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
    return pd.concat([evaluate_look(experiment, look) for _, look in looks.groupby("as_of_date", sort=True)],
                     ignore_index=True)
