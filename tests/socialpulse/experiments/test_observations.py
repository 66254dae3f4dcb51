from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import pytest

from socialpulse.experiments.declarations import Arm, Experiment, ExperimentError
from socialpulse.experiments.evaluate import PRE_PERIOD_COLUMNS
from socialpulse.experiments.observations import (
    campaign_looks,
    crm_looks,
    crm_looks_in_parts,
    fitted_pre_period,
    groups_of,
    look_days,
)

CAMPAIGN_TEST = Experiment(
    "t", "h", date(2026, 10, 1), "roas", 0.1, (Arm("a", 0.5, campaigns=("1",)), Arm("b", 0.5, campaigns=("2", "3")))
)
HOLDOUT = Experiment(
    "h",
    "h",
    date(2026, 10, 1),
    "revenue_per_person",
    0.1,
    (Arm("held", 0.5, crm_group="holdout"), Arm("ads", 0.5, crm_group="targeted")),
    crm_column="experiment_ads",
)
DAYS = ["2026-10-01", "2026-10-02", "2026-10-03"]


def metrics(*rows) -> pd.DataFrame:
    return pd.DataFrame(
        list(rows),
        columns=["metric_date", "campaign_id", "impressions", "reach", "clicks", "conversions", "spend_reporting"],
    )


def test_look_days_run_from_the_start_to_the_as_of_date_or_the_end():
    assert look_days(CAMPAIGN_TEST, date(2026, 10, 3)) == DAYS
    assert look_days(CAMPAIGN_TEST, date(2026, 9, 30)) == []
    ended = Experiment("e", "h", date(2026, 10, 1), "roas", 0.1, CAMPAIGN_TEST.arms, end_date=date(2026, 10, 2))
    assert look_days(ended, date(2026, 10, 9)) == DAYS[:2]


def test_campaign_arms_sum_their_campaigns_and_cumulate_and_know_when_traffic_stopped():
    rows = metrics(
        ("2026-10-01", "1", 100, 80, 10, 1, 5.0),
        ("2026-10-01", "2", 50, 40, 5, 0, 2.0),
        ("2026-10-01", "3", 50, 40, 6, 1, 3.0),
        ("2026-10-02", "1", 100, 80, 10, 2, 5.0),
        ("2026-10-03", "1", 100, 80, 10, 0, 5.0),
        ("2026-10-03", "9", 999, 999, 9, 9, 9.0),
        ("2026-09-30", "1", 999, 999, 9, 9, 9.0),
    )
    orders = pd.DataFrame(
        {
            "order_date": ["2026-10-02", "2026-10-02", "2026-10-03", "2026-09-01"],
            "utm_campaign": ["1", "3", None, "1"],
            "amount_reporting": [10.0, 20.0, 99.0, 99.0],
        }
    )
    looks = campaign_looks(CAMPAIGN_TEST, rows, orders, DAYS).set_index(["as_of_date", "arm"])
    assert looks.loc[("2026-10-01", "b"), ["units", "clicks", "conversions", "spend"]].tolist() == [80, 11, 1, 5.0]
    assert looks.loc[("2026-10-03", "a"), ["units", "impressions", "conversions"]].tolist() == [240, 300, 3]
    assert looks.loc[("2026-10-03", "a"), ["revenue", "revenue_squares"]].tolist() == [10.0, 100.0]
    assert looks.loc[("2026-10-03", "b"), ["revenue", "revenue_squares"]].tolist() == [20.0, 400.0]
    assert looks.loc[("2026-10-03", "b"), "last_active"] == "2026-10-01"  # b got no traffic after the first day
    assert looks.loc[("2026-10-03", "a"), "last_active"] == "2026-10-03"


def test_campaigns_without_any_row_give_empty_looks_for_every_day():
    looks = campaign_looks(
        CAMPAIGN_TEST, metrics(), pd.DataFrame(columns=["order_date", "utm_campaign", "amount_reporting"]), DAYS
    )
    assert len(looks) == 6 and (looks["units"] == 0).all() and looks["last_active"].isna().all()


