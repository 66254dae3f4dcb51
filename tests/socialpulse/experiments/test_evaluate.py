from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import pytest

from socialpulse.experiments.decisions import carried, decide
from socialpulse.experiments.declarations import Arm, Experiment, ExperimentError
from socialpulse.experiments.evaluate import LOOK_COLUMNS, evaluate
from socialpulse.experiments.statistics import (
    Moments,
    always_valid_p,
    halfwidth,
    proportion,
    relative_lift,
    sample_mean,
)
from socialpulse.experiments.variance_reduction import PersonSums, cuped

REVENUE_SUMS = ("revenue", "revenue_squares", "pre_revenue", "pre_revenue_squares", "revenue_cross")


def experiment(arms=("a", "b"), primary="conversions_per_click", guardrails=(), traffic=None) -> Experiment:
    shares = traffic or [1 / len(arms)] * len(arms)
    return Experiment(
        "test",
        "h",
        date(2026, 10, 1),
        primary,
        0.1,
        tuple(Arm(name, share, campaigns=(str(i),)) for i, (name, share) in enumerate(zip(arms, shares, strict=True))),
        guardrail_metrics=guardrails,
    )


def look(day="2026-10-05", **arms) -> pd.DataFrame:
    """arms: name -> dict of the look's counts (units default to clicks x 10)."""
    rows = []
    for name, counts in arms.items():
        row = {
            "as_of_date": day,
            "arm": name,
            "units": counts.get("clicks", 0) * 10,
            "impressions": 0,
            "clicks": 0,
            "conversions": 0,
            "spend": 0.0,
            "revenue": 0.0,
            "revenue_squares": 0.0,
            "last_active": day,
            **counts,
        }
        rows.append(row)
    return pd.DataFrame(rows)[list(LOOK_COLUMNS)]


