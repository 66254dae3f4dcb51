"""Ads insights streams: campaign-level, one row per day, synchronous or as an async report."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from datetime import date

from socialpulse.connectors.meta.ads_fields import (
    ACTION_BREAKDOWNS,
    ATTRIBUTION_WINDOWS,
    DEFAULT_PAGE_LIMIT,
    INSIGHTS_FIELDS,
)
from socialpulse.connectors.meta.client import GraphClient
from socialpulse.connectors.meta.errors import MetaRequestError, MetaRetriesExhaustedError, MetaTransientError
from socialpulse.typing_aliases import JsonObject

log = logging.getLogger(__name__)

REPORT_MODES = ("async", "sync")


def normalize_account_id(account_id: str | int) -> str:
    """Meta's numeric account id, whether written `act_123` or `123`."""
    text = str(account_id).strip().removeprefix("act_")
    if not text.isdigit():
        raise ValueError(f"ad account id {account_id!r} is not numeric; write it as 123456 or act_123456")
    return text


def insights_params(since: date, until: date) -> JsonObject:
    """Query of a campaign-level daily insights request over [since, until]."""
    if until < since:
        raise ValueError(f"insights window ends ({until}) before it starts ({since})")
    return {
        "fields": ",".join(INSIGHTS_FIELDS),
        "level": "campaign",
        "time_range": json.dumps({"since": since.isoformat(), "until": until.isoformat()}, separators=(",", ":")),
        "time_increment": 1,
        "action_breakdowns": json.dumps(list(ACTION_BREAKDOWNS), separators=(",", ":")),
        "action_attribution_windows": json.dumps(list(ATTRIBUTION_WINDOWS), separators=(",", ":")),
    }


def insights_pages(
    client: GraphClient,
    account_id: str,
    since: date,
    until: date,
    *,
    mode: str = "async",
    limit: int = DEFAULT_PAGE_LIMIT,
    poll_seconds: float = 2.0,
    max_wait_seconds: float = 3600.0,
) -> Iterator[JsonObject]:
    """Every page of an account's daily campaign insights over [since, until]."""
    if mode not in REPORT_MODES:
        raise ValueError(f"report mode {mode!r} is not one of {REPORT_MODES}")
    account = f"act_{normalize_account_id(account_id)}"
    params = insights_params(since, until)
    if mode == "sync":
        yield from client.pages(f"{account}/insights", params, limit)
        return
    started = client.request("POST", client.url(f"{account}/insights"), params)
    report_id = started.get("report_run_id")
    if not report_id:
        raise MetaRequestError(f"Meta answered an async insights request without report_run_id: {started}")
    log.info("%s: async report %s started for %s..%s", account, report_id, since, until)
    deadline = time.monotonic() + max_wait_seconds
    while True:
        status = client.request("GET", client.url(report_id))
        state, percent = status.get("async_status"), status.get("async_percent_completion", 0)
        if state == "Job Completed" and percent == 100:
            break
        if state in ("Job Failed", "Job Skipped"):
            raise MetaTransientError(
                f"Meta async report {report_id} ended as {state!r}; the task retry starts a new one"
            )
        if time.monotonic() > deadline:
            raise MetaRetriesExhaustedError(f"Meta async report {report_id} not done after {max_wait_seconds:.0f} s")
        log.info("%s: report %s %s, %s%%", account, report_id, state, percent)
        client.sleep(poll_seconds)
    yield from client.pages(f"{report_id}/insights", {}, limit)