def test_crm_arms_count_members_buyers_and_each_person_s_revenue():
    users = pd.DataFrame(
        {
            "person_id": ["p1", "p2", "p3", "p4", "p5"],
            "signup_date": ["2026-01-01", "2026-01-01", "2026-10-02", "2026-01-01", "2026-01-01"],
            "experiment_groups": [
                json.dumps({"experiment_ads": "holdout"}),
                json.dumps({"experiment_ads": "targeted"}),
                json.dumps({"experiment_ads": "targeted"}),
                None,
                json.dumps({"experiment_other": "x"}),
            ],
        }
    )
    orders = pd.DataFrame(
        {
            "person_id": ["p1", "p2", "p2", "p3", "p1", "p4"],
            "order_date": ["2026-09-30", "2026-10-01", "2026-10-03", "2026-10-02", "2026-10-02", "2026-10-02"],
            "amount_reporting": [50.0, 10.0, 5.0, 7.0, 4.0, 99.0],
        }
    )
    looks = crm_looks(HOLDOUT, users, orders, DAYS).set_index(["as_of_date", "arm"])
    assert looks.loc[("2026-10-01", "ads"), ["units", "conversions", "revenue"]].tolist() == [1, 1, 10.0]
    assert looks.loc[("2026-10-01", "held"), ["units", "conversions", "revenue"]].tolist() == [1, 0, 0.0]
    assert looks.loc[("2026-10-03", "ads"), ["units", "conversions", "revenue", "revenue_squares"]].tolist() == [
        2,
        2,
        22.0,
        pytest.approx(15.0**2 + 7.0**2),
    ]
    assert looks.loc[("2026-10-03", "held"), ["units", "conversions", "revenue"]].tolist() == [1, 1, 4.0]


def _each_member_summed(experiment: Experiment, users: pd.DataFrame, orders: pd.DataFrame) -> pd.DataFrame:
    """crm_looks by its definition: every look, every member, one at a time."""
    arm = {"holdout": "held", "targeted": "ads"}
    members = users.drop_duplicates("person_id").assign(arm=groups_of(users, "experiment_ads").map(arm))
    start, expected = pd.Timestamp(experiment.start_date), []
    for day in DAYS:
        for name in ("held", "ads"):
            rows = []
            for person in members[members["arm"] == name].itertuples():
                if pd.isna(person.signup_date) or person.signup_date > day:
                    continue
                own = orders[orders["person_id"] == person.person_id]
                mine = own[(own["order_date"] >= DAYS[0]) & (own["order_date"] >= person.signup_date)]
                mine = mine[mine["order_date"] <= day]
                revenue, bought = mine["amount_reporting"].sum(), float(len(mine) > 0)
                entered = max(pd.Timestamp(person.signup_date), start)
                since = (entered - pd.Timedelta(days=experiment.pre_period_days)).strftime("%Y-%m-%d")
                before = own[(own["order_date"] >= since) & (own["order_date"] < entered.strftime("%Y-%m-%d"))]
                had, spent = float(len(before) > 0), before["amount_reporting"].sum()
                rows.append([bought, revenue, revenue**2, had, had * bought, spent, spent**2, spent * revenue])
            expected.append([day, name, len(rows), *(np.sum(rows, axis=0) if rows else [0.0] * 8)])
    columns = ["as_of_date", "arm", "units", "conversions", "revenue", "revenue_squares", *PRE_PERIOD_COLUMNS]
    return pd.DataFrame(expected, columns=columns).set_index(["as_of_date", "arm"]).sort_index()


