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

Then CRM experiments, person by person (CUPED needs people): each person has a lasting
buying habit and a basket size, and their same metric over the 28 days before the start
is CUPED's covariate (the correlation printed is the one drawn). Read daily with the
pipeline's CUPED, family adjustment (Holm) and confidence sequences, with and without
CUPED: the A/A false-positive rate, the family-wise rate over 3 metrics x 2 treatment
arms (revenue, conversions and orders per person; orders stand in for a third metric
the pipeline does not have), the median day of a decision on a planted 10% lift, and
the power planner's days (from the first 7 looks) against the simulated days by which
50% and 80% of the experiments had decided.

Usage: python bench/experiments.py [--experiments 2000] [--days 28] [--seed 1] [--people 20000]
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta

import numpy as np

from socialpulse.experiments.decisions import decide
from socialpulse.experiments.entities import WINNER
from socialpulse.experiments.multiple_testing import HOLM, fixed_horizon_family, sequential_family
from socialpulse.experiments.power import days_needed, final_alpha
from socialpulse.experiments.statistics import (
    SRM_P_VALUE,
    halfwidth,
    proportion,
    relative_lift,
    sample_mean,
    srm_p_value,
)
from socialpulse.experiments.variance_reduction import PersonSums, cuped

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


PRE_PERIOD_DAYS = 28
PERSON_METRICS = ("revenue_per_person", "conversions_per_person", "orders_per_person")


def simulate_people(
    rng: np.random.Generator, experiments: int, days: int, people: int, arms: int, lift: float
) -> dict[str, np.ndarray]:
    """Per-arm sums (experiments, looks, arms) of each person metric y and its pre-period x, as crm_looks gives.

    Each person has a lasting habit (orders per day, gamma-distributed: a few buy often, most rarely) and a
    basket size; the pre-period draws from the same habit. Arms other than the first buy 1 + lift times as often.
    """
    habit = rng.gamma(0.4, 0.05 / 0.4, (experiments, people))
    basket = rng.lognormal(3.0, 0.4, (experiments, people))
    arm = rng.integers(0, arms, (experiments, people))
    boost = np.where(arm > 0, 1 + lift, 1.0)
    pre_orders = rng.poisson(habit * PRE_PERIOD_DAYS)
    pre_revenue = pre_orders * basket * rng.lognormal(0, 0.3, pre_orders.shape)
    daily = rng.poisson((habit * boost)[..., None] * np.ones(days))
    orders = daily.cumsum(axis=-1)
    revenue = (daily * basket[..., None] * rng.lognormal(0, 0.3, daily.shape)).cumsum(axis=-1)
    pre = {"revenue_per_person": pre_revenue, "conversions_per_person": pre_orders > 0, "orders_per_person": pre_orders}
    post = {"revenue_per_person": revenue, "conversions_per_person": orders > 0, "orders_per_person": orders}
    member = arm[..., None] == np.arange(arms)  # (experiments, people, arms)
    out: dict[str, np.ndarray] = {"n": np.broadcast_to(member.sum(axis=1)[:, None, :], (experiments, days, arms))}

    def per_arm(values: np.ndarray) -> np.ndarray:  # (experiments, people, looks) -> (experiments, looks, arms)
        return np.einsum("epl,epa->ela", values.astype(float), member.astype(float))

    for name in PERSON_METRICS:
        x, y = pre[name].astype(float), post[name].astype(float)
        out[name] = np.stack(
            [
                per_arm(y),
                per_arm(y**2),
                np.broadcast_to(per_arm(x[..., None]), (len(y), days, arms)),
                np.broadcast_to(per_arm((x**2)[..., None]), (len(y), days, arms)),
                per_arm(x[..., None] * y),
            ]
        )
    out["correlation"] = np.array(
        [np.corrcoef(pre[n][0].astype(float), post[n][0, :, -1].astype(float))[0, 1] for n in PERSON_METRICS]
    )
    return out


def person_lifts(data: dict[str, np.ndarray], metrics: tuple[str, ...], adjusted: bool) -> tuple[np.ndarray, ...]:
    """(lift, error, units compared) of every treatment arm x metric, metric-major, at every look."""
    lifts, errors, units = [], [], []
    for name in metrics:
        y, yy, x, xx, xy = data[name]
        if adjusted:
            stats, _ = cuped(PersonSums(data["n"], y, yy, x, xx, xy))
        else:
            stats = sample_mean(data["n"], y, yy)
        lift, error = relative_lift(stats.arm(0), stats)
        lifts.append(lift[..., 1:])
        errors.append(error[..., 1:])
        units.append(data["n"][..., 1:] + data["n"][..., :1])
    return tuple(np.concatenate(v, axis=-1) for v in (lifts, errors, units))


def final_reads(result: dict[str, np.ndarray], key: str) -> tuple[np.ndarray, np.ndarray]:
    """Each experiment's final fixed-horizon read of its last look (low, high per comparison), at the alpha the
    daily looks left (the pipeline's final read)."""
    lifts, errors, units = result[f"{key}_lift"], result[f"{key}_error"], result["units"]
    lows, highs = [], []
    for lift, error, n in zip(lifts, errors, units, strict=True):
        level = final_alpha(error, n, ALPHA)
        _, low, high = fixed_horizon_family(lift[-1], error[-1], level, HOLM)
        lows.append(low)
        highs.append(high)
    return np.array(lows), np.array(highs)


