"""Tasks of activate_audiences: review the published audiences, a person's approval where needed, sync each to Meta."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from airflow.providers.standard.operators.hitl import ApprovalOperator

from socialpulse.config import META_MARKETING_CONN_ID
from socialpulse_airflow.findings import record
from socialpulse_airflow.lineage import lineage
from socialpulse_airflow.lookups import lake, required_connection, variable
from socialpulse_airflow.retries import fail_fast
from socialpulse_airflow.warehouse import in_warehouse

log = logging.getLogger(__name__)

DRY_RUN_VARIABLE = "socialpulse_activation_dry_run"
APPROVAL_VARIABLE = "socialpulse_activation_requires_approval"
CHANGE_SHARE_VARIABLE = "socialpulse_activation_max_change_share"
APPROVAL_TIMEOUT_HOURS = 24.0  # the DAG's param approval_timeout_hours: unanswered by then, the audience is skipped


def _flag(name: str, default: bool) -> bool:
    value = variable(name, default)
    return value if isinstance(value, bool) else str(value).strip().lower() in ("true", "1", "yes")


def settings() -> Any:
    from socialpulse.jobs.activation import ActivationSettings

    return ActivationSettings(
        dry_run=_flag(DRY_RUN_VARIABLE, False),
        requires_approval=_flag(APPROVAL_VARIABLE, True),
        max_change_share=float(variable(CHANGE_SHARE_VARIABLE, ActivationSettings.max_change_share)),
    )


def _briefs() -> dict:
    from socialpulse_airflow.audience import declared_briefs

    briefs, _ = declared_briefs()  # a wrong one failed build_target_audiences already: it has no audience
    return {b.name: b for b in briefs}


@fail_fast
@lineage(inputs=["lake:features/target_audiences", "lake:restricted/match_keys", "warehouse:audience_sync_rows"])
def review(ds: str) -> list[dict]:
    """Per declared brief, what its sync would send (counts only) and whether it waits for a person's approval."""
    from socialpulse.jobs.activation import review as review_briefs

    chosen = settings()
    reviewed = in_warehouse(review_briefs, lake(), ds, tuple(_briefs().values()), chosen)
    return [entry | {"dry_run": chosen.dry_run} for entry in reviewed]


class AudienceApproval(ApprovalOperator):
    """Waits for a person's Approve or Reject when the review says the audience needs it (Browse > Required Actions).

    A rejection, or no answer within the run's `approval_timeout_hours`, skips the sync and is
    recorded in audience_syncs (`rejected`, `timed_out`); an audience that needs no approval
    passes at once. The subject and body give the counts, never a person.
    """

    template_fields = (*ApprovalOperator.template_fields, "audience")

    def __init__(self, *, audience: Any, **kwargs: Any) -> None:
        super().__init__(subject="Send an audience to Meta?", defaults="Reject", **kwargs)
        self.audience = audience

    def execute(self, context: Any) -> Any:
        audience = self.audience
        if not audience.get("needs_approval"):
            log.info("%s: no approval needed (%s)", audience["brief"], audience["status"])
            return {"approval": "not_needed", "by": None}
        self.subject = f"Send audience {audience['audience_name']} to Meta ad account act_{audience['account_id']}?"
        self.body = approval_body(audience)
        self.response_timeout = timedelta(hours=float(context["params"]["approval_timeout_hours"]))
        waiting = f"waiting for a person's approval under Browse > Required Actions, at most {self.response_timeout}"
        in_warehouse(
            _record_outcome, audience, "awaiting_approval", waiting, context["run_id"]
        )  # the dashboard shows it
        return super().execute(context)

    def execute_complete(self, context: Any, event: dict[str, Any]) -> Any:
        answer = super().execute_complete(context, event)  # a Reject skips the sync (which checks it too)
        by = (answer.get("responded_by_user") or {}).get("name")
        if answer["chosen_options"] == [self.APPROVE]:
            return {"approval": "approved", "by": by}
        status = "rejected" if by else "timed_out"
        detail = f"rejected by {by}" if by else "no answer within the approval timeout: not sent"
        in_warehouse(_record_outcome, self.audience, status, detail, context["run_id"])
        log.warning("%s: %s", self.audience["brief"], detail)
        return {"approval": status, "by": by}


def approval_body(audience: dict) -> str:
    """What a person approves, in counts (Markdown, shown under Required Actions)."""
    change = (
        "a new audience"
        if audience["new"]
        else f"{audience['change_share']:.0%} of the people on it now (more than the threshold)"
    )
    return (
        f"**{audience['brief']}** as of {audience['as_of_date']}: {change}.\n\n"
        f"- people to send: {audience['intended']} (its holdout is never sent; "
        f"{audience['without_keys']} more have no email or phone to match)\n"
        f"- adds: {audience['adds']}, removes: {audience['removes']}, sent as a {audience['mode']}\n\n"
        "Approve to send it now; Reject to leave the audience on Meta as it is."
    )


def _record_outcome(conn: Any, audience: dict, status: str, detail: str, run_id: str) -> dict:
    from socialpulse.jobs.activation import record_outcome

    return record_outcome(conn, audience, status, detail, run_id)


@fail_fast
@lineage(
    inputs=["lake:features/target_audiences", "lake:restricted/match_keys"],
    outputs=["warehouse:audience_syncs", "warehouse:audience_sync_rows"],
)
def sync(audience: dict, approval: dict, run_id: str) -> dict:
    """Send one audience (or record why not: not published, too small, unchanged, a dry run); counts only."""
    from socialpulse.connectors.meta.connection import MetaAdsConnection
    from socialpulse.jobs.activation import sync as send_audience

    status = audience["status"]
    if approval.get("approval") in ("rejected", "timed_out"):  # recorded by the approval; not sent
        log.info("%s: %s, not sent", audience["brief"], approval["approval"])
        return {"brief": audience["brief"], "status": approval["approval"]}
    if status != "to_sync":
        return in_warehouse(_record_outcome, audience, status, _why_not(audience), run_id)
    if audience["dry_run"]:
        detail = f"dry run: would send {audience['adds']} adds and {audience['removes']} removes ({audience['mode']})"
        return in_warehouse(_record_outcome, audience, "dry_run", detail, run_id)
    detail = f"approved by {approval['by']}" if approval.get("approval") == "approved" else "no approval needed"
    client = required_connection(META_MARKETING_CONN_ID, MetaAdsConnection, "audience activation").client()
    entry, findings = in_warehouse(
        send_audience, client, lake(), audience["as_of_date"], _briefs()[audience["brief"]], run_id, detail
    )
    record(findings, run_id)
    return {k: v for k, v in entry.items() if k != "session_ids"}


def _why_not(audience: dict) -> str:
    if audience["status"] == "too_small":
        return f"{audience['intended']} people to send, under the brief's min_size of {audience['min_size']}"
    if audience["status"] == "unchanged":
        return "the audience on Meta already holds these people"
    return "targeting built no audience for the brief that day"