def primary_rows(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[rows["role"] == "primary"].set_index("arm")


def test_a_clear_lift_is_a_winner_and_the_figures_are_the_statistics_module_s():
    rows = evaluate(
        experiment(), look(a={"clicks": 10_000, "conversions": 300}, b={"clicks": 10_000, "conversions": 450})
    )
    b = primary_rows(rows).loc["b"]
    lift, error = relative_lift(proportion(10_000, 300), proportion(10_000, 450))
    width = halfwidth(error, 20_000, 0.05)
    assert b["lift"] == pytest.approx(0.5) and (b["lift_low"], b["lift_high"]) == pytest.approx(
        (lift - width, lift + width)
    )
    assert b["decision"] == "winner" and b["winning_arm"] == "b" and b["p_value"] < 0.05
    a = primary_rows(rows).loc["a"]
    assert a["is_control"] and a["decision"] == "winner" and a["winning_arm"] == "b" and np.isnan(a["lift"])
    assert a["metric_value"] == pytest.approx(0.03) and a["metric_low"] < 0.03 < a["metric_high"]
    assert a["units"] == 10_000 and a["value"] == 300  # the clicks the conversions are a share of


def test_a_worse_treatment_makes_the_control_the_winner():
    rows = evaluate(
        experiment(), look(a={"clicks": 10_000, "conversions": 450}, b={"clicks": 10_000, "conversions": 300})
    )
    assert primary_rows(rows).loc["b", "winning_arm"] == "a"


def test_equal_arms_with_plenty_of_data_show_no_meaningful_difference_and_little_data_keeps_running():
    big = evaluate(
        experiment(),
        look(a={"clicks": 2_000_000, "conversions": 60_000}, b={"clicks": 2_000_000, "conversions": 60_100}),
    )
    assert set(big["decision"]) == {"no_meaningful_difference"}
    small = evaluate(experiment(), look(a={"clicks": 1_000, "conversions": 30}, b={"clicks": 1_000, "conversions": 33}))
    assert set(small["decision"]) == {"keep_running"}


def test_a_split_off_the_plan_stops_the_experiment_whatever_the_lift():
    rows = evaluate(
        experiment(),
        look(
            a={"clicks": 10_000, "conversions": 300, "units": 50_000},
            b={"clicks": 10_000, "conversions": 600, "units": 53_000},
        ),
    )
    assert set(rows["decision"]) == {"sample_ratio_mismatch"}
    assert rows["srm_p_value"].iloc[0] < 0.001
    assert "sample ratio mismatch" in rows["detail"].iloc[0] and "b 51.5% (planned 50%)" in rows["detail"].iloc[0]


def test_reach_off_the_plan_by_chance_alone_needs_a_visible_gap_but_crm_groups_do_not():
    """Summed daily reach counts person-days: p < 0.001 from a 0.6-point gap is delivery, not a broken split."""
    counts = {
        "a": {"clicks": 10_000, "conversions": 300, "units": 700_000},
        "b": {"clicks": 10_000, "conversions": 310, "units": 717_000},
    }
    campaigns = evaluate(experiment(), look(**counts))
    assert campaigns["srm_p_value"].iloc[0] < 0.001 and "sample_ratio_mismatch" not in set(campaigns["decision"])
    groups = crm_experiment(primary_metric="conversions_per_person")
    members = evaluate(
        groups, look(held={"units": 700_000, "conversions": 300}, sent={"units": 717_000, "conversions": 310})
    )
    assert set(members["decision"]) == {"sample_ratio_mismatch"}


def test_a_harmed_guardrail_stops_the_arm_even_when_the_primary_wins():
    rows = evaluate(
        experiment(guardrails=("click_through_rate",)),
        look(
            a={"clicks": 10_000, "conversions": 300, "impressions": 500_000, "units": 90_000},
            b={"clicks": 8_000, "conversions": 400, "impressions": 500_000, "units": 90_000},
        ),
    )
    assert primary_rows(rows).loc["b", "decision"] == "guardrail_harmed"
    guardrail = rows[rows["role"] == "guardrail"].set_index("arm").loc["b"]
    assert guardrail["metric"] == "click_through_rate" and guardrail["lift_high"] < 0


def test_campaigns_without_data_yet_keep_running_and_an_arm_left_out_is_a_broken_split():
    nothing = evaluate(experiment(), look(a={}, b={}))
    assert set(nothing["decision"]) == {"keep_running"} and nothing["lift"].isna().all()
    assert nothing["detail"].iloc[0] == "waiting for data: no units yet in ['a', 'b']"
    one_sided = evaluate(experiment(), look(a={"clicks": 1_000, "conversions": 30}, b={}))
    assert set(one_sided["decision"]) == {"sample_ratio_mismatch"}
    assert one_sided["detail"].iloc[0].startswith("waiting for data: no units yet in ['b']; sample ratio mismatch")


def test_more_conversions_than_clicks_stop_with_what_to_change():
    with pytest.raises(
        ExperimentError,
        match="arm 'b' has 12 conversions for 10 clicks by 2026-10-05: conversions_per_click is not a share",
    ):
        evaluate(experiment(), look(a={"clicks": 10, "conversions": 1}, b={"clicks": 10, "conversions": 12}))


def test_roas_treats_spend_as_known():
    rows = evaluate(
        experiment(primary="roas"),
        look(
            a={"units": 1_000, "spend": 500.0, "revenue": 1_000.0, "revenue_squares": 60_000.0},
            b={"units": 1_000, "spend": 500.0, "revenue": 1_200.0, "revenue_squares": 80_000.0},
        ),
    )
    b = primary_rows(rows).loc["b"]
    assert b["metric_value"] == pytest.approx(2.4) and b["lift"] == pytest.approx(0.2)
    per_unit_var_b = (80_000 - 1_000 * 1.2**2) / 999 / 0.5**2  # revenue's variance / spend per unit squared
    assert (b["metric_high"] - b["metric_value"]) == pytest.approx(
        halfwidth(np.sqrt(per_unit_var_b / 1_000), 1_000, 0.05)
    )


def test_decide_on_arrays_as_the_benchmark_uses_it():
    decisions = decide(
        [0.2, 0.01, 0.3, 0.0, 0.03, -0.3],
        [0.05, -0.02, -0.1, -0.5, 0.01, -0.5],
        [0.35, 0.04, 0.7, 0.5, 0.05, -0.1],
        0.1,
        [False, False, False, True, False, False],
    )
    assert decisions.tolist() == [
        "winner",
        "no_meaningful_difference",
        "keep_running",
        "sample_ratio_mismatch",
        "no_meaningful_difference",
        "winner",
    ]  # surely above zero, but too small to act on


def test_evaluate_runs_every_look_in_order():
    looks = pd.concat(
        [
            look("2026-10-02", a={"clicks": 100, "conversions": 3}, b={"clicks": 100, "conversions": 4}),
            look("2026-10-01", a={"clicks": 50, "conversions": 1}, b={"clicks": 50, "conversions": 2}),
        ]
    )
    rows = evaluate(experiment(), looks)
    assert rows["as_of_date"].drop_duplicates().tolist() == ["2026-10-01", "2026-10-02"]
    assert len(rows) == 4 and evaluate(experiment(), looks.iloc[0:0]).empty


def test_tiny_samples_and_rates_without_variance_decide_nothing():
    few = evaluate(
        experiment(),
        look(a={"clicks": 50, "conversions": 1, "units": 500}, b={"clicks": 50, "conversions": 0, "units": 500}),
    )
    assert set(few["decision"]) == {"keep_running"} and few["lift_low"].isna().all()
    assert "too little data to compare yet" in few["detail"].iloc[0]
    none_converted = evaluate(
        experiment(), look(a={"clicks": 3_000, "conversions": 9}, b={"clicks": 3_000, "conversions": 0})
    )
    assert set(none_converted["decision"]) == {"keep_running"} and none_converted["p_value"].isna().all()
    all_converted = evaluate(
        experiment(), look(a={"clicks": 300, "conversions": 300}, b={"clicks": 300, "conversions": 300})
    )
    assert set(all_converted["decision"]) == {"keep_running"}


def test_several_treatments_split_alpha_and_their_p_values_compare_with_alpha():
    counts = {
        "a": {"clicks": 10_000, "conversions": 300, "units": 100_000},
        "b": {"clicks": 10_000, "conversions": 380, "units": 50_000},
        "c": {"clicks": 10_000, "conversions": 300, "units": 50_000},
    }
    b = primary_rows(evaluate(experiment(("a", "b", "c"), traffic=[0.5, 0.25, 0.25]), look(**counts))).loc["b"]
    lift, error = relative_lift(proportion(10_000, 300), proportion(10_000, 380))
    assert (b["lift_low"], b["lift_high"]) == pytest.approx(
        (lift - halfwidth(error, 20_000, 0.025), lift + halfwidth(error, 20_000, 0.025))
    )
    assert b["p_value"] == pytest.approx(min(1.0, 2 * always_valid_p(lift, error, 20_000, 0.025)))
    assert (b["p_value"] < 0.05) == (b["lift_low"] > 0)


def test_a_decision_once_taken_stays_as_the_intervals_are_intersected_look_by_look():
    looks = pd.concat(
        [
            look("2026-10-01", a={"clicks": 10_000, "conversions": 300}, b={"clicks": 10_000, "conversions": 450}),
            look("2026-10-02", a={"clicks": 20_000, "conversions": 600}, b={"clicks": 20_000, "conversions": 700}),
        ]
    )
    rows = evaluate(experiment(), looks)
    b = rows[(rows["arm"] == "b") & (rows["role"] == "primary")].set_index("as_of_date")
    alone = primary_rows(evaluate(experiment(), looks[looks["as_of_date"] == "2026-10-02"])).loc["b"]
    assert alone["decision"] == "keep_running" and alone["lift_low"] < 0  # read alone, the second look is unsure
    assert b.loc["2026-10-02", "lift_low"] == b.loc["2026-10-01", "lift_low"] > 0
    assert b.loc["2026-10-02", "lift_high"] == alone["lift_high"]
    assert b["decision"].tolist() == ["winner", "winner"]


def crm_experiment(**changes) -> Experiment:
    arms = (Arm("held", 0.5, crm_group="h"), Arm("sent", 0.5, crm_group="s"))
    declared = replace(experiment(primary="revenue_per_person"), arms=arms, crm_column="experiment_crm")
    return replace(declared, pre_period_days=28, **changes)


def crm_look(day: str, seed: int, people: int = 4_000, lift: float = 0.1) -> pd.DataFrame:
    """A CRM look from simulated people whose revenue follows their pre-period revenue."""
    rng = np.random.default_rng(seed)
    habit = rng.gamma(0.5, 20.0, (2, people))
    x = rng.poisson(habit).astype(float)
    y = rng.poisson(habit * np.array([[1.0], [1 + lift]])).astype(float)
    sums = {
        "units": people,
        "conversions": (y > 0).sum(axis=1),
        "revenue": y.sum(axis=1),
        "revenue_squares": (y**2).sum(axis=1),
        "pre_conversions": (x > 0).sum(axis=1),
        "conversions_cross": ((x > 0) & (y > 0)).sum(axis=1),
        "pre_revenue": x.sum(axis=1),
        "pre_revenue_squares": (x**2).sum(axis=1),
        "revenue_cross": (x * y).sum(axis=1),
    }
    frame = look(day, held={}, sent={})
    for column, values in sums.items():
        frame[column] = np.broadcast_to(values, 2).astype(float)
    return frame


def test_crm_arms_are_read_with_cuped_and_keep_the_unadjusted_lift_beside_it():
    rows = evaluate(crm_experiment(), crm_look("2026-10-05", 3))
    sent = primary_rows(rows).loc["sent"]
    looked = crm_look("2026-10-05", 3).set_index("arm")
    adjusted, _ = cuped(PersonSums(*(looked[c].to_numpy() for c in ("units", *REVENUE_SUMS))))
    control = Moments(*(np.asarray(v)[0] for v in (adjusted.n, adjusted.mean, adjusted.variance)))
    treated = Moments(*(np.asarray(v)[1] for v in (adjusted.n, adjusted.mean, adjusted.variance)))
    lift, error = relative_lift(control, treated)
    plain, plain_error = relative_lift(
        *(
            sample_mean(looked.loc[a, "units"], looked.loc[a, "revenue"], looked.loc[a, "revenue_squares"])
            for a in ("held", "sent")
        )
    )
    assert sent["adjustment"] == "cuped" and sent["lift"] == pytest.approx(lift)
    assert sent["unadjusted_lift"] == pytest.approx(plain)
    assert (
        sent["variance_reduction"] == pytest.approx(1 - error**2 / plain_error**2) and sent["variance_reduction"] > 0.5
    )
    width, plain_width = (
        sent["lift_high"] - sent["lift_low"],
        sent["unadjusted_lift_high"] - sent["unadjusted_lift_low"],
    )
    assert width < plain_width and "CUPED on each person's 28 days before the start" in sent["detail"]
    campaigns = primary_rows(evaluate(experiment(), look(a={"clicks": 1_000, "conversions": 30}, b={"clicks": 1_000})))
    assert set(campaigns["adjustment"]) == {"none"} and campaigns["variance_reduction"].isna().all()


def test_a_guardrail_with_a_margin_holds_a_winner_until_it_is_shown_within_the_margin():
    declared = experiment(guardrails=("click_through_rate",))
    within = replace(declared, margins=(("click_through_rate", 0.05),))
    wins = {"clicks": 3_000, "conversions": 180}
    unsure = look(
        a={"clicks": 3_000, "conversions": 90, "impressions": 200_000, "units": 90_000},
        b={**wins, "impressions": 200_000, "units": 90_000},
    )
    assert primary_rows(evaluate(declared, unsure)).loc["b", "decision"] == "winner"
    waiting = evaluate(within, unsure)
    guardrail = waiting[waiting["role"] == "guardrail"].set_index("arm").loc["b"]
    assert guardrail["lift_low"] < -0.05 and primary_rows(waiting).loc["b", "decision"] == "keep_running"
    assert (
        "['b'] win on conversions_per_click and wait until shown: click_through_rate within -5%" in guardrail["detail"]
    )
    plain = primary_rows(evaluate(within, unsure)).loc["b"]  # the guardrail is tested against -5%, in the family
    assert (guardrail["lift_low"] > -0.05) == (guardrail["p_value"] < 0.05) and plain["p_value"] < 0.05
    shown = look(
        a={"clicks": 100_000, "conversions": 3_000, "impressions": 2_000_000, "units": 900_000},
        b={"clicks": 100_000, "conversions": 4_500, "impressions": 2_000_000, "units": 900_000},
    )
    assert primary_rows(evaluate(within, shown)).loc["b", "decision"] == "winner"
    worse = look(
        a={"clicks": 100_000, "conversions": 3_000, "impressions": 2_000_000, "units": 900_000},
        b={"clicks": 80_000, "conversions": 3_600, "impressions": 2_000_000, "units": 900_000},
    )
    assert primary_rows(evaluate(within, worse)).loc["b", "decision"] == "guardrail_harmed"


def test_an_end_date_the_traffic_cannot_reach_is_underpowered_and_the_plan_says_why():
    counts = {"a": {"clicks": 2_000, "conversions": 60}, "b": {"clicks": 2_000, "conversions": 62}}
    short = replace(experiment(), end_date=date(2026, 10, 5))
    rows = primary_rows(evaluate(short, look(**counts)))
    assert rows.loc["b", "decision"] == rows.loc["a", "decision"] == "underpowered"
    assert rows.loc["b", "days_needed"] > 5 and rows.loc["b", "detectable_lift"] > 0.1
    assert "10% needs about" in rows.loc["a", "detail"] and "the end date allows 5" in rows.loc["a", "detail"]
    open_ended = primary_rows(evaluate(experiment(), look(**counts)))
    assert open_ended.loc["b", "decision"] == "keep_running" and open_ended.loc["b", "days_needed"] > 5


def test_the_day_after_the_end_a_final_fixed_horizon_read_is_added():
    ended = crm_experiment(end_date=date(2026, 10, 2), minimum_effect=0.5)
    looks = pd.concat([crm_look("2026-10-01", 5, lift=0.04), crm_look("2026-10-02", 6, lift=0.04)])
    assert set(evaluate(ended, looks)["look"]) == {"daily"}
    rows = evaluate(ended, looks, final=True)
    final = rows[rows["look"] == "final"]
    assert set(final["as_of_date"]) == {"2026-10-03"} and len(final) == 2  # a row per arm
    daily = primary_rows(rows[rows["as_of_date"] == "2026-10-02"]).loc["sent"]
    closing = primary_rows(final).loc["sent"]
    assert closing["lift"] == daily["lift"] and closing["lift_high"] - closing["lift_low"] < (
        daily["lift_high"] - daily["lift_low"]
    )
    assert closing["decision"] in {"winner", "no_meaningful_difference", "underpowered"}
    level = float(
        re.search(r"at alpha ([\d.]+): 0.05 less what the daily looks could have spent", closing["detail"])[1]
    )
    assert 0.02 < level <= 0.05  # the final read keeps what the daily sequences did not spend (power.final_alpha)
    assert "final fixed-horizon read of the data through 2026-10-02" in closing["detail"]


def test_a_look_that_decides_nothing_keeps_the_last_settled_decision_unless_the_split_broke_since():
    looks = [
        "keep_running",
        "winner",
        "keep_running",
        "guardrail_harmed",
        "underpowered",
        "sample_ratio_mismatch",
        "keep_running",
    ]
    decision = np.array([[d] for d in looks], dtype=object)
    winning = np.array([["b" if d == "winner" else None] for d in looks], dtype=object)
    kept, arms = carried(decision, winning)
    assert kept[:, 0].tolist() == [
        "keep_running",
        "winner",
        "winner",
        "guardrail_harmed",
        "guardrail_harmed",
        "sample_ratio_mismatch",
        "keep_running",
    ]  # a later harm is not hidden
    assert arms[:, 0].tolist() == [None, "b", "b", None, None, None, None]
    ended = replace(experiment(), end_date=date(2026, 10, 5))
    wins = look(a={"clicks": 10_000, "conversions": 300}, b={"clicks": 10_000, "conversions": 450})
    rows = evaluate(ended, wins, final=True)
    assert set(rows[rows["look"] == "final"]["decision"]) == {"winner"}
