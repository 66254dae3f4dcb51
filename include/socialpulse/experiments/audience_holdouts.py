"""Each campaign brief's audience as an experiment of its own, read daily without anyone declaring it.

An audience keeps a stable share of its people out of what is sent (its holdout, drawn per
brief and person, audience/targeting.py). Its experiment compares the people sent
(`targeted`) with the holdout (the control) on conversions and revenue per person, as an
experiment on CRM groups does: a person counts from the day after the first list they were
on (a list of day d is built from d's data), with their orders from then, in the group their
draw put them in, which does not change from day to day. The name prefix is reserved:
no declared experiment may start with it (experiments/declarations.py).
"""

from __future__ import annotations

import json
from datetime import timedelta

import pandas as pd

from socialpulse.experiments.declarations import AUDIENCE_PREFIX, DEFAULT_PRE_PERIOD_DAYS, Arm, Experiment
from socialpulse.transforms.entities import CRM_COLUMN_PREFIX

MINIMUM_EFFECT = 0.10
HOLDOUT, TARGETED = "holdout", "targeted"


def holdout_experiments(members: pd.DataFrame, holdouts: dict[str, float]) -> list[tuple[Experiment, pd.DataFrame]]:
    """(the experiment, its people as crm_looks reads users) per brief still declared that built an audience.

    `members`: as_of_date, brief, person_id, in_holdout of every list up to the day (a person of a brief with
    several campaigns appears once per campaign); `holdouts`: each declared brief's holdout share."""
    found = []
    for brief, rows in members[members["brief"].isin(set(holdouts))].groupby("brief", sort=True):
        # a list of day d is built from d's data and sent after it: its people join the next day
        joined = rows.assign(joined=pd.to_datetime(rows["as_of_date"]).dt.date + timedelta(days=1))
        people = joined.groupby("person_id").agg(joined=("joined", "min"), held=("in_holdout", "first"))
        column = f"{CRM_COLUMN_PREFIX}{AUDIENCE_PREFIX}{brief}"
        share = holdouts[str(brief)]
        experiment = Experiment(
            name=f"{AUDIENCE_PREFIX}{brief}",
            hypothesis=f"The audience of brief {brief} makes the people sent buy more than its holdout.",
            start_date=min(people["joined"]),
            primary_metric="conversions_per_person",
            guardrail_metrics=("revenue_per_person",),
            minimum_effect=MINIMUM_EFFECT,
            arms=(Arm(HOLDOUT, share, crm_group=HOLDOUT), Arm(TARGETED, 1 - share, crm_group=TARGETED)),
            crm_column=column,
            source=f"brief '{brief}' (audiences)",
            pre_period_days=DEFAULT_PRE_PERIOD_DAYS,  # CUPED: each person's orders before their first list
        )
        users = pd.DataFrame(
            {
                "person_id": people.index,
                "signup_date": people["joined"].to_numpy(),
                "experiment_groups": [json.dumps({column: HOLDOUT if h else TARGETED}) for h in people["held"]],
            }
        )
        found.append((experiment, users))
    return found