def cuped_rows(rng: np.random.Generator, experiments: int, days: int, people: int) -> None:
    """CUPED and Holm on simulated CRM experiments; prints the tables of the closing note."""
    batch = 100

    def run(arms: int, lift: float, metrics: tuple[str, ...]) -> dict[str, np.ndarray]:
        found: dict[str, list[np.ndarray]] = {}
        for start in range(0, experiments, batch):
            data = simulate_people(rng, min(batch, experiments - start), days, people, arms, lift)
            found.setdefault("correlation", []).append(data["correlation"][None])
            for adjusted in (True, False):
                lifts, errors, units = person_lifts(data, metrics, adjusted)
                key = "cuped" if adjusted else "plain"
                p, low, high = sequential_family(lifts, errors, units, ALPHA, HOLM)
                found.setdefault(key, []).append(np.stack([low, high, p]))
                found.setdefault(f"{key}_error", []).append(errors)
                found.setdefault(f"{key}_lift", []).append(lifts)
            found.setdefault("units", []).append(units)
        return {k: np.concatenate(v, axis=1 if k in ("cuped", "plain") else 0) for k, v in found.items()}

    print(
        f"\nCRM experiments: {experiments:,} per row, {people:,} people each split evenly, read daily for {days} "
        f"days; each person's metric over the {PRE_PERIOD_DAYS} days before the start is CUPED's covariate"
    )
    aa = run(2, 0.0, PERSON_METRICS[:1])
    family = run(3, 0.0, PERSON_METRICS)
    planted = run(2, 0.10, PERSON_METRICS[:1])
    correlation = np.concatenate([aa["correlation"], planted["correlation"]]).mean(axis=0)
    print(
        "pre-period to outcome correlation, per person at the last look: "
        + ", ".join(f"{m} {c:.2f}" for m, c in zip(PERSON_METRICS, correlation, strict=True))
    )
    print("| experiments | read | false positives (any look) | decided for the better arm | median day |")
    print("|---|---|---|---|---|")
    for key, label in (("plain", "without CUPED"), ("cuped", "with CUPED")):
        low, high, _ = aa[key]
        print(f"| A/A, revenue_per_person | {label} | {((low > 0) | (high < 0)).any(axis=(1, 2)).mean():.2%} | - | - |")
    for key, label in (("plain", "without CUPED"), ("cuped", "with CUPED")):
        low, high, _ = family[key]
        ever = ((low > 0) | (high < 0)).any(axis=(1, 2)).mean()
        print(f"| A/A, 3 metrics x 2 arms, Holm | {label} | {ever:.2%} family-wise | - | - |")
    for name, result in (("A/A, revenue_per_person", aa), ("A/A, 3 metrics x 2 arms, Holm", family)):
        low, high, _ = result["cuped"]
        daily = ((low > 0) | (high < 0)).any(axis=(1, 2))
        final_low, final_high = final_reads(result, "cuped")
        ever = (daily | ((final_low > 0) | (final_high < 0)).any(axis=1)).mean()
        print(f"| {name} | with CUPED, daily looks then the final read on day {days} | {ever:.2%} | - | - |")
    medians = {}
    for key, label in (("plain", "without CUPED"), ("cuped", "with CUPED")):
        low, _, _ = planted[key]
        day = first_day(low[..., 0] > 0)
        medians[key] = np.median(np.where(day > 0, day, np.inf))
        print(f"| +10% revenue_per_person | {label} | - | {(day > 0).mean():.2%} by day {days} | {medians[key]:.0f} |")
    for key, label in (("plain", "without CUPED"), ("cuped", "with CUPED")):
        low, _, _ = planted[key]
        final_low, _ = final_reads(planted, key)
        better = ((low[..., 0] > 0).any(axis=1) | (final_low[:, 0] > 0)).mean()
        print(f"| +10% revenue_per_person | {label}, daily looks then the final read | - | {better:.2%} | - |")
    print(f"median days to a decision, with CUPED / without: {medians['cuped'] / medians['plain']:.2f}")
    plan_look = 7
    for key, label in (("plain", "without CUPED"), ("cuped", "with CUPED")):
        errors, units = planted[f"{key}_error"][:, :plan_look, 0], planted["units"][:, :plan_look, 0]
        low, _, _ = planted[key]
        day = first_day(low[..., 0] > 0)
        decided = np.sort(np.where(day > 0, day, np.inf))
        look = np.broadcast_to(np.arange(1, plan_look + 1, dtype=float), errors.shape)
        for power in (0.5, 0.8):
            plans = days_needed(look, errors, units, 0.10, ALPHA, ALPHA, power)
            predicted = np.median(np.where(np.isnan(plans), np.inf, plans))  # nan: beyond the plan's horizon
            simulated = decided[int(np.ceil(power * len(decided))) - 1]
            shown = f"day {predicted:.0f}" if np.isfinite(predicted) else "more than a year"
            if np.isfinite(simulated):
                versus = f"simulated day {simulated:.0f} ({predicted / simulated:.2f}x)"
            else:
                versus = f"simulated: not by day {days} ({np.isfinite(decided).mean():.2%} decided by then)"
            print(f"planner, {label}, from the first {plan_look} looks, {power:.0%} power: {shown}; {versus}")


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
    parser.add_argument("--people", type=int, default=20_000, help="people per CRM experiment (CUPED rows)")
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
    cuped_rows(rng, args.experiments, args.days, args.people)
    print(f"\n{time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
