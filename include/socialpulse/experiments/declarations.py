"""Experiments as users declare them (YAML), validated with errors that name the file and line.

An experiment compares arms: each arm is a set of Meta campaigns (a split test run as
separate campaigns) or a CRM group (people whose `crm_column` in the CRM users drop holds
the arm's value, as for a holdout from targeting). The first arm is the control.
The YAML is read bounded (socialpulse.bounded_input), and a message describes a wrong
value (its kind and size) rather than quoting it.

Fields are read by socialpulse.declared_fields.FieldReader (ours, not pydantic: it says why).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from socialpulse.declared_fields import FieldReader, declared_items
from socialpulse.errors import DeclarationError, Name, describe, unknown
from socialpulse.experiments.multiple_testing import HOLM, METHODS
from socialpulse.transforms.entities import CRM_COLUMN_PREFIX

CAMPAIGNS, CRM_GROUP = "campaigns", "crm_group"
# metric -> the arm kinds it can be measured on
METRICS: dict[str, frozenset[str]] = {
    "conversions_per_click": frozenset({CAMPAIGNS}),
    "conversions_per_person": frozenset({CAMPAIGNS, CRM_GROUP}),  # campaigns: per person reached
    "click_through_rate": frozenset({CAMPAIGNS}),
    "revenue_per_person": frozenset({CAMPAIGNS, CRM_GROUP}),
    "roas": frozenset({CAMPAIGNS}),
}
DEFAULT_ALPHA = 0.05
_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
AUDIENCE_PREFIX = "audience_"  # reserved: audience_<brief> is each audience's holdout, read undeclared
_EXPERIMENT_KEYS = {
    "name",
    "hypothesis",
    "start_date",
    "end_date",
    "primary_metric",
    "guardrail_metrics",
    "minimum_effect",
    "alpha",
    "crm_column",
    "arms",
    "pre_period_days",
    "multiple_testing",
}
_GUARDRAIL_KEYS = {"metric", "margin"}
DEFAULT_PRE_PERIOD_DAYS = 28  # CRM arms: each person's same metric over these days before the start (CUPED)
MAX_PRE_PERIOD_DAYS = 365
_ARM_KEYS = {"name", "campaigns", "crm_group", "traffic"}
MAX_EXPERIMENTS = 200  # per file or variable
MAX_ARMS = 20
MAX_CAMPAIGNS_PER_ARM = 200


class ExperimentError(DeclarationError):
    """A declaration that cannot be evaluated; the message names where and what to fix."""


@dataclass(frozen=True)
class Arm:
    name: str
    traffic: float  # planned share of the units
    campaigns: tuple[str, ...] = ()
    crm_group: str | None = None

    @property
    def kind(self) -> str:
        return CAMPAIGNS if self.campaigns else CRM_GROUP


@dataclass(frozen=True)
class Experiment:
    name: str
    hypothesis: str
    start_date: date
    primary_metric: str
    minimum_effect: float  # the smallest relative lift worth detecting, e.g. 0.05 for 5%
    arms: tuple[Arm, ...]  # arms[0] is the control
    guardrail_metrics: tuple[str, ...] = ()
    end_date: date | None = None
    alpha: float = DEFAULT_ALPHA
    crm_column: str | None = None
    source: str = ""  # file:line of the declaration
    pre_period_days: int = 0  # CRM arms (default 28): CUPED's covariate window before the start; 0: none
    pre_period_declared: bool = False  # declared: it must fit the CRM's history; the default shortens to fit
    multiple_testing: str = HOLM  # over the family of treatment arms x metrics
    margins: tuple[tuple[str, float], ...] = ()  # guardrail metric -> non-inferiority margin (relative)

    @property
    def kind(self) -> str:
        return self.arms[0].kind

    @property
    def control(self) -> Arm:
        return self.arms[0]

    @property
    def metrics(self) -> tuple[str, ...]:
        return (self.primary_metric, *self.guardrail_metrics)

    def margin(self, metric: str) -> float:
        """The guardrail's non-inferiority margin: harm is a lift below −margin (0 without one)."""
        return dict(self.margins).get(metric, 0.0)

    @property
    def planned_days(self) -> int | None:
        """Looks from the start to the end date, both included; None without an end date."""
        return None if self.end_date is None else (self.end_date - self.start_date).days + 1


