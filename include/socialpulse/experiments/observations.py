"""What each arm observed, cumulated to every look: pure functions over the warehouse's and the clean zone's rows.

Campaign arms sum their campaigns' days from campaign_metrics_daily; their revenue is the
CRM orders that name one of the campaigns (utm_campaign), whose individual amounts give
the variance of revenue metrics. A campaign arm's units are the people it reached as Meta
reports reach per day: a person reached on two days counts twice, in every arm alike.
CRM arms are the people whose experiment column holds the arm's group, from the newest
users drop; a person converts with a first order since the start.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from datetime import date, timedelta
from typing import cast

import numpy as np
import pandas as pd

from socialpulse.experiments.declarations import Experiment, ExperimentError
from socialpulse.experiments.evaluate import LOOK_COLUMNS, PRE_PERIOD_COLUMNS

SUMMED = ("units", "impressions", "clicks", "conversions", "spend", "revenue", "revenue_squares")
SUMMED_PER_PERSON = ("conversions", "revenue", "revenue_squares")


def look_days(experiment: Experiment, as_of: date) -> list[str]:
    """The days read so far: from the start to the as-of date (or the end, if sooner)."""
    last = min(as_of, experiment.end_date or as_of)
    return [
        (experiment.start_date + timedelta(days=i)).isoformat() for i in range((last - experiment.start_date).days + 1)
    ]


def campaign_looks(
    experiment: Experiment, metrics: pd.DataFrame, orders: pd.DataFrame, days: list[str]
) -> pd.DataFrame:
    """Cumulative campaign-arm totals at each look.

    `metrics`: metric_date, campaign_id, impressions, reach, clicks, conversions, spend_reporting (a row per
    campaign-day); `orders`: order_date, utm_campaign, amount_reporting (one row per order).
    """
    arm_of = {c: arm.name for arm in experiment.arms for c in arm.campaigns}
    daily = metrics.assign(arm=metrics["campaign_id"].map(arm_of), day=metrics["metric_date"].astype(str)).rename(
        columns={"reach": "units", "spend_reporting": "spend"}
    )
    spent = orders.assign(
        arm=orders["utm_campaign"].map(arm_of),
        day=orders["order_date"].astype(str),
        revenue=orders["amount_reporting"],
        revenue_squares=orders["amount_reporting"] ** 2,
    )
    parts = [daily[["day", "arm", *SUMMED[:5]]], spent[["day", "arm", "revenue", "revenue_squares"]]]
    return _cumulate(experiment, pd.concat([p.dropna(subset=["arm"]) for p in parts], ignore_index=True), days)


def _cumulate(experiment: Experiment, daily: pd.DataFrame, days: list[str]) -> pd.DataFrame:
    arms = [arm.name for arm in experiment.arms]
    grid = pd.MultiIndex.from_product([days, arms], names=["day", "arm"])
    daily = daily[daily["day"].isin(days)]
    totals = (
        daily.groupby(["day", "arm"])[list(SUMMED)]
        .sum(min_count=1)
        .reindex(columns=list(SUMMED))
        .reindex(grid)
        .fillna(0.0)
        .astype(float)
    )
    active = totals["units"].gt(0).to_frame("active").reset_index()
    active["last_active"] = active["day"].where(active["active"])
    active["last_active"] = active.groupby("arm")["last_active"].ffill()
    cumulative = totals.groupby(level="arm").cumsum().reset_index()
    looks = cumulative.merge(active[["day", "arm", "last_active"]], on=["day", "arm"])
    return looks.rename(columns={"day": "as_of_date"})[list(LOOK_COLUMNS)]


def groups_of(users: pd.DataFrame, column: str) -> pd.Series:
    """Each user's value of one experiment column, from the clean users' `experiment_groups` JSON."""
    if "experiment_groups" not in users:
        return pd.Series([None] * len(users), index=users.index, dtype=object)
    return users["experiment_groups"].map(lambda text: json.loads(text).get(column) if isinstance(text, str) else None)


def first_order_day(orders: pd.DataFrame) -> str | None:
    """The day of the first of the orders (order_date), None without any."""
    return str(orders["order_date"].astype(str).min()) if len(orders) else None


def fitted_pre_period(experiment: Experiment, first: str | None) -> Experiment:
    """The experiment with a pre-period the CRM's order history covers, from `first`, the day of the first order on
    record (None: no order). A declared pre_period_days that reaches back before it is an error naming both days;
    the default (28 days) shortens to the days on record before the start (none: no CUPED)."""
    if not experiment.pre_period_days:
        return experiment
    window_start = experiment.start_date - timedelta(days=experiment.pre_period_days)
    if first is not None and window_start.isoformat() >= first:
        return experiment
    if experiment.pre_period_declared:
        raise ExperimentError(
            f"its pre-period of {experiment.pre_period_days} days starts on {window_start}, before the CRM's "
            f"order history (first order: {first or 'none'}): declare a shorter pre_period_days or a later start"
        )
    on_record = 0 if first is None else max((experiment.start_date - date.fromisoformat(first)).days, 0)
    return replace(experiment, pre_period_days=min(on_record, experiment.pre_period_days))


def pre_period(experiment: Experiment, members: pd.DataFrame, orders: pd.DataFrame) -> pd.DataFrame:
    """Each member's conversion (0/1) and revenue over the `pre_period_days` before they entered the experiment
    (the start, or their joining if later), indexed by person_id: CUPED's covariates (fitted_pre_period first)."""
    entered = pd.to_datetime(members["joined"]).clip(lower=pd.Timestamp(experiment.start_date))
    anchors = members.assign(
        until=entered.dt.strftime("%Y-%m-%d"),
        since=(entered - pd.Timedelta(days=experiment.pre_period_days)).dt.strftime("%Y-%m-%d"),
    )
    history = orders.assign(day=orders["order_date"].astype(str)).merge(
        anchors[["person_id", "since", "until"]], on="person_id"
    )
    history = history[(history["day"] >= history["since"]) & (history["day"] < history["until"])]
    revenue = history.groupby("person_id")["amount_reporting"].sum()
    return pd.DataFrame({"pre_conversions": 1.0, "pre_revenue": revenue}, index=revenue.index).reindex(
        members["person_id"].unique(), fill_value=0.0
    )


