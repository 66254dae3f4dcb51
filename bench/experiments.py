"""Why experiments are read with confidence sequences: false winners, power and days to a decision, SRM.

Simulates experiments of two arms read once a day for 28 days, at realistic conversion
rates (1-5%, per experiment) and traffic (500-5,000 units per arm and day, per
experiment, split between the arms by a binomial draw), and decides each look with the
pipeline's own statistics (socialpulse.experiments: the confidence sequence, the
decision rule, the sample-ratio check). Side by side, on the same simulated data:

* the always-valid interval read every day (what experiments_daily does),
* a fixed-horizon z-test read every day (what a dashboard with a t-test invites),
* the fixed-horizon z-test read once, on day 28 (valid, but only if nobody peeks).

A/A experiments: the share that ever declares a winner (a false positive) must stay
within alpha. Planted lifts of 5%, 10% and 20%: the share decided for the better arm by
day 28 (power) and the median day of that decision. Then the simulator's planted broken
split (headline_copy) through the sample-ratio check on its first day of data.

Usage: python bench/experiments.py [--experiments 2000] [--days 28] [--seed 1]
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta

import numpy as np

from socialpulse.experiments.entities import WINNER
from socialpulse.experiments.evaluate import decide
from socialpulse.experiments.statistics import SRM_P_VALUE, halfwidth, proportion, relative_lift, srm_p_value

ALPHA = 0.05
MINIMUM_EFFECT = 0.0  # a winner is an interval excluding zero: no minimum effect to call a difference too small
Z = 1.959963984540054  # the fixed-horizon test's two-sided 5% quantile


def simulate(rng: np.random.Generator, experiments: int, days: int, lift: float) -> dict[str, np.ndarray]:
    """Cumulative units and conversions per experiment, look and arm (control, treatment)."""
    rate = rng.uniform(0.01, 0.05, experiments)[:, None]
    traffic = rng.integers(500, 5_001, experiments)[:, None]
    total = rng.poisson(2 * traffic, (experiments, days))
    control_units = rng.binomial(total, 0.5)
    units = np.stack([control_units, total - control_units], axis=-1)
    rates = np.stack(
        [np.broadcast_to(rate, (experiments, days)), np.broadcast_to(rate * (1 + lift), (experiments, days))], axis=-1
    )
    conversions = rng.binomial(units, rates)
    return {"units": units.cumsum(axis=1), "conversions": conversions.cumsum(axis=1)}


def read(data: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each look's decision under each reading, as booleans 'decided for the treatment / for either arm'."""
    control = proportion(data["units"][..., 0], data["conversions"][..., 0])
    treatment = proportion(data["units"][..., 1], data["conversions"][..., 1])
    lift, error = relative_lift(control, treatment)
    n = data["units"].sum(axis=-1)
    sequential = halfwidth(error, n, ALPHA)
    fixed = Z * error
    srm = srm_p_value(data["units"], [0.5, 0.5])
    out = {}
    for name, width in (("sequential", sequential), ("fixed", fixed)):
        winner = decide(lift, lift - width, lift + width, MINIMUM_EFFECT) == WINNER
        out[name] = winner
        out[f"{name}_for_treatment"] = winner & (lift > 0)
    out["srm"] = srm < SRM_P_VALUE
    return out


def first_day(decided: np.ndarray) -> np.ndarray:
    """The first look (1-based) at which each experiment decided, or 0 if it never did."""
    return np.where(decided.any(axis=1), decided.argmax(axis=1) + 1, 0)


def planted_broken_split() -> tuple[str, list[int], float]:
    """The first day of the simulator's headline_copy through the pipeline's SRM check."""
    from socialpulse_dev.simulator import experiments, meta_data

    declared = experiments.declared()["headline_copy"]
    start = declared.start_date
    account = meta_data.account(experiments.PLANTED["headline_copy"].account_id)
    rows = meta_data.experiment_rows(7, account, start, start + timedelta(days=30))
    reach = {r["campaign_id"]: int(r["reach"]) for r in rows}
    units = [sum(reach[c] for c in arm.campaigns) for arm in declared.arms]
    return start.isoformat(), units, srm_p_value(units, [arm.traffic for arm in declared.arms])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--experiments", type=int, default=2000)
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    started = time.perf_counter()
    print(
        f"{args.experiments:,} experiments per row, {args.days} daily looks each, conversion rate 1-5%, "
        f"500-5,000 units per arm and day; alpha {ALPHA}"
    )
    print(
        "| planted lift | read | decided a winner (any look) | for the better arm by the last look | "
        "median day of that decision |"
    )
    print("|---|---|---|---|---|")
    aa_srm = 0.0
    for lift in (0.0, 0.05, 0.10, 0.20):
        decided = read(simulate(rng, args.experiments, args.days, lift))
        if lift == 0:
            aa_srm = decided["srm"].any(axis=1).mean()
        readings = (
            ("always-valid interval, daily", "sequential", slice(None)),
            ("fixed z-test, daily", "fixed", slice(None)),
            (f"fixed z-test, once on day {args.days}", "fixed", slice(args.days - 1, args.days)),
        )
        for label, name, looks in readings:
            ever = decided[name][:, looks].any(axis=1).mean()
            days = first_day(decided[f"{name}_for_treatment"][:, looks])
            better = (days > 0).mean()
            median = f"{np.median(days[days > 0]) + (looks.start or 0):.0f}" if (days > 0).any() else "-"
            shown = "A/A (none)" if lift == 0 else f"+{lift:.0%}"
            print(f"| {shown} | {label} | {ever:.2%} | {f'{better:.2%}' if lift else '-'} | {median} |")
    print(f"\nA/A experiments ever flagged by the sample-ratio check (p < {SRM_P_VALUE}, every look): {aa_srm:.2%}")
    day, units, p = planted_broken_split()
    print(
        f"planted broken split (headline_copy, planned 50/50) on its first day of data, {day}: reach {units[0]:,} "
        f"against {units[1]:,}, SRM p = {p:.1e}: {'caught' if p < SRM_P_VALUE else 'NOT caught'}"
    )
    print(f"\n{time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