def _metric(reader: FieldReader, key: str, name: Any, kind: str) -> str:
    if not isinstance(name, str) or name not in METRICS:
        raise reader.fail(
            key,
            "an unknown metric ({got}); expected one of {metrics}",
            got=unknown(name, METRICS),
            metrics=[Name(m) for m in sorted(METRICS)],
        )
    if kind not in METRICS[name]:
        raise reader.fail(key, "{metric} cannot be measured on {kind} arms", metric=Name(name), kind=Name(kind))
    return name


def _guardrail(reader: FieldReader, item: Any, kind: str) -> tuple[str, float | None]:
    """A guardrail entry: a metric's name, or {metric: <name>, margin: <share>} for a non-inferiority margin."""
    if not isinstance(item, dict):
        return _metric(reader, "guardrail_metrics", item, kind), None
    entry = FieldReader(item, reader.source, f"{reader.what}, a guardrail", ExperimentError)
    entry.check_keys(_GUARDRAIL_KEYS)
    return _metric(entry, "metric", entry.get("metric"), kind), entry.number("margin", 0, 1, required=False)


def _arm(mapping: Any, source: str, experiment: FieldReader, index: int) -> Arm:
    if not isinstance(mapping, dict):
        raise experiment.fail(
            "arms", f"arm {index + 1} must be a mapping with name, traffic and campaigns or crm_group"
        )
    reader = FieldReader(mapping, source, f"{experiment.what}, arm {index + 1}", ExperimentError)
    name = reader.text("name", pattern=_NAME)
    reader.what = f"{experiment.what}, arm '{name}'"
    reader.check_keys(_ARM_KEYS)
    traffic = reader.number("traffic", 0, 1.000001)
    campaigns, group = reader.get("campaigns", required=False), reader.get("crm_group", required=False)
    if (campaigns is None) == (group is None):
        raise reader.fail(None, "give either 'campaigns' (Meta campaign ids) or 'crm_group' (a CRM group value)")
    if campaigns is not None:
        ids = reader.items("campaigns", limit=MAX_CAMPAIGNS_PER_ARM)
        if any(not isinstance(c, str | int) or isinstance(c, bool) or not str(c).strip() for c in ids):
            raise reader.fail(
                "campaigns", "expected Meta campaign ids (text or whole numbers), got {got}", got=describe(campaigns)
            )
        return Arm(name, traffic, campaigns=tuple(str(c) for c in ids))
    return Arm(name, traffic, crm_group=reader.text("crm_group"))


