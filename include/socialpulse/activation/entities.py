"""Activation's warehouse tables: the log of every sync, and the rows each audience holds on its platform.

`audience_sync_rows` holds matching keys (hashes of emails and phones): it is read by activation
and erasure only, never by the dashboard or a report, like the lake's restricted zone.
"""

from __future__ import annotations

from socialpulse.audience.entities import BRIEF, PERSON
from socialpulse.schema import Field, Schema
from socialpulse.warehouse.tables import register, table_of

SYNC_STATUSES = frozenset(
    {
        "synced",  # the platform holds the intended people
        "awaiting_approval",  # waiting for a person under Browse > Required Actions
        "unchanged",  # nothing to send
        "dry_run",  # counted, nothing sent (variable socialpulse_activation_dry_run)
        "too_small",  # fewer people to send than the brief's min_size: not sent
        "not_published",  # targeting built no audience for the brief that day
        "rejected",  # a person rejected the change
        "timed_out",  # nobody answered the approval in time: not sent
        "erased",  # people erased on request removed from the audience (privacy_erasure)
    }
)
ROW_STATES = frozenset({"synced", "pending"})


def _count(name: str, doc: str) -> Field:
    return Field(name, "int", min=0, doc=doc)


AUDIENCE_SYNCS = Schema(  # no personal data: counts and ids of audiences and sessions
    "audience_syncs",
    (
        Field("run_id", "string", required=True, doc="the activate_audiences run"),
        BRIEF,
        Field("as_of_date", "date", doc="the day of the target audience it sent"),
        Field("platform", "string", allowed=frozenset({"meta"}), doc="the ad platform"),
        Field("account_id", "string", doc="the ad account, digits only"),
        Field("audience_name", "string", doc="the platform audience's name: socialpulse:<brief>"),
        Field("platform_audience_id", "string", doc="the platform's id of the audience"),
        Field("mode", "string", allowed=frozenset({"diff", "replace", "none"}), doc="what was sent"),
        _count("intended", "people the audience should hold: the list without its holdout, with a matching key"),
        _count("without_keys", "people of the list without an email or phone to match them on"),
        _count("adds", "rows added"),
        _count("removes", "rows removed"),
        _count("rows_sent", "rows sent in all (a replace sends every intended row)"),
        _count("invalid_entries", "rows the platform reported invalid"),
        Field("session_ids", "string", doc="the upload sessions, comma separated"),
        _count("approximate_count", "the platform's approximate audience size after the sync"),
        Field("status", "string", required=True, allowed=SYNC_STATUSES, doc="what happened"),
        Field("detail", "string", doc="why, in words: who approved or rejected, what was too small"),
        Field("synced_at", "timestamp", doc="UTC instant the sync finished"),
    ),
    key=("run_id", "brief"),
    table="audience_syncs",
)

AUDIENCE_SYNC_ROWS = Schema(  # restricted: matching keys
    "audience_sync_rows",
    (
        BRIEF,
        PERSON,
        Field("email_sha256", "string", required=True, doc="the email hash the row was sent with ('' without)"),
        Field("phone_sha256", "string", required=True, doc="the phone hash the row was sent with ('' without)"),
        Field(
            "state",
            "string",
            required=True,
            allowed=ROW_STATES,
            doc="synced: on the platform since a finished sync; pending: sent by a sync that has not finished",
        ),
    ),
    key=("brief", "person_id", "email_sha256", "phone_sha256"),
    table="audience_sync_rows",
)

ACTIVATION_TABLES = {schema.entity: register(table_of(schema)) for schema in (AUDIENCE_SYNCS, AUDIENCE_SYNC_ROWS)}
