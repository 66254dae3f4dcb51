"""The Custom Audiences connector against the simulated API over real HTTP: sessions, retries, refusals, resume."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest
import requests

from socialpulse.activation.plan import plan
from socialpulse.connectors.http import Backoff
from socialpulse.connectors.meta.client import GraphClient
from socialpulse.connectors.meta.custom_audiences import (
    MARKER,
    AudienceNameTakenError,
    AudienceRefusedError,
    approximate_count,
    find_or_create,
    send,
)
from socialpulse.connectors.meta.errors import MetaAuthError
from socialpulse.connectors.meta.versions import DEFAULT_API_VERSION
from socialpulse_dev.simulator import contacts
from socialpulse_dev.simulator.audience import audience
from socialpulse_dev.simulator.server import DEFAULT_TOKEN

MEMBERS = audience(7)[:400]


def sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def keys(members) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "person_id": [m.user_id for m in members],
            "email_sha256": [sha(contacts.normalized_email(m)) for m in members],
            "phone_sha256": [sha(contacts.normalized_phone(m)) for m in members],
        }
    )


def client(base: str, token: str = DEFAULT_TOKEN, attempts: int = 6) -> GraphClient:
    return GraphClient(
        base,
        token,
        DEFAULT_API_VERSION,
        backoff=Backoff(attempts, 0.01, 0.01),
        sleep=lambda s: None,
        conn_id="meta_marketing",
    )


def members_of(base: str, audience_id: str) -> list[str]:
    return requests.get(f"{base}/_simulator/custom_audiences", timeout=10).json()["audiences"][audience_id]["members"]


def test_find_or_create_finds_ours_past_the_first_page_and_refuses_a_stranger_s(simulator):
    base = simulator()
    graph = client(base)
    for i in range(25):  # more than a page of 20
        graph.request("POST", graph.url("act_1001/customaudiences"), form={"name": f"other {i}", "subtype": "CUSTOM"})
    made, created = find_or_create(graph, "1001", "socialpulse:spring", "Spring Sale: win back")
    assert created and find_or_create(graph, "1001", "socialpulse:spring", "Spring Sale: win back") == (made, False)
    with pytest.raises(AudienceNameTakenError, match=r"'other 3'.*did not create"):
        find_or_create(graph, "1001", "other 3", "x")
    node = graph.request("GET", graph.url(made), {"fields": "description"})
    assert node["description"].endswith(MARKER)


def test_sessions_of_at_most_10000_rows_and_the_exact_membership(simulator):
    base = simulator()
    graph = client(base)
    audience_id, _ = find_or_create(graph, "1001", "socialpulse:big", "big")
    strangers = pd.DataFrame({"email_sha256": [sha(f"x{i}@example.com") for i in range(20_500)], "phone_sha256": None})
    rows = pd.concat([keys(MEMBERS), strangers], ignore_index=True)
    sent = send(graph, audience_id, rows)
    assert (sent.rows, sent.requests, sent.received, sent.invalid) == (20_900, 3, [10_000, 20_000, 20_900], 0)
    assert members_of(base, audience_id) == sorted(m.user_id for m in MEMBERS)
    assert approximate_count(graph, audience_id) == len(MEMBERS)
    send(graph, audience_id, keys(MEMBERS[:100]), method="DELETE")
    assert members_of(base, audience_id) == sorted(m.user_id for m in MEMBERS[100:])
    send(graph, audience_id, keys(MEMBERS[350:]), edge="usersreplace")
    assert members_of(base, audience_id) == sorted(m.user_id for m in MEMBERS[350:])


def test_transient_errors_and_throttling_are_retried_to_the_same_membership(simulator):
    base = simulator(error_rate=0.3, throttle_every=4)
    graph = client(base, attempts=10)
    audience_id, _ = find_or_create(graph, "1001", "socialpulse:flaky", "flaky")
    sent = send(graph, audience_id, keys(MEMBERS), batch_size=50)
    assert graph.retries > 0 and sent.requests == 8
    assert sent.received == [50 * (i + 1) for i in range(8)]  # each batch counted once, retried or not
    assert members_of(base, audience_id) == sorted(m.user_id for m in MEMBERS)


def test_a_bad_token_fails_at_once_naming_the_connection(simulator):
    graph = client(simulator(), token="expired")
    with pytest.raises(MetaAuthError, match="connection 'meta_marketing'"):
        find_or_create(graph, "1001", "socialpulse:x", "x")
    assert graph.calls == 1


def test_an_account_without_the_terms_accepted_is_told_what_to_do_on_the_first_try(simulator):
    graph = client(simulator(audience_terms_refused=("1003",)))
    with pytest.raises(AudienceRefusedError, match="act_1003 has not accepted Meta's Custom Audience terms"):
        find_or_create(graph, "1003", "socialpulse:jp", "jp")
    assert graph.calls == 2  # the list, then the refused create: no retry


class CrashError(Exception):
    """The worker dies between two batches."""


def test_a_sync_interrupted_between_batches_is_completed_by_the_next_to_the_exact_membership(simulator):
    base = simulator()
    graph = client(base)
    audience_id, _ = find_or_create(graph, "1001", "socialpulse:resume", "resume")
    send(graph, audience_id, keys(MEMBERS[:200]))
    synced = keys(MEMBERS[:200])
    wanted = keys(MEMBERS[100:300])
    first = plan(wanted, synced)
    pending = first.adds  # recorded before sending, as the job does

    def crash(seq: int) -> None:
        if seq == 1:
            raise CrashError

    send(graph, audience_id, first.removes, method="DELETE")
    with pytest.raises(CrashError):
        send(graph, audience_id, first.adds, batch_size=40, after_batch=crash)  # 40 of 100 added
    wanted = keys(MEMBERS[150:250])  # by the next run the list changed again
    second = plan(wanted, synced, pending)
    send(graph, audience_id, second.removes, method="DELETE")
    send(graph, audience_id, second.adds)
    assert members_of(base, audience_id) == sorted(m.user_id for m in MEMBERS[150:250])


def test_a_missing_permission_names_the_connection_and_other_refusals_stay_as_meta_said():
    from socialpulse.connectors.meta.custom_audiences import refusal
    from socialpulse.connectors.meta.errors import MetaRequestError

    missing = refusal(MetaRequestError("(#200) Permissions error", code=200), "1001", "meta_marketing")
    assert isinstance(missing, AudienceRefusedError) and "connection 'meta_marketing'" in str(missing)
    other = MetaRequestError("(#100) Invalid parameter", code=100)
    assert refusal(other, "1001", "meta_marketing") is other
