from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from socialpulse.experiments.declarations import Arm, Experiment, ExperimentError
from socialpulse.experiments.evaluate import LOOK_COLUMNS, decide, evaluate
from socialpulse.experiments.statistics import always_valid_p, halfwidth, proportion, relative_lift


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
    groups = Experiment(
        "g",
        "h",
        date(2026, 10, 1),
        "conversions_per_person",
        0.1,
        (Arm("a", 0.5, crm_group="x"), Arm("b", 0.5, crm_group="y")),
        crm_column="experiment_g",
    )
    members = evaluate(groups, look(a={"units": 700_000, "conversions": 300}, b={"units": 717_000, "conversions": 310}))
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
