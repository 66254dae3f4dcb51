"""Tasks of audience_intelligence: profiles, segments, propensity, targeting and its holdouts, recommendations, the
report."""

from __future__ import annotations

import logging

from socialpulse.config import (
    AUDIENCES_FILE_VARIABLE,
    AUDIENCES_VARIABLE,
    DEFAULT_AUDIENCES_FILE,
    DEFAULT_PROFILE_TASKS,
    PROFILE_TASKS_VARIABLE,
)
from socialpulse_airflow.lineage import lineage
from socialpulse_airflow.lookups import declaration_texts, lake, whole_number
from socialpulse_airflow.retries import fail_fast
from socialpulse_airflow.warehouse import in_warehouse

log = logging.getLogger(__name__)


@fail_fast
def plan_profiles(ds: str) -> list[dict]:
    """The profiles' buckets dealt to the mapped tasks the variable asks for (default DEFAULT_PROFILE_TASKS)."""
    from socialpulse.jobs.audience import plan_profiles

    return plan_profiles(lake(), ds, whole_number(PROFILE_TASKS_VARIABLE, DEFAULT_PROFILE_TASKS, "mapped tasks"))


@fail_fast
def resolve_events(share: dict) -> dict:
    from socialpulse.jobs.audience import resolve_share

    return resolve_share(lake(), share)


@fail_fast
def commit_resolved_events(shares: list[dict], resolved: list[dict]) -> int | None:
    from socialpulse.jobs.audience import commit_resolved

    return commit_resolved(lake(), shares, resolved)


@fail_fast
def profile_people(share: dict, resolved_version: int | None) -> dict:
    from socialpulse.jobs.audience import profile_share

    return profile_share(lake(), share, resolved_version)


@fail_fast
@lineage(
    inputs=["lake:clean/crm_users", "lake:clean/crm_orders", "lake:clean/engagement_events", "lake:clean/post_metrics"],
    outputs=[
        "lake:features/user_profiles",
        "lake:features/engagement_resolved",
        "lake:features/orders_known",
        "lake:features/propensity_train",
        "lake:features/propensity_eval",
        "lake:features/propensity_rows",
    ],
)
def commit_profiles(shares: list[dict], profiled: list[dict]) -> dict:
    from socialpulse.jobs.audience import commit_profiles

    return commit_profiles(lake(), shares, profiled)


@fail_fast
@lineage(
    inputs=["lake:features/user_profiles", "lake:features/engagement_resolved"],
    outputs=["lake:features/user_profiles", "warehouse:user_profiles", "warehouse:audience_segments"],
)
def segment(ds: str, run_id: str, k: int) -> dict:
    from socialpulse.jobs.audience import segment

    return in_warehouse(segment, lake(), ds, run_id, k)


@fail_fast
@lineage(
    inputs=[
        "lake:features/propensity_train",
        "lake:features/propensity_eval",
        "lake:features/propensity_rows",
        "warehouse:privacy_erasures",
    ],
    outputs=["lake:features/propensity_scores", "warehouse:propensity_scores", "warehouse:model_registry"],
)
def train_propensity(ds: str, run_id: str) -> dict:
    from socialpulse.jobs.propensity import train

    return in_warehouse(train, lake(), ds, run_id)


def declared_briefs() -> tuple[tuple, tuple]:
    """(the valid campaign briefs, an error per invalid one) of the file (variable socialpulse_audiences_file,
    default audiences.yaml of the working directory) and the variable socialpulse_audiences (YAML text)."""
    from socialpulse.audience.briefs import BriefError, combine, parse

    texts = declaration_texts(AUDIENCES_FILE_VARIABLE, DEFAULT_AUDIENCES_FILE, AUDIENCES_VARIABLE, BriefError)
    parsed = [parse(text, source) for text, source in texts]
    briefs, repeated = combine(*(found for found, _ in parsed))
    errors = (*(e for _, errs in parsed for e in errs), *repeated)
    log.info(
        "%d campaign briefs declared: %s",
        len(briefs),
        ", ".join(f"{len(found)} in {source}" for (found, _), (_, source) in zip(parsed, texts, strict=True)),
    )
    return briefs, errors


def running_controls(ds: str) -> list[tuple[str, str]]:
    """(crm_column, control group) of each experiment on CRM groups running on ds: no audience may touch them."""
    from datetime import date

    from socialpulse_airflow.experiments import declared_experiments

    day = date.fromisoformat(ds)
    return [
        (e.crm_column, e.control.crm_group)
        for e in declared_experiments()
        if e.crm_column and e.start_date <= day and (e.end_date is None or day <= e.end_date)
    ]


@fail_fast
@lineage(
    inputs=[
        "lake:features/user_profiles",
        "lake:features/propensity_scores",
        "lake:features/orders_known",
        "lake:clean/crm_users",
    ],
    outputs=[
        "lake:features/target_audiences",
        "lake:features/target_candidates",
        "warehouse:target_audiences",
        "warehouse:target_audience_summaries",
    ],
)
def target(ds: str, run_id: str, outlet_events) -> dict:
    """The audiences of the valid briefs; then, if a brief was declared wrong, a failure naming each at its line.
    The Asset target_audiences' event names the day (activate_audiences sends that day's lists)."""
    from socialpulse.audience.briefs import BriefError
    from socialpulse.errors import Name
    from socialpulse.jobs.audience import target
    from socialpulse_airflow.assets import TARGET_AUDIENCES, mark_days

    briefs, errors = declared_briefs()
    if not briefs and not errors:
        log.warning("no campaign brief declared: no audience to build (docs/audiences.md)")
    result = in_warehouse(target, lake(), ds, run_id, briefs, running_controls(ds))
    mark_days(outlet_events, [TARGET_AUDIENCES], ds, ds)
    for error in errors:
        log.error("%s", error)
    if errors:
        raise BriefError(
            "{n} campaign briefs cannot be built (the {built} valid ones were): {errors}",
            n=len(errors),
            built=len(briefs),
            errors=[Name(str(e)) for e in errors],
        )
    return result


@fail_fast
@lineage(
    inputs=["lake:features/target_audiences", "lake:clean/crm_orders"],
    outputs=["warehouse:experiment_results", "lake:reports/audience_holdouts"],
)
def evaluate_holdouts(ds: str, run_id: str) -> dict:
    """Each declared brief's audience read as the experiment audience_<brief>: the people sent against its holdout."""
    from socialpulse.jobs.experiments import evaluate_audience_holdouts

    briefs, _ = declared_briefs()  # the wrong ones failed build_target_audiences already
    return in_warehouse(evaluate_audience_holdouts, lake(), ds, run_id, {b.name: b.holdout for b in briefs})


@fail_fast
@lineage(
    inputs=["lake:features/user_profiles", "lake:features/engagement_resolved"],
    outputs=["lake:features/content_recommendations", "warehouse:content_recommendations", "warehouse:model_registry"],
)
def recommend(ds: str, run_id: str) -> dict:
    from socialpulse.jobs.audience import recommend

    return in_warehouse(recommend, lake(), ds, run_id)


@fail_fast
@lineage(
    inputs=["warehouse:audience_segments", "warehouse:model_registry", "warehouse:target_audience_summaries"],
    outputs=["lake:reports/audience"],
)
def report(ds: str) -> dict:
    from socialpulse.jobs.audience_report import build
    from socialpulse_airflow.lookups import currency_kwargs

    return in_warehouse(build, lake(), ds, currency_kwargs()["reporting"])
