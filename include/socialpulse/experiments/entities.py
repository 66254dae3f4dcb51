"""experiment_results, declared once like every other entity (see transforms/entities.py).

One row per experiment, look (as-of date), metric and arm. Aggregates only: no person.
"""

from __future__ import annotations

from socialpulse.experiments.declarations import METRICS
from socialpulse.schema import Field, Schema
from socialpulse.warehouse.tables import register, table_of

# The decisions (experiments/decisions.py says when each is taken).
KEEP_RUNNING, WINNER, NO_DIFFERENCE = "keep_running", "winner", "no_meaningful_difference"
SRM, GUARDRAIL, UNDERPOWERED = "sample_ratio_mismatch", "guardrail_harmed", "underpowered"
DAILY, FINAL = "daily", "final"  # the looks: sequential every day, and the fixed-horizon read after end_date
CUPED, NONE = "cuped", "none"


def _estimate(name: str, doc: str) -> Field:
    return Field(name, "float", doc=doc)


EXPERIMENT_RESULTS = Schema(
    "experiment_results",
    (
        Field("experiment", "string", required=True, doc="the experiment's declared name"),
        Field("as_of_date", "date", required=True, doc="the look: data from the start to the end of this day"),
        Field("metric", "string", required=True, allowed=frozenset(METRICS), doc="the metric of the row"),
        Field("arm", "string", required=True, doc="the arm; the first declared is the control"),
        Field("role", "string", allowed=frozenset({"primary", "guardrail"}), doc="the metric's role"),
        Field("is_control", "bool", doc="whether the arm is the control"),
        Field(
            "units",
            "float",
            min=0,
            doc="the metric's units: clicks, impressions, people reached (campaign arms, "
            "summed over days) or the group's members",
        ),
        Field(
            "value", "float", min=0, doc="what the metric counts: conversions, clicks or revenue (reporting currency)"
        ),
        _estimate("metric_value", "the metric: value per unit (roas: revenue per spend)"),
        _estimate("metric_low", "its always-valid 1 - alpha confidence sequence, low end"),
        _estimate("metric_high", "... high end"),
        _estimate(
            "lift", "relative lift against the control: treatment / control - 1, CUPED-adjusted where it applies"
        ),
        _estimate(
            "lift_low",
            "its interval, at the level the family's multiple-testing control gave it: always valid on the "
            "daily looks, fixed-horizon on the final read",
        ),
        _estimate("lift_high", "... high end"),
        Field(
            "p_value",
            "float",
            min=0,
            max=1,
            doc="p-value of the lift against zero, adjusted over the family of treatment arms x metrics",
        ),
        Field(
            "srm_p_value",
            "float",
            min=0,
            max=1,
            doc="chi-square p-value of the people reached (or members) per arm against the planned split",
        ),
        Field(
            "decision",
            "string",
            allowed=frozenset({KEEP_RUNNING, WINNER, NO_DIFFERENCE, SRM, GUARDRAIL, UNDERPOWERED}),
            doc="the arm's decision against the control; on the control's rows, the experiment's",
        ),
        Field("winning_arm", "string", doc="with decision winner: the better arm"),
        Field(
            "look",
            "string",
            allowed=frozenset({DAILY, FINAL}),
            doc="daily: a sequential look; final: the fixed-horizon read the day after end_date",
        ),
        Field(
            "adjustment",
            "string",
            allowed=frozenset({CUPED, NONE}),
            doc="cuped: adjusted by each person's pre-period (CRM arms); none: campaign arms have no "
            "person-level pre-period",
        ),
        _estimate("unadjusted_lift", "the lift without CUPED"),
        _estimate("unadjusted_lift_low", "its interval, read as lift_low is"),
        _estimate("unadjusted_lift_high", "... high end"),
        _estimate("variance_reduction", "the share of the lift's variance CUPED took out: 1 - adjusted / unadjusted"),
        _estimate(
            "detectable_lift",
            "primary metric: the smallest relative lift this look's traffic detects with 80% power",
        ),
        _estimate("days_needed", "primary metric: days from the start the minimum effect needs at 80% power"),
        Field(
            "detail",
            "string",
            max_length=2000,
            doc="the look in words: arms waiting for data or without traffic, the split found",
        ),
    ),
    key=("experiment", "as_of_date", "metric", "arm"),
    table="experiment_results",
)
EXPERIMENT_RESULTS_TABLE = register(table_of(EXPERIMENT_RESULTS))  # for the warehouse (warehouse/tables.py)