def crm_looks(
    experiment: Experiment, users: pd.DataFrame, orders: pd.DataFrame, days: list[str], first: str | None = None
) -> pd.DataFrame:
    """Cumulative CRM-group totals at each look, with the pre-period sums CUPED needs (PRE_PERIOD_COLUMNS).

    `users`: person_id, signup_date, experiment_groups (the newest drop); `orders`: person_id, order_date,
    amount_reporting, of the users at least; `first`: the day of the CRM's first order on record, when `orders`
    are only some people's (by default, their first); `days`: at least one. A member counts from their signup
    (an audience's member from the day after the list they joined); a person's revenue is their orders' since
    the start and since they joined, so the order that put someone on a list is not credited to it. No user
    carrying the experiment's column is an error: it names the column.
    """
    return crm_looks_in_parts(experiment, [(users, orders)], days, first or first_order_day(orders))


def crm_looks_in_parts(
    experiment: Experiment, parts: Iterable[tuple[pd.DataFrame, pd.DataFrame]], days: list[str], first: str | None
) -> pd.DataFrame:
    """crm_looks of people in parts, each (users, their orders), a person in one part only: every figure is a sum
    over people, added part by part."""
    experiment = fitted_pre_period(experiment, first)
    column, sums, anyone = cast(str, experiment.crm_column), [], False  # a CRM group experiment names its column
    for users, orders in parts:
        groups = groups_of(users, column)
        anyone = anyone or bool(groups.notna().any())
        sums.append(_crm_sums(experiment, users, groups, orders, days))
    if not anyone:
        raise ExperimentError(
            f"no CRM user has a value in the column '{experiment.crm_column}' (newest users drop): "
            "is the drop's column named so?"
        )
    grid = pd.MultiIndex.from_product([days, [a.name for a in experiment.arms]], names=["as_of_date", "arm"])
    summed = pd.concat(sums).groupby(["as_of_date", "arm"]).sum(min_count=1)
    looks = summed.reindex(grid).reset_index()
    looks[["units", *SUMMED_PER_PERSON]] = looks[["units", *SUMMED_PER_PERSON]].fillna(0.0)
    if experiment.pre_period_days:  # an arm nobody has joined yet sums to 0, as its outcomes do
        looks[list(PRE_PERIOD_COLUMNS)] = looks[list(PRE_PERIOD_COLUMNS)].fillna(0.0)
    for name in ("impressions", "clicks", "spend"):
        looks[name] = 0.0
    looks["last_active"] = looks["as_of_date"]  # a group's members stay assigned: no traffic to stop
    return looks[[*LOOK_COLUMNS, *PRE_PERIOD_COLUMNS]]


