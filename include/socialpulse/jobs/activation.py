"""Activation, step by step: what each published audience should hold on Meta, reviewed, then synced and logged.

A brief's audience on a day is its published list (features `target_audiences`) without the
holdout, each person with the matching keys of the newest CRM drop up to the day (the lake's
restricted zone): a person without keys is counted, not sent, and one whose consent was
withdrawn has none, so the next sync removes them. A list with fewer people to send than the
brief's `min_size` is never sent (Meta advises against lists under 100).

`review` plans every brief without calling Meta (counts only, for the approval and the log);
`sync` sends one brief's plan: find or create `socialpulse:<brief>` on its ad account, record
the rows it may add as pending, send the removes then the adds (or a replace when cheaper), then
record the intended rows as synced and the sync in `audience_syncs`. A sync that dies between
batches leaves pending rows; the next one removes whatever of them is no longer wanted and sends
the rest again, reaching the intended membership exactly.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import pandas as pd

from socialpulse import lake as lake_zone
from socialpulse.activation.plan import ROW, SyncPlan, needs_approval, plan
from socialpulse.typing_aliases import JsonObject

if TYPE_CHECKING:
    from socialpulse.audience.briefs import Brief
    from socialpulse.connectors.meta.client import GraphClient
    from socialpulse.warehouse.findings import Finding

log = logging.getLogger(__name__)

PLATFORM = "meta"
INVALID_SHARE = 0.01  # of a batch: more invalid entries than this is a data-quality finding


def audience_name(brief: str) -> str:
    return f"socialpulse:{brief}"


@dataclass(frozen=True)
class ActivationSettings:
    dry_run: bool = False  # count what would be sent, send nothing
    requires_approval: bool = True  # a new audience or a large change waits for a person
    max_change_share: float = 0.2  # of the people there: a larger change waits for approval


@dataclass(frozen=True)
class Intended:
    rows: pd.DataFrame  # ROW: the people to send, with their keys
    without_keys: int  # people of the list the CRM has no usable email or phone for


def intended_audiences(lake: lake_zone.Lake, ds: str) -> dict[str, Intended]:
    """Per brief published on ds: its people to send (not held out) with their matching keys."""
    from socialpulse.jobs.audience import read_features
    from socialpulse.jobs.crm import read_match_keys

    members = read_features(lake, "target_audiences", ds)
    sent = members.loc[~members["in_holdout"].astype(bool), ["brief", "person_id"]].drop_duplicates()
    keys = read_match_keys(lake, ds)
    joined = sent.merge(keys, on="person_id", how="left")
    found = joined[["email_sha256", "phone_sha256"]].notna().any(axis=1)
    return {
        str(brief): Intended(
            group.loc[found[group.index], ROW].reset_index(drop=True), int((~found[group.index]).sum())
        )
        for brief, group in joined.groupby("brief")
    }


def _entry(brief: Brief, ds: str, status: str, intended: Intended | None, made: SyncPlan | None) -> JsonObject:
    return {
        "brief": brief.name,
        "as_of_date": ds,
        "platform": PLATFORM,
        "account_id": brief.account_id,
        "audience_name": audience_name(brief.name),
        "status": status,
        "intended": len(intended.rows) if intended else 0,
        "without_keys": intended.without_keys if intended else 0,
        "adds": len(made.adds) if made else 0,
        "removes": len(made.removes) if made else 0,
        "mode": "none" if made is None or not made.rows_to_send else "replace" if made.replace else "diff",
        "rows_sent": 0,
    }


def review(
    conn: Any, lake: lake_zone.Lake, ds: str, briefs: tuple[Brief, ...], settings: ActivationSettings
) -> list[JsonObject]:
    """Per declared brief, what its sync would send (counts only) and whether a person must approve it first.

    `status` is `to_sync`, or why nothing will be sent: not_published, too_small, unchanged."""
    from socialpulse.activation.store import has_synced, load_rows

    audiences, reviewed = intended_audiences(lake, ds), []
    for brief in briefs:
        intended = audiences.get(brief.name)
        if intended is None:
            reviewed.append(_entry(brief, ds, "not_published", None, None) | {"needs_approval": False})
            continue
        made = plan(intended.rows, *load_rows(conn, brief.name))
        new = not has_synced(conn, brief.name)
        status = (
            "too_small"
            if len(intended.rows) < brief.min_size
            else "unchanged"
            if not made.rows_to_send and not new
            else "to_sync"
        )
        approval = (
            status == "to_sync"
            and settings.requires_approval
            and not settings.dry_run
            and needs_approval(made, new, settings.max_change_share)
        )
        entry = _entry(brief, ds, status, intended, made) | {
            "new": new,
            "change_share": round(made.change_share, 4),
            "min_size": brief.min_size,
            "needs_approval": approval,
        }
        log.info(
            "%s: %s; %d to send (%d without keys), %d adds, %d removes (%s)%s",
            brief.name,
            status,
            entry["intended"],
            entry["without_keys"],
            entry["adds"],
            entry["removes"],
            entry["mode"],
            ", waits for approval" if approval else "",
        )
        reviewed.append(entry)
    return reviewed


def record_outcome(conn: Any, reviewed: JsonObject, status: str, detail: str, run_id: str) -> JsonObject:
    """Log a brief that was not sent (too small, rejected, timed out, not published, unchanged, a dry run)."""
    from socialpulse.activation.store import record_sync

    entry = {k: v for k, v in reviewed.items() if k not in ("new", "change_share", "min_size", "needs_approval")}
    entry.update(status=status, detail=detail)
    record_sync(conn, entry, run_id)
    log.info("%s: %s (%s)", reviewed["brief"], status, detail)
    return entry


def sync(
    conn: Any,
    client: GraphClient,
    lake: lake_zone.Lake,
    ds: str,
    brief: Brief,
    run_id: str,
    detail: str,
    **send_options: Any,
) -> tuple[JsonObject, list[Finding]]:
    """Send the brief's audience to Meta; its audience_syncs entry and any finding (invalid entries)."""
    from socialpulse.activation.store import load_rows, record_sync, save_rows
    from socialpulse.connectors.meta.custom_audiences import approximate_count, find_or_create, refusal, send
    from socialpulse.connectors.meta.errors import MetaRequestError

    intended = intended_audiences(lake, ds)[brief.name]
    synced, pending = load_rows(conn, brief.name)
    made = plan(intended.rows, synced, pending)
    audience_id, created = find_or_create(
        client, brief.account_id, audience_name(brief.name), f"SocialPulse audience of brief {brief.name}"
    )
    if made.replace:  # a replace cut short leaves Meta with part of it: nothing there is known any more
        known, maybe = synced.iloc[0:0], pd.concat([synced, pending, made.intended])
    else:
        known, maybe = synced, pd.concat([pending, made.adds])
    save_rows(conn, brief.name, known, maybe, run_id)  # before anything is sent
    sessions = []
    try:
        if made.replace:
            sessions.append(send(client, audience_id, made.intended, edge="usersreplace", **send_options))
        else:
            if len(made.removes):
                sessions.append(send(client, audience_id, made.removes, method="DELETE", **send_options))
            if len(made.adds):
                sessions.append(send(client, audience_id, made.adds, **send_options))
    except MetaRequestError as refused:  # a permission taken away since the audience was made, say
        raise refusal(refused, brief.account_id, client.conn_id) from None
    save_rows(conn, brief.name, made.intended, made.intended.iloc[0:0], run_id)
    entry = _entry(brief, ds, "synced", intended, made) | {
        "platform_audience_id": audience_id,
        "rows_sent": sum(s.rows for s in sessions),
        "invalid_entries": sum(s.invalid for s in sessions),
        "session_ids": ", ".join(str(s.session_id) for s in sessions) or None,
        "approximate_count": approximate_count(client, audience_id),
        "detail": f"{'created; ' if created else ''}{detail}",
    }
    record_sync(conn, entry, run_id)
    log.info(
        "%s: synced to audience %s, %d rows sent (%d adds, %d removes, %s), %d invalid; Meta counts %s",
        brief.name,
        audience_id,
        entry["rows_sent"],
        entry["adds"],
        entry["removes"],
        entry["mode"],
        entry["invalid_entries"],
        entry["approximate_count"],
    )
    return entry, invalid_findings(brief.name, ds, sessions)


