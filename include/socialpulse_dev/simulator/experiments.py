"""The simulator's planted experiments: what really differs between their arms (never read by the pipeline).

They are declared for the pipeline in experiments.yaml beside this file, as a user would
declare theirs; this module adds the truth: each campaign arm's actual share of the daily
reach, click-through rate and purchases per click, and the holdout's real effect.
Meta split tests: `video_creative` has a real lift (+30% purchases per click),
`lookalike_audience` is an A/A test (no difference), `headline_copy` has a broken split
(55/45 against the planned 50/50). The CRM holdout `retargeting_holdout`: targeted people
make 1.25 times as many purchases of their own as the held-out ones from its start (the
purchases campaigns cause, campaign_response.py, are alike in both groups).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from socialpulse.experiments.declarations import Experiment, parse

PLANTED_FILE = Path(__file__).with_name("experiments.yaml")
HOLDOUT_EXPERIMENT = "retargeting_holdout"
HOLDOUT_COLUMN = "experiment_retargeting"
HOLDOUT_SHARE = 0.2
TARGETED_LIFT = 1.25  # targeted people's purchase rate over the holdout's


@dataclass(frozen=True)
class ArmTruth:
    share: float  # of the experiment's daily reach: the broken split differs from the plan
    ctr: float  # clicks per impression
    conversion_rate: float  # purchases per click


@dataclass(frozen=True)
class PlantedCampaigns:
    account_id: str
    daily_reach: int  # people reached per day, all arms together
    arms: dict[str, ArmTruth]  # campaign id -> its truth
    truth: str  # in words, for the demo and the benchmark


PLANTED: dict[str, PlantedCampaigns] = {
    "video_creative": PlantedCampaigns(
        "1001",
        60_000,
        {"10019001": ArmTruth(0.5, 0.015, 0.030), "10019002": ArmTruth(0.5, 0.015, 0.039)},
        "video converts +30% more clicks",
    ),
    "lookalike_audience": PlantedCampaigns(
        "1002",
        40_000,
        {"10029001": ArmTruth(0.5, 0.012, 0.035), "10029002": ArmTruth(0.5, 0.012, 0.035)},
        "A/A: no difference",
    ),
    "headline_copy": PlantedCampaigns(
        "1003",
        50_000,
        {"10039001": ArmTruth(0.55, 0.010, 0.030), "10039002": ArmTruth(0.45, 0.011, 0.030)},
        "broken split: 55/45 of reach against the planned 50/50",
    ),
}
HOLDOUT_TRUTH = (
    f"targeted people make {TARGETED_LIFT:g}x as many purchases of their own as the holdout "
    "(campaigns cause as many in both groups)"
)


@cache
def declared() -> dict[str, Experiment]:
    return {e.name: e for e in parse(PLANTED_FILE.read_text(encoding="utf-8"), str(PLANTED_FILE))}


def campaigns_of(account_id: str) -> list[tuple[Experiment, str, str, ArmTruth]]:
    """(experiment, campaign id, arm name, truth) of the planted split tests running in an account."""
    found = []
    for name, planted in PLANTED.items():
        if planted.account_id == account_id:
            experiment = declared()[name]
            found += [(experiment, c, arm.name, planted.arms[c]) for arm in experiment.arms for c in arm.campaigns]
    return found


def holdout_start() -> date:
    return declared()[HOLDOUT_EXPERIMENT].start_date


def retargeting_group(user_id: str) -> str:
    """A user's group in the holdout experiment: a stable draw from the id."""
    draw = int.from_bytes(hashlib.sha256(f"holdout|{user_id}".encode()).digest()[:8], "little") / 2**64
    return "holdout" if draw < HOLDOUT_SHARE else "targeted"
