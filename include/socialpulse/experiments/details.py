"""Each look in words, for the `detail` column: what it waits for, what CUPED took out, what the traffic can detect.

Names, counts, days and shares only: never a person or a value of one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from socialpulse.experiments.decisions import MIN_COUNTED, MIN_UNITS
from socialpulse.experiments.declarations import Experiment
from socialpulse.experiments.power import POWER


def look_detail(experiment: Experiment, look: pd.DataFrame, ds: str, srm_p: float, broken: bool, unread: bool) -> str:
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


def plan_note(experiment: Experiment, detectable: np.ndarray, needed: np.ndarray) -> str:
    """The power plan in words, for the slowest treatment arm."""
    if not np.isfinite(detectable).any():
        return ""
    days = needed[np.isfinite(detectable)]
    slowest = "more than a year" if np.isnan(days).any() else f"about {int(days.max())} days from the start"
    end = f", the end date allows {experiment.planned_days}" if experiment.planned_days else ""
    return (
        f"at this traffic the smallest lift detectable with {POWER:.0%} power is "
        f"{np.nanmax(detectable):.1%}; {experiment.minimum_effect:.0%} needs {slowest}{end}"
    )


def adjustment_note(experiment: Experiment, cuped: bool, reduction: np.ndarray) -> str:
    """CUPED's effect in words (campaign arms have no person-level pre-period: the page says so)."""
    if not cuped or not np.isfinite(reduction).any():
        return ""
    return (
        f"CUPED on each person's {experiment.pre_period_days} days before the start: the primary lift's "
        f"variance {np.nanmin(reduction):.0%} lower"
    )


def waiting_note(experiment: Experiment, unproven: dict[str, np.ndarray], look: int, waiting: np.ndarray) -> str:
    """Which arms win on the primary metric but wait for a margin guardrail, and for which."""
    if not waiting.any():
        return ""
    arms = [a.name for a, w in zip(experiment.arms[1:], waiting, strict=True) if w]
    shown = ", ".join(
        f"{metric} within -{experiment.margin(metric):.0%}"
        for metric, open_ in unproven.items()
        if (open_[look] & waiting).any()
    )
    return f"{arms} win on {experiment.primary_metric} and wait until shown: {shown}"
