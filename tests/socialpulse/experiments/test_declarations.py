from __future__ import annotations

import re
from datetime import date

import pytest

from socialpulse.experiments.declarations import CAMPAIGNS, CRM_GROUP, ExperimentError, combine, parse
from socialpulse_dev.simulator.experiments import PLANTED_FILE

VALID = """\
experiments:
  - name: video_test
    hypothesis: Video converts better.
    start_date: 2026-10-01
    primary_metric: conversions_per_click
    guardrail_metrics: [click_through_rate]
    minimum_effect: 0.1
    arms:
      - name: static
        campaigns: ["1"]
        traffic: 0.5
      - name: video
        campaigns: [2, "3"]
        traffic: 0.5
  - name: holdout
    hypothesis: Ads work.
    start_date: "2026-10-02"
    end_date: 2026-11-01
    crm_column: experiment_holdout
    primary_metric: revenue_per_person
    minimum_effect: 0.05
    alpha: 0.01
    arms:
      - {name: held_out, crm_group: holdout, traffic: 0.1}
      - {name: targeted, crm_group: targeted, traffic: 0.9}
"""


def test_a_valid_file_reads_whole():
    video, holdout = parse(VALID, "experiments.yaml")
    assert video.kind == CAMPAIGNS and video.control.name == "static" and video.arms[1].campaigns == ("2", "3")
    assert video.metrics == ("conversions_per_click", "click_through_rate") and video.alpha == 0.05
    assert video.source == "experiments.yaml:2"
    assert holdout.kind == CRM_GROUP and holdout.start_date == date(2026, 10, 2)
    assert holdout.end_date == date(2026, 11, 1) and holdout.alpha == 0.01 and holdout.arms[1].crm_group == "targeted"
    assert (video.pre_period_days, holdout.pre_period_days) == (0, 28)  # CUPED: CRM arms only, 28 days by default
    assert video.multiple_testing == holdout.multiple_testing == "holm" and video.margin("click_through_rate") == 0