def invalid_findings(brief: str, ds: str, sessions: list[Any]) -> list[Finding]:
    """A warning finding for each session with a batch of more than INVALID_SHARE invalid entries."""
    from socialpulse.warehouse.findings import Finding

    findings = []
    for session in sessions:
        worst = max((bad / rows for bad, rows in session.batches if rows), default=0.0)
        if worst > INVALID_SHARE:
            findings.append(
                Finding(
                    f"audience {audience_name(brief)}",
                    date.fromisoformat(ds),
                    "num_invalid_entries",
                    "invalid_entries",
                    round(worst, 4),
                    0.0,
                    INVALID_SHARE,
                    "warning",
                    f"Meta reported {session.invalid} invalid entries of {session.rows} rows sent in session "
                    f"{session.session_id} (worst batch {worst:.1%}): the sync went on; the keys are hashed by "
                    "transforms/match_keys.py, so look for a change in the CRM export",
                )
            )
    return findings


def forget_erased(conn: Any, client_of: Any, lake: lake_zone.Lake, run_id: str) -> JsonObject:
    """Remove everyone on the lake's suppression list from every audience they were sent to (a DELETE with the rows
    they were sent with), then their rows; each audience's removal logged in audience_syncs (`erased`).

    `client_of()` gives the Meta client, asked for only when someone is to be removed. A failure
    leaves the rows, so the next run of privacy_erasure (or the next sync, whose plan removes
    them too) tries again."""
    from socialpulse.activation.store import delete_people, people_sent, platform_audience_id, record_sync, rows_of
    from socialpulse.connectors.meta.custom_audiences import send
    from socialpulse.transforms.privacy import erasure_digest

    erased = lake.erased()
    gone = {p for p in people_sent(conn) if erasure_digest(p) in erased}
    if not gone:
        log.info("no erased person is on any audience sent to an ad platform")
        return {"audiences": 0, "removed": 0}
    client, removed = client_of(), {}
    for brief, rows in rows_of(conn, gone).groupby("brief"):
        audience_id = platform_audience_id(conn, str(brief))
        sent = send(client, audience_id, rows[ROW], method="DELETE") if audience_id else None
        removed[str(brief)] = delete_people(conn, str(brief), set(rows["person_id"]))
        record_sync(
            conn,
            {
                "brief": brief,
                "platform": PLATFORM,
                "audience_name": audience_name(str(brief)),
                "platform_audience_id": audience_id,
                "mode": "diff",
                "removes": len(rows),
                "rows_sent": sent.rows if sent else 0,
                "invalid_entries": sent.invalid if sent else 0,
                "session_ids": str(sent.session_id) if sent else None,
                "status": "erased",
                "detail": f"{rows['person_id'].nunique()} people erased on request removed from the audience",
            },
            run_id,
        )
        log.info(
            "%s: %d people erased on request removed from audience %s", brief, rows["person_id"].nunique(), audience_id
        )
    return {"audiences": len(removed), "removed": len(gone)}