def test_crm_looks_equal_each_look_summed_member_by_member():
    """The looks are running sums of the days people join and buy: they equal each look's figures summed over its
    members one at a time, whether read whole or in parts, with several orders on one day, orders before joining,
    before the start and after the last look, an order without an amount, people who join during the experiment
    or after it, an arm nobody has joined on the first day, a user twice, one without a signup date or a group."""
    rng = np.random.default_rng(5)
    people = [f"p{i}" for i in range(60)]
    groups = rng.choice(["holdout", "targeted"], 60)
    joined = rng.choice(["2026-01-01", "2026-09-30", "2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04"], 60)
    joined = np.where((groups == "holdout") & (joined < "2026-10-02"), "2026-10-02", joined)  # held: none on 10-01
    users = pd.DataFrame(
        {
            "person_id": [*people, "p0", "p60", "p61"],
            "signup_date": [*joined, "2026-01-01", None, "2026-01-01"],
            "experiment_groups": [json.dumps({"experiment_ads": g}) for g in [*groups, "holdout", "targeted"]] + [None],
        }
    )
    order_days = pd.date_range("2026-09-28", "2026-10-04").strftime("%Y-%m-%d").to_numpy()
    orders = pd.DataFrame(
        {
            "person_id": rng.choice([*people, "p60", "p61"], 300),
            "order_date": rng.choice(order_days, 300),
            "amount_reporting": np.where(np.arange(300) % 37, rng.integers(1, 50, 300), np.nan),
        }
    )
    cuped = replace(HOLDOUT, pre_period_days=2)
    expected = _each_member_summed(cuped, users, orders)
    outcomes = ["units", "conversions", "revenue", "revenue_squares"]
    first_half, second_half = users.iloc[:30], users.iloc[30:]
    second_half = second_half[~second_half["person_id"].isin(first_half["person_id"])]  # a person in one part
    for looks in (
        crm_looks(cuped, users, orders, DAYS),
        crm_looks_in_parts(cuped, [(first_half, orders), (second_half, orders)], DAYS, "2026-09-28"),
    ):
        found = looks.set_index(["as_of_date", "arm"])[expected.columns].sort_index()
        pd.testing.assert_frame_equal(found, expected, check_dtype=False)
    assert expected.loc[("2026-10-01", "held"), "units"] == 0 and expected["units"].min() == 0
    without = crm_looks(HOLDOUT, users, orders, DAYS).set_index(["as_of_date", "arm"]).sort_index()
    pd.testing.assert_frame_equal(without[outcomes], expected[outcomes], check_dtype=False)
    assert without[list(PRE_PERIOD_COLUMNS)].isna().all().all()  # no pre-period, no covariates


def test_groups_of_users_cleaned_before_experiments_existed_are_none():
    assert groups_of(pd.DataFrame({"person_id": ["p"]}), "experiment_ads").tolist() == [None]


def test_crm_arms_carry_each_person_s_pre_period_for_cuped_and_a_pre_period_before_the_history_is_an_error():
    users = pd.DataFrame(
        {
            "person_id": ["p1", "p2", "p3"],
            "signup_date": ["2026-01-01", "2026-01-01", "2026-10-02"],
            "experiment_groups": [json.dumps({"experiment_ads": g}) for g in ("holdout", "targeted", "targeted")],
        }
    )
    orders = pd.DataFrame(
        {
            "person_id": ["p1", "p1", "p2", "p3", "p1"],
            "order_date": ["2026-09-29", "2026-09-30", "2026-10-01", "2026-10-01", "2026-10-02"],
            "amount_reporting": [20.0, 30.0, 10.0, 8.0, 4.0],
        }
    )
    cuped = replace(HOLDOUT, pre_period_days=2)  # 09-29 and 09-30; p3 joined later: the 2 days before joining
    looks = crm_looks(cuped, users, orders, DAYS).set_index(["as_of_date", "arm"])
    held = looks.loc[("2026-10-03", "held")]
    assert held[["pre_conversions", "pre_revenue", "pre_revenue_squares"]].tolist() == [1, 50.0, 2_500.0]
    assert held[["conversions_cross", "revenue_cross"]].tolist() == [1, 50.0 * 4.0]
    ads = looks.loc[("2026-10-03", "ads")]  # p3's order of 10-01 is before joining and in their pre-period
    assert ads[["units", "pre_conversions", "pre_revenue", "revenue_cross"]].tolist() == [2, 1, 8.0, 0.0]
    assert looks.loc[("2026-10-01", "held"), "revenue_cross"] == 0  # nothing bought yet since the start
    later = crm_looks(cuped, users[users["person_id"] != "p2"], orders, DAYS).set_index(["as_of_date", "arm"])
    empty = later.loc[("2026-10-01", "ads")]  # nobody has joined yet: sums of 0, so CUPED still applies
    assert empty["units"] == 0 and empty[list(PRE_PERIOD_COLUMNS)].tolist() == [0.0] * len(PRE_PERIOD_COLUMNS)
    assert fitted_pre_period(replace(HOLDOUT, pre_period_days=3), "2026-09-29").pre_period_days == 2  # on record
    with pytest.raises(
        ExperimentError,
        match="pre-period of 3 days starts on 2026-09-28, before the CRM's order "
        r"history \(first order: 2026-09-29\)",
    ):
        crm_looks(replace(HOLDOUT, pre_period_days=3, pre_period_declared=True), users, orders, DAYS)
    assert PRE_PERIOD_COLUMNS[0] not in crm_looks(HOLDOUT, users, orders, DAYS).dropna(axis=1)  # none declared