def _experiment(mapping: Any, source: str, index: int) -> Experiment:
    if not isinstance(mapping, dict):
        raise ExperimentError(
            "{source}: experiment {n} must be a mapping, got {got}",
            source=Name(source),
            n=index + 1,
            got=describe(mapping),
        )
    reader = FieldReader(mapping, source, f"experiment {index + 1}", ExperimentError)
    name = reader.text("name", pattern=_NAME)
    if name.startswith(AUDIENCE_PREFIX):
        raise reader.fail(
            "name",
            "names starting with {prefix} are the audiences' holdouts, read without a declaration: choose another",
            prefix=Name(AUDIENCE_PREFIX),
        )
    reader.what = f"experiment '{name}'"
    reader.check_keys(_EXPERIMENT_KEYS)
    arms = tuple(_arm(arm, source, reader, i) for i, arm in enumerate(reader.items("arms", limit=MAX_ARMS)))
    if len(arms) < 2:
        raise reader.fail("arms", "an experiment needs a control (the first arm) and at least one more arm")
    if len({arm.name for arm in arms}) < len(arms):
        raise reader.fail("arms", "arm names repeat")
    if len({arm.kind for arm in arms}) > 1:
        raise reader.fail("arms", "arms mix campaigns and CRM groups; compare like with like")
    if abs(sum(arm.traffic for arm in arms) - 1) > 1e-6:
        raise reader.fail(
            "arms", "the arms' traffic shares add up to {total}, not 1", total=Name(f"{sum(a.traffic for a in arms):g}")
        )
    kind = arms[0].kind
    values = [c for arm in arms for c in arm.campaigns] if kind == CAMPAIGNS else [a.crm_group for a in arms]
    if len(set(values)) < len(values):
        raise reader.fail(
            "arms", "a {thing} is in two arms", thing=Name("campaign" if kind == CAMPAIGNS else "CRM group")
        )
    crm_column = reader.text("crm_column", required=kind == CRM_GROUP)
    if kind == CRM_GROUP and not cast(str, crm_column).startswith(CRM_COLUMN_PREFIX):  # required for CRM groups
        raise reader.fail(
            "crm_column",
            "CRM group columns must be named {prefix}<something>: the CRM clean step keeps only those",
            prefix=Name(CRM_COLUMN_PREFIX),
        )
    if kind == CAMPAIGNS and crm_column:
        raise reader.fail("crm_column", "only experiments on CRM groups name a CRM column")
    start, end = reader.day("start_date"), reader.day("end_date", required=False)
    if end is not None and end < start:
        raise reader.fail("end_date", "{end} is before start_date {start}", end=end, start=start)
    entries = [_guardrail(reader, m, kind) for m in reader.items("guardrail_metrics", required=False)]
    guardrails = tuple(metric for metric, _ in entries)
    if len(set(guardrails)) < len(guardrails):
        raise reader.fail("guardrail_metrics", "a metric is listed twice")
    if kind == CAMPAIGNS and reader.get("pre_period_days", required=False) is not None:
        raise reader.fail(
            "pre_period_days",
            "campaign arms count people reached per day, with no person-level history: only experiments on "
            "CRM groups take a pre-period",
        )
    pre_period = reader.whole("pre_period_days", 0, MAX_PRE_PERIOD_DAYS, DEFAULT_PRE_PERIOD_DAYS)
    testing = reader.text("multiple_testing", required=False) or HOLM
    if testing not in METHODS:
        raise reader.fail(
            "multiple_testing",
            "an unknown method ({got}); expected holm (the default) or bh (Benjamini-Hochberg)",
            got=unknown(testing, METHODS),
        )
    primary = _metric(reader, "primary_metric", reader.get("primary_metric"), kind)
    if primary in guardrails:
        raise reader.fail("guardrail_metrics", "{metric} is the primary metric", metric=Name(primary))
    return Experiment(
        name=name,
        hypothesis=reader.text("hypothesis"),
        start_date=start,
        primary_metric=primary,
        minimum_effect=reader.number("minimum_effect", 0, 10),
        arms=arms,
        guardrail_metrics=guardrails,
        end_date=end,
        alpha=reader.number("alpha", 0, 0.5, required=False) or DEFAULT_ALPHA,
        crm_column=crm_column,
        source=f"{source}:{mapping['__line__']}",
        pre_period_days=pre_period if kind == CRM_GROUP else 0,
        pre_period_declared=reader.get("pre_period_days", required=False) is not None,
        multiple_testing=testing,
        margins=tuple((metric, margin) for metric, margin in entries if margin is not None),
    )


def parse(text: str | bytes, source: str) -> tuple[Experiment, ...]:
    """The experiments of one YAML document `experiments: [...]`; `source` names it in errors."""
    listed = declared_items(text, source, "experiments", MAX_EXPERIMENTS, ExperimentError)
    return tuple(_experiment(item, source, i) for i, item in enumerate(listed))


def combine(*declared: tuple[Experiment, ...]) -> tuple[Experiment, ...]:
    """Experiments from several sources (the file, the variable); a name declared twice is an error."""
    seen: dict[str, Experiment] = {}
    for experiment in (e for group in declared for e in group):
        if experiment.name in seen:
            raise ExperimentError(
                "{source}: experiment '{name}' is also declared at {first}",
                source=Name(experiment.source),
                name=Name(experiment.name),
                first=Name(seen[experiment.name].source),
            )
        seen[experiment.name] = experiment
    return tuple(seen.values())
