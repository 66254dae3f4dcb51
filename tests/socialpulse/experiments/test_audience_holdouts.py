"""An audience's holdout read as an experiment: the people sent against the held-out ones, from their first day on
the list, without a declaration."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from socialpulse.experiments.audience_holdouts import holdout_experiments
from socialpulse.experiments.evaluate import evaluate
from socialpulse.experiments.observations import crm_looks, look_days

# the CRM's order history starts in August: each person's 28 days before their first list are on record (CUPED)
HISTORY = pd.DataFrame({"order_date": ["2026-08-01"], "amount_reporting": [5.0]})


def lists(people: int, days: list[date], held_every: int = 5) -> pd.DataFrame:
    """A brief of two campaigns whose list grows by a tenth of its people each day."""
    rows = []
    for n, day in enumerate(days):
        for i in range(people * (n + 1) // len(days)):
            for campaign in ("c1", "c2"):
                rows.append((day, "spring", campaign, f"p{i:05d}", i % held_every == 0))
    return pd.DataFrame(rows, columns=["as_of_date", "brief", "campaign_id", "person_id", "in_holdout"])


def test_each_declared_brief_with_a_list_is_an_experiment_of_its_people_from_the_day_after_their_first_list():
    days = [date(2026, 11, 1), date(2026, 11, 2)]
    members = pd.concat([lists(10, days), lists(4, days).assign(brief="gone")])
    ((experiment, users),) = holdout_experiments(members, {"spring": 0.2, "never_built": 0.1})
    assert experiment.name == "audience_spring" and experiment.start_date == days[0] + timedelta(days=1)
    assert [(a.name, a.traffic, a.crm_group) for a in experiment.arms] == [
        ("holdout", 0.2, "holdout"),
        ("targeted", 0.8, "targeted"),
    ]
    assert experiment.metrics == ("conversions_per_person", "revenue_per_person")
    assert len(users) == 10 and users["person_id"].is_unique  # once, not once per campaign
    joined = dict(zip(users["person_id"], users["signup_date"], strict=True))
    assert joined["p00000"] == days[0] + timedelta(days=1) and joined["p00009"] == days[1] + timedelta(days=1)
    assert users["experiment_groups"].str.contains('"holdout"').sum() == 2  # p00000 and p00005


def test_a_lift_of_the_people_sent_over_the_holdout_is_read_and_declared():
    start = date(2026, 10, 1)
    days = [start]
    ((experiment, users),) = holdout_experiments(lists(20_000, days), {"spring": 0.2})
    rng = np.random.default_rng(7)
    held = users["experiment_groups"].str.contains('"holdout"').to_numpy()
    buys = rng.random(len(users)) < np.where(held, 0.10, 0.14)  # the people sent buy 1.4 times as often
    orders = pd.DataFrame(
        {
            "person_id": users["person_id"][buys].to_numpy(),
            "order_date": [f"2026-10-{d:02d}" for d in rng.integers(1, 29, buys.sum())],
            "amount_reporting": 20.0,
        }
    )
    orders = pd.concat([orders, HISTORY.assign(person_id=users["person_id"].iloc[0])])
    looks = crm_looks(experiment, users, orders, look_days(experiment, date(2026, 10, 28)))
    rows = evaluate(experiment, looks)
    last = rows[(rows["as_of_date"] == "2026-10-28") & (rows["role"] == "primary") & ~rows["is_control"]].iloc[0]
    assert last["decision"] == "winner" and last["winning_arm"] == "targeted"
    assert 0.25 < last["lift"] < 0.55


def test_the_order_that_put_someone_on_a_list_is_not_credited_to_it():
    """A loyalty list picks recent buyers: their orders up to the list's day are why they are on it."""
    listed = date(2026, 10, 10)
    members = pd.DataFrame(
        {
            "as_of_date": [date(2026, 10, 1), listed],
            "brief": "loyal",
            "person_id": ["early", "late"],
            "in_holdout": False,
        }
    )
    ((experiment, users),) = holdout_experiments(members, {"loyal": 0.1})
    orders = pd.DataFrame(
        {
            "person_id": ["late", "late", "early"],
            "order_date": [listed.isoformat(), "2026-10-11", "2026-10-05"],
            "amount_reporting": [10.0, 20.0, 30.0],
        }
    )
    orders = pd.concat([orders, HISTORY.assign(person_id="early")])
    looks = crm_looks(experiment, users, orders, look_days(experiment, date(2026, 10, 12))).set_index(
        ["as_of_date", "arm"]
    )
    last = looks.loc[("2026-10-12", "targeted")]
    assert (last["units"], last["conversions"], last["revenue"]) == (2, 2, 50.0)  # not the 10 of the list's day