def test_guardrail_margins_the_pre_period_and_benjamini_hochberg_are_declared():
    changed = VALID.replace(
        "primary_metric: revenue_per_person",
        "primary_metric: revenue_per_person\n"
        "    guardrail_metrics: [{metric: conversions_per_person, margin: 0.02}]\n"
        "    pre_period_days: 14\n    multiple_testing: bh",
    )
    _, holdout = parse(changed, "experiments.yaml")
    assert holdout.margin("conversions_per_person") == 0.02 and holdout.guardrail_metrics == ("conversions_per_person",)
    assert holdout.pre_period_days == 14 and holdout.multiple_testing == "bh" and holdout.planned_days == 31


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("minimum_effect: 0.1", "minimum_efect: 0.1"),
            "experiments.yaml:7: experiment 'video_test': an unknown field "
            "(text of 13 characters, did you mean minimum_effect?)",
        ),
        (
            ("primary_metric: conversions_per_click", "primary_metric: clicks"),
            ":5: experiment 'video_test' field 'primary_metric': an unknown metric (text of 6 characters)",
        ),
        (
            ("        traffic: 0.5\n      - name: video", "        traffic: 0.6\n      - name: video"),
            ":8: experiment 'video_test' field 'arms': the arms' traffic shares add up to 1.1, not 1",
        ),
        (
            ("start_date: 2026-10-01", "start_date: yesterday"),
            ":4: experiment 'video_test' field 'start_date': expected a date",
        ),
        (
            ("start_date: 2026-10-01", "start_date: 2026-10-01 10:00:00"),
            ":4: experiment 'video_test' field 'start_date': expected a date YYYY-MM-DD, got a time",
        ),
        (
            ("end_date: 2026-11-01", "end_date: 2026-09-01"),
            ":18: experiment 'holdout' field 'end_date': 2026-09-01 is before start_date",
        ),
        (
            ("primary_metric: revenue_per_person", "primary_metric: roas"),
            ":20: experiment 'holdout' field 'primary_metric': roas cannot be measured on crm_group arms",
        ),
        (
            ("crm_column: experiment_holdout", "crm_column: holdout"),
            ":19: experiment 'holdout' field 'crm_column': CRM group columns must be named experiment_",
        ),
        (
            ('campaigns: [2, "3"]', 'campaigns: ["1"]'),
            ":8: experiment 'video_test' field 'arms': a campaign is in two arms",
        ),
        (
            ("{name: targeted, crm_group: targeted, traffic: 0.9}", "{name: targeted, campaigns: ['9'], traffic: 0.9}"),
            "experiment 'holdout' field 'arms': arms mix campaigns and CRM groups",
        ),
        (
            (
                "      - name: static\n        campaigns:",
                "      - name: static\n        crm_group: a\n        campaigns:",
            ),
            ":9: experiment 'video_test', arm 'static': give either 'campaigns'",
        ),
        (("    hypothesis: Ads work.\n", ""), ":15: experiment 'holdout': missing the required field 'hypothesis'"),
        (
            ("  - name: holdout", "  - name: audience_spring"),
            ":15: experiment 2 field 'name': names starting with audience_ are the audiences' holdouts",
        ),
        (("    arms:\n      - {name: held_out", "    arms: [{name: held_out"), "experiments.yaml:24: not valid YAML"),
        (
            ("    alpha: 0.01\n", "    alpha: 0.01\n    pre_period_days: 400\n"),
            ":23: experiment 'holdout' field 'pre_period_days': expected a whole number from 0 to 365, got 400",
        ),
        (
            ("    minimum_effect: 0.1\n", "    minimum_effect: 0.1\n    pre_period_days: 7\n"),
            ":8: experiment 'video_test' field 'pre_period_days': campaign arms count people reached per day",
        ),
        (
            ("    alpha: 0.01\n", "    alpha: 0.01\n    multiple_testing: holms\n"),
            ":23: experiment 'holdout' field 'multiple_testing': an unknown method (text of 5 characters, did you "
            "mean holm?)",
        ),
        (
            ("guardrail_metrics: [click_through_rate]", "guardrail_metrics: [{metric: click_through_rate, margin: 2}]"),
            ":6: experiment 'video_test', a guardrail field 'margin': expected a number between 0 and 1",
        ),
        (
            ("guardrail_metrics: [click_through_rate]", "guardrail_metrics: [{metric: click_through_rate, by: 2}]"),
            ":6: experiment 'video_test', a guardrail: an unknown field (text of 2 characters); expected one of "
            "[margin, metric]",
        ),
        (
            ("guardrail_metrics: [click_through_rate]", "guardrail_metrics: [click_through_rate, click_through_rate]"),
            ":6: experiment 'video_test' field 'guardrail_metrics': a metric is listed twice",
        ),
    ],
)
def test_a_malformed_file_names_the_line_and_what_to_fix(change, message):
    old, new = change
    assert old in VALID
    with pytest.raises(ExperimentError, match=re.escape(message)):
        parse(VALID.replace(old, new, 1), "experiments.yaml")


def test_an_empty_document_declares_nothing_and_a_name_declared_twice_is_refused():
    assert parse("", "variable socialpulse_experiments") == ()
    assert parse("experiments: []", "x") == ()
    with pytest.raises(ExperimentError, match="expected a mapping with the single key 'experiments'"):
        parse("- name: a", "x")
    first = parse(VALID, "experiments.yaml")
    with pytest.raises(
        ExperimentError,
        match=r"variable:2: experiment 'video_test' is also declared at "
        r"experiments.yaml:2",
    ):
        combine(first, parse(VALID, "variable"))


def test_the_simulator_declares_its_planted_experiments_in_the_same_format():
    names = [e.name for e in parse(PLANTED_FILE.read_text(), str(PLANTED_FILE))]
    assert names == ["video_creative", "lookalike_audience", "headline_copy", "retargeting_holdout"]


def test_the_example_in_the_checkout_s_experiments_file_is_valid():
    from socialpulse.config import DEFAULT_EXPERIMENTS_FILE

    text = DEFAULT_EXPERIMENTS_FILE.read_text()
    assert parse(text, "experiments.yaml") == ()  # ships with none declared
    example = text[text.index("# experiments:") : text.index("\nexperiments: []")]
    uncommented = "\n".join(line.removeprefix("# ") for line in example.splitlines())
    assert [e.name for e in parse(uncommented, "example")] == ["video_creative", "retargeting_holdout"]
