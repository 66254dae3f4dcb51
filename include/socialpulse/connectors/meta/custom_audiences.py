"""Meta's Customer File Custom Audiences: find or create an audience by name, send it rows in sessions, read its count.

From the Marketing API's Customer File Custom Audiences guide and its Custom Audience Users
reference: an audience is created on `act_<id>/customaudiences` with `subtype=CUSTOM` and a
`customer_file_source`; rows go to `<audience>/users` (POST adds, DELETE removes) or
`<audience>/usersreplace` (the whole membership, swapped when the session's last batch
arrives), at most MAX_ROWS_PER_REQUEST a request, each request one batch of a session
(`session_id` unique in the ad account, `batch_seq` from 1, `last_batch_flag` on the last).
The payload is multi-key, `["EMAIL", "PHONE"]`, each a SHA-256 hex, "" when unknown.

Retries are the Graph client's (throttling, 5xx, `is_transient`): a retried request is the same
batch with the same `batch_seq`. Meta's invalid-entry samples are never logged or kept, only
their count: they are a person's hashes.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from socialpulse.connectors.meta.client import GraphClient
from socialpulse.connectors.meta.errors import MetaRequestError
from socialpulse.errors import FatalError
from socialpulse.typing_aliases import JsonObject

log = logging.getLogger(__name__)

SCHEMA = ("EMAIL", "PHONE")
KEY_COLUMNS = ("email_sha256", "phone_sha256")  # the matching keys' columns, in SCHEMA's order
MAX_ROWS_PER_REQUEST = 10_000
MARKER = "[managed by SocialPulse]"  # ends the description of every audience we create
TERMS_SUBCODES = frozenset({1870034, 1870090})  # "Custom Audience Terms Not Accepted"
PERMISSION_CODES = frozenset({10, 200, 294})
LIST_PAGE_SIZE = 20  # Meta's advice for paging customaudiences


class AudienceNameTakenError(FatalError):
    """An audience of our name exists on the ad account and we did not create it: we never overwrite it."""


class AudienceRefusedError(FatalError):
    """The ad account refuses custom audiences (terms not accepted, a permission missing): a person must act."""


def refusal(error: MetaRequestError, account_id: str, conn_id: str | None) -> MetaRequestError | AudienceRefusedError:
    """Meta's refusal said in terms of what to do: accept the terms, or grant the permission."""
    if error.code == 200 and error.subcode in TERMS_SUBCODES:
        return AudienceRefusedError(
            f"ad account act_{account_id} has not accepted Meta's Custom Audience terms: an admin of the account "
            f"accepts them at https://business.facebook.com/ads/manage/customaudiences/tos/?act={account_id}, then "
            f"run again ({error})"
        )
    if error.code in PERMISSION_CODES:
        return AudienceRefusedError(
            f"the token of connection '{conn_id}' may not manage custom audiences of ad account act_{account_id}: "
            f"give its user the ads_management permission on the account, then run again ({error})"
        )
    return error


def new_session_id() -> int:
    """A session id unique in the ad account: 62 random bits (Meta takes an int64)."""
    return secrets.randbits(62)


def find_audience(client: GraphClient, account_id: str, name: str) -> JsonObject | None:
    """The account's audience of this name (id, name, description), paging the whole list; None without one."""
    fields = {"fields": "name,description"}
    for page in client.pages(f"act_{account_id}/customaudiences", fields, LIST_PAGE_SIZE):
        for found in page.get("data") or []:
            if found.get("name") == name:
                return dict(found)
    return None


def find_or_create(client: GraphClient, account_id: str, name: str, description: str) -> tuple[str, bool]:
    """(the audience's id, whether it was created now). One of our name without MARKER is someone else's: an error.
    An account that refuses custom audiences fails here, saying what to do (`refusal`)."""
    try:
        return _find_or_create(client, account_id, name, description)
    except MetaRequestError as refused:
        raise refusal(refused, account_id, client.conn_id) from None


def _find_or_create(client: GraphClient, account_id: str, name: str, description: str) -> tuple[str, bool]:
    found = find_audience(client, account_id, name)
    if found is not None:
        if not str(found.get("description") or "").endswith(MARKER):
            raise AudienceNameTakenError(
                f"ad account act_{account_id} has a custom audience named '{name}' (id {found.get('id')}) that "
                "SocialPulse did not create (its description lacks our marker): rename that audience, or the brief"
            )
        return str(found["id"]), False
    created = client.request(
        "POST",
        client.url(f"act_{account_id}/customaudiences"),
        form={
            "name": name,
            "subtype": "CUSTOM",
            "customer_file_source": "USER_PROVIDED_ONLY",
            "description": f"{description} {MARKER}",
        },
    )
    log.info("created custom audience '%s' (id %s) on act_%s", name, created["id"], account_id)
    return str(created["id"]), True


@dataclass
class Sent:
    """What one session sent: rows, Meta's invalid-entry count, requests, its session id."""

    session_id: int
    rows: int = 0
    requests: int = 0
    received: list[int] = field(default_factory=list)  # Meta's num_received after each batch
    batches: list[tuple[int, int]] = field(default_factory=list)  # (invalid entries, rows) of each batch

    @property
    def invalid(self) -> int:
        return sum(bad for bad, _ in self.batches)


def payload_rows(rows: pd.DataFrame) -> list[list[str]]:
    """The payload's data: a [EMAIL, PHONE] pair per person, "" for a key they lack."""
    return rows[list(KEY_COLUMNS)].astype("string").fillna("").to_numpy().tolist()  # type: ignore[no-any-return]


def send(
    client: GraphClient,
    audience_id: str,
    rows: pd.DataFrame,
    edge: str = "users",
    method: str = "POST",
    session_id: int | None = None,
    batch_size: int = MAX_ROWS_PER_REQUEST,
    after_batch: Callable[[int], None] | None = None,
) -> Sent:
    """Send `rows` (email_sha256, phone_sha256) to `<audience>/<edge>` in one session; `after_batch(seq)` is called
    once each batch is accepted (a test stops a sync there). A session of no rows sends nothing."""
    sent = Sent(session_id if session_id is not None else new_session_id())
    data = payload_rows(rows)
    size = min(batch_size, MAX_ROWS_PER_REQUEST)
    batches = [data[start : start + size] for start in range(0, len(data), size)]
    for seq, batch in enumerate(batches, start=1):
        session = {
            "session_id": sent.session_id,
            "batch_seq": seq,
            "last_batch_flag": seq == len(batches),
            "estimated_num_total": len(data),
        }
        answer = client.request(
            method,
            client.url(f"{audience_id}/{edge}"),
            form={"payload": _compact({"schema": list(SCHEMA), "data": batch}), "session": _compact(session)},
        )
        sent.rows += len(batch)
        sent.requests += 1
        sent.received.append(int(answer.get("num_received") or 0))
        sent.batches.append((int(answer.get("num_invalid_entries") or 0), len(batch)))
        log.info(
            "audience %s, %s %s: batch %d of %d, %d of %d rows sent",
            audience_id,
            method,
            edge,
            seq,
            len(batches),
            sent.rows,
            len(data),
        )
        if after_batch is not None:
            after_batch(seq)
    return sent


def approximate_count(client: GraphClient, audience_id: str) -> int | None:
    """Meta's approximate count of the audience (the lower bound), None while it has none."""
    node = client.request("GET", client.url(audience_id), {"fields": "approximate_count_lower_bound"})
    count = node.get("approximate_count_lower_bound")
    return int(count) if isinstance(count, int) and count >= 0 else None


def _compact(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))