def _crm_sums(
    experiment: Experiment, users: pd.DataFrame, groups: pd.Series, orders: pd.DataFrame, days: list[str]
) -> pd.DataFrame:
    """A part of people's sums per look day and arm (as_of_date, arm, units, SUMMED_PER_PERSON, PRE_PERIOD_COLUMNS),
    an arm on a day when someone in it has joined.

    A member's figures change only on the day they join (units, the covariates) and the days they buy (revenue,
    a first order's conversion), so each look is the running sum of those changes, not a pass over everyone. The
    square of a member's revenue grows on a day by the new square less the old one."""
    arm_of = {arm.crm_group: arm.name for arm in experiment.arms}
    members = users.assign(arm=groups.map(arm_of)).dropna(subset=["arm"])
    members = members.assign(joined=members["signup_date"].astype("string"))[["person_id", "arm", "joined"]]
    members = members.drop_duplicates("person_id").dropna(subset=["joined"])  # no signup date: never joins
    members = members.set_index("person_id")
    covariates = (
        pre_period(experiment, members.reset_index(), orders)
        if experiment.pre_period_days
        else pd.DataFrame(0.0, index=members.index, columns=["pre_conversions", "pre_revenue"])
    )
    members = members.join(covariates).assign(look=np.searchsorted(days, members["joined"]))
    members = members[members["look"] < len(days)]  # joins after the last look: not yet counted
    joins = members.assign(units=1.0, pre_revenue_squares=members["pre_revenue"] ** 2)
    bought = orders[["person_id", "order_date", "amount_reporting"]].reset_index(drop=True)
    bought = bought.assign(day=bought["order_date"].astype(str)).merge(members.reset_index(), on="person_id")
    bought = bought[(bought["day"] >= days[0]) & (bought["day"] <= days[-1]) & (bought["day"] >= bought["joined"])]
    daily = bought.groupby(["person_id", "day"]).agg(
        revenue=("amount_reporting", "sum"),
        arm=("arm", "first"),
        pre_conversions=("pre_conversions", "first"),
        pre_revenue=("pre_revenue", "first"),
    )
    after = daily["revenue"].groupby(level="person_id").cumsum()
    first = (daily.groupby(level="person_id").cumcount() == 0).astype(float)
    buys = pd.DataFrame(
        {
            "arm": daily["arm"],
            "look": np.searchsorted(days, daily.index.get_level_values("day")),
            "conversions": first,
            "revenue": daily["revenue"],
            "revenue_squares": after**2 - (after - daily["revenue"]) ** 2,
            "conversions_cross": first * daily["pre_conversions"],
            "revenue_cross": daily["revenue"] * daily["pre_revenue"],
        }
    )
    columns = ["units", *SUMMED_PER_PERSON, *PRE_PERIOD_COLUMNS]
    joining = joins[["arm", "look", "units", "pre_conversions", "pre_revenue", "pre_revenue_squares"]]
    changes = pd.concat([joining, buys], ignore_index=True)
    grid = pd.MultiIndex.from_product([[a.name for a in experiment.arms], range(len(days))], names=["arm", "look"])
    per_day = changes.groupby(["arm", "look"])[columns].sum().reindex(grid, fill_value=0.0)
    looks = per_day.groupby(level="arm").cumsum().reset_index()
    looks = looks[looks["units"] > 0].assign(
        as_of_date=lambda frame: [days[i] for i in frame["look"]], units=lambda frame: frame["units"].astype("int64")
    )
    if not experiment.pre_period_days:
        looks[list(PRE_PERIOD_COLUMNS)] = float("nan")
    return looks[["as_of_date", "arm", *columns]].reset_index(drop=True)
