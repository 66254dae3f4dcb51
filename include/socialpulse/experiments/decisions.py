"""The decisions an experiment's looks lead to, and the rules that keep them.

Per treatment arm against the control (the control's rows carry the experiment's), the
first that holds is the decision:
* `sample_ratio_mismatch`: the units per arm are not the planned split (chi-square
  p < 0.001; for campaign arms also an arm's share off by more than a percentage point,
  as summed daily reach counts person-days, whose split varies more than a binomial).
  The assignment is broken, so no comparison is trusted: stop and fix the split.
* `guardrail_harmed`: a guardrail metric is worse than the control's by more than its
  margin (0 without one), beyond doubt.
* `no_meaningful_difference`: the lift's interval lies within ± the minimum effect worth
  detecting (even when it excludes zero: the difference is too small to act on).
* `winner`: the primary metric's lift interval excludes zero (`winning_arm` says which);
  a winning treatment waits while a guardrail with a margin is not shown within it.
* `underpowered`: at this traffic the minimum effect needs more days than the end date allows.
* `keep_running`: none of the above yet.
A look that decides nothing (keep_running, underpowered) keeps the last settled decision,
unless the split broke since. No comparison is read before each arm has MIN_UNITS units
(and, for rates, MIN_COUNTED conversions and non-conversions): the intervals are
asymptotic, and a rate of 0 or 1 has no variance to go by.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from socialpulse.experiments.declarations import CRM_GROUP, Experiment
from socialpulse.experiments.entities import GUARDRAIL, KEEP_RUNNING, NO_DIFFERENCE, SRM, UNDERPOWERED, WINNER
from socialpulse.experiments.statistics import SRM_P_VALUE

MIN_UNITS = 100  # per arm before it is compared: the intervals are asymptotic
MIN_COUNTED = 5  # conversions (and non-conversions) per arm before a rate is compared
SETTLED = (WINNER, GUARDRAIL, NO_DIFFERENCE)  # decisions a later look without a decision of its own keeps
OPEN = (KEEP_RUNNING, UNDERPOWERED)


SRM_MIN_SHARE_GAP = 0.01  # campaign arms: an arm's share of the reach this far off the plan, beyond chance


def decide(
    lift: npt.ArrayLike,
    low: npt.ArrayLike,
    high: npt.ArrayLike,
    minimum_effect: float,
    broken_split: npt.ArrayLike = False,
    harmed: npt.ArrayLike = False,
    guardrail_unproven: npt.ArrayLike = False,
    underpowered: npt.ArrayLike = False,
) -> np.ndarray:
    """The decision for lifts with their interval (arrays, so the benchmark shares it).

    `guardrail_unproven`: a guardrail with a margin is not yet shown within it, so a treatment that wins waits.
    """
    low, high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    return np.select(
        [
            np.asarray(broken_split),
            np.asarray(harmed),
            (low > -minimum_effect) & (high < minimum_effect),
            (high < 0) | ((low > 0) & ~np.asarray(guardrail_unproven)),
            np.asarray(underpowered),
        ],
        [SRM, GUARDRAIL, NO_DIFFERENCE, WINNER, UNDERPOWERED],
        default=KEEP_RUNNING,
    )


def carried(decision: np.ndarray, winning: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each look that decides nothing (keep_running, underpowered) takes the last settled decision and its winning
    arm before it, unless a broken split came between: the intervals hold at all looks, but a comparison's level
    in the family can fall as the others' p-values do, which can move an interval off a threshold it had passed."""
    decision, winning = decision.copy(), winning.copy()
    for arm in range(decision.shape[1]):
        last: tuple[object, object] | None = None
        for look in range(len(decision)):
            if decision[look, arm] in SETTLED:
                last = (decision[look, arm], winning[look, arm])
            elif decision[look, arm] == SRM:
                last = None
            elif last is not None and decision[look, arm] in OPEN:
                decision[look, arm], winning[look, arm] = last
    return decision, winning


def experiment_decision(decisions: np.ndarray, winners: np.ndarray, lifts: np.ndarray) -> tuple[str, str | None]:
    """The control row's decision: the experiment's, from its treatment arms' decisions."""
    for decision in (SRM, GUARDRAIL):
        if decision in decisions:
            return decision, None
    if WINNER in decisions:  # the treatment arm with the largest lift among the winners, or the control
        best = max((i for i, d in enumerate(decisions) if d == WINNER), key=lambda i: lifts[i])
        return WINNER, winners[best]
    if (decisions == NO_DIFFERENCE).all():
        return NO_DIFFERENCE, None
    settled = decisions[decisions != NO_DIFFERENCE]
    return (UNDERPOWERED, None) if (settled == UNDERPOWERED).all() else (KEEP_RUNNING, None)


def broken_split(experiment: Experiment, units: np.ndarray, srm_p: float) -> bool:
    """Whether the units per arm say the assignment is broken (module docstring)."""
    if not srm_p < SRM_P_VALUE:
        return False
    shares = units / units.sum()
    gap = np.abs(shares - np.array([a.traffic for a in experiment.arms])).max()
    return experiment.kind == CRM_GROUP or bool(gap > SRM_MIN_SHARE_GAP)
