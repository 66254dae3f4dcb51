"""Activation on a real lake, a real warehouse and the simulated Custom Audiences API over HTTP."""

from __future__ import annotations

import pandas as pd
import pytest
import requests

from socialpulse.audience.briefs import Brief
from socialpulse.connectors.http import Backoff
from socialpulse.connectors.meta.client import GraphClient
from socialpulse.connectors.meta.versions import DEFAULT_API_VERSION
from socialpulse.jobs import activation, crm
from socialpulse.jobs.audience import write_features
from socialpulse.transforms.privacy import Pseudonymizer
from socialpulse.warehouse import apply_migrations
from socialpulse_dev.simulator.audience import audience
from socialpulse_dev.simulator.server import DEFAULT_TOKEN
from tests.socialpulse.jobs.conftest import DS, KEY

PLAIN = Pseudonymizer(KEY)
USER_OF = {PLAIN.token("crm", m.user_id): m.user_id for m in audience(7)}
SPRING = Brief("spring", "1001", ("10010001",), "win_back", max_size=400, min_size=100)
TINY = Brief("tiny", "1001", ("10010002",), "retarget", max_size=400, min_size=100)
ABSENT = Brief("absent", "1002", ("10020001",), "loyalty", max_size=400)
SETTINGS = activation.ActivationSettings()


@pytest.fixture
def warehouse(sqlite_conn):
    apply_migrations(sqlite_conn)
    return sqlite_conn


@pytest.fixture
def graph(simulator):
    base = simulator()
    client = GraphClient(base, DEFAULT_TOKEN, DEFAULT_API_VERSION, backoff=Backoff(4, 0.01, 0.01), sleep=lambda s: None)
    return client, base


def publish(lake: str, lists: dict[str, list[str]], held_out: set[str] = frozenset()) -> None:
    """A day's target_audiences as audience_intelligence publishes them: a row per (brief, campaign, person)."""
    rows = [
        {"as_of_date": DS, "brief": brief, "campaign_id": "c", "person_id": p, "in_holdout": p in held_out}
        for brief, people in lists.items()
        for p in people
    ]
    write_features(lake, "target_audiences", DS, pd.DataFrame(rows))


def on_meta(base: str) -> dict[str, list[str]]:
    state = requests.get(f"{base}/_simulator/custom_audiences", timeout=10).json()
    return {a["name"]: a["members"] for a in state["audiences"].values()}


def users(people) -> list[str]:
    return sorted(USER_OF[p] for p in people)


def syncs(conn) -> list[tuple]:
    return conn.execute(
        "SELECT brief, status, mode, intended, adds, removes, rows_sent, approximate_count FROM audience_syncs "
        "ORDER BY run_id, brief"
    ).fetchall()


@pytest.fixture
def keyed(lake) -> list[str]:
    """People of the drop with matching keys, in a stable order."""
    return sorted(crm.read_match_keys(lake, DS)["person_id"])


def test_review_says_what_each_brief_would_send_and_which_wait_for_approval(lake, warehouse, keyed):
    publish(lake, {"spring": keyed[:300], "tiny": keyed[300:350]})
    reviewed = {r["brief"]: r for r in activation.review(warehouse, lake, DS, (SPRING, TINY, ABSENT), SETTINGS)}
    assert {b: r["status"] for b, r in reviewed.items()} == {
        "spring": "to_sync",
        "tiny": "too_small",  # 50 people, under min_size 100: never sent
        "absent": "not_published",
    }
    assert (reviewed["spring"]["adds"], reviewed["spring"]["new"], reviewed["spring"]["needs_approval"]) == (
        300,
        True,
        True,
    )
    dry = activation.review(warehouse, lake, DS, (SPRING,), activation.ActivationSettings(dry_run=True))
    assert not dry[0]["needs_approval"]  # a dry run sends nothing: nothing to approve


def test_a_sync_sends_exactly_the_list_without_its_holdout_and_the_next_only_the_change(lake, warehouse, keyed, graph):
    client, base = graph
    held = set(keyed[:20])
    publish(lake, {"spring": keyed[:300]}, held)
    entry, findings = activation.sync(warehouse, client, lake, DS, SPRING, "run-1", "approved by ada")
    assert on_meta(base) == {"socialpulse:spring": users(keyed[20:300])} and findings == []
    assert entry["detail"] == "created; approved by ada"
    publish(lake, {"spring": keyed[:290] + keyed[300:305]}, held)  # ten gone, five new
    (reviewed,) = activation.review(warehouse, lake, DS, (SPRING,), SETTINGS)
    assert (reviewed["adds"], reviewed["removes"], reviewed["new"], reviewed["needs_approval"]) == (5, 10, False, False)
    activation.sync(warehouse, client, lake, DS, SPRING, "run-2", "no approval needed")
    assert on_meta(base) == {"socialpulse:spring": users(keyed[20:290] + keyed[300:305])}
    assert syncs(warehouse) == [
        ("spring", "synced", "diff", 280, 280, 0, 280, 280),
        ("spring", "synced", "diff", 275, 5, 10, 15, 275),
    ]
    (again,) = activation.review(warehouse, lake, DS, (SPRING,), SETTINGS)
    assert again["status"] == "unchanged"


class WorkerDiedError(Exception):
    """The worker dies between two batches."""


def test_a_sync_that_died_between_batches_is_finished_by_the_next_even_after_the_list_changed(
    lake, warehouse, keyed, graph
):
    client, base = graph
    publish(lake, {"spring": keyed[:200]})
    activation.sync(warehouse, client, lake, DS, SPRING, "run-1", "")

    def die(seq: int) -> None:
        if seq == 2:
            raise WorkerDiedError

    publish(lake, {"spring": keyed[100:400]})
    with pytest.raises(WorkerDiedError):
        activation.sync(warehouse, client, lake, DS, SPRING, "run-2", "", batch_size=60, after_batch=die)
    publish(lake, {"spring": keyed[150:350]})  # and the list changed before the next run
    activation.sync(warehouse, client, lake, DS, SPRING, "run-3", "")
    assert on_meta(base) == {"socialpulse:spring": users(keyed[150:350])}
    synced = warehouse.execute("SELECT count(*), min(state), max(state) FROM audience_sync_rows").fetchone()
    assert synced == (200, "synced", "synced")


def test_withdrawn_consent_is_removed_at_the_next_sync(lake, warehouse, keyed, graph):
    client, base = graph
    publish(lake, {"spring": keyed[:150]})
    activation.sync(warehouse, client, lake, DS, SPRING, "run-1", "")
    keys = crm.read_match_keys(lake, DS)
    from socialpulse.jobs.crm import MATCH_KEYS

    withdrawn = set(keyed[:3])  # the next drop says no: the clean step gives them no keys
    lake.restricted(MATCH_KEYS).write_day(keys[~keys["person_id"].isin(withdrawn)], DS)
    activation.sync(warehouse, client, lake, DS, SPRING, "run-2", "")
    assert on_meta(base) == {"socialpulse:spring": users(keyed[3:150])}


def test_people_erased_on_request_leave_every_audience_they_were_sent_to(lake, warehouse, keyed, graph):
    from socialpulse.jobs.erasure import erase_from_lake
    from socialpulse.warehouse.erasure import erase_from_warehouse

    client, base = graph
    publish(lake, {"spring": keyed[:150], "autumn": keyed[100:250]})
    autumn = Brief("autumn", "1002", ("10020001",), "loyalty", max_size=400, min_size=100)
    for brief in (SPRING, autumn):
        activation.sync(warehouse, client, lake, DS, brief, "run-1", "")
    three = {keyed[0], keyed[120], keyed[200]}  # one on spring, one on both, one on autumn
    erase_from_lake(lake, {p: frozenset({p}) for p in three})
    erase_from_warehouse(warehouse, three)  # every person table but the rows Meta still needs to find them
    assert warehouse.execute("SELECT count(DISTINCT person_id) FROM audience_sync_rows").fetchone()[0] == 250
    assert activation.forget_erased(warehouse, lambda: client, lake, "erasure-1") == {"audiences": 2, "removed": 3}
    assert on_meta(base) == {
        "socialpulse:spring": users(sorted(set(keyed[:150]) - three)),
        "socialpulse:autumn": users(sorted(set(keyed[100:250]) - three)),
    }
    left = warehouse.execute("SELECT count(*) FROM audience_sync_rows WHERE person_id IN (?, ?, ?)", sorted(three))
    assert left.fetchone()[0] == 0
    logged = warehouse.execute("SELECT brief, status, removes FROM audience_syncs WHERE run_id = 'erasure-1'")
    assert sorted(logged.fetchall()) == [("autumn", "erased", 2), ("spring", "erased", 2)]
    calls = client.calls
    assert activation.forget_erased(warehouse, lambda: client, lake, "erasure-2") == {"audiences": 0, "removed": 0}
    assert client.calls == calls  # nothing left to remove: Meta is not called


def test_more_than_one_percent_invalid_in_a_batch_is_a_finding_and_no_value_is_quoted():
    from socialpulse.connectors.meta.custom_audiences import Sent

    fine = Sent(1, rows=20_000, batches=[(100, 10_000), (0, 10_000)])  # 1.0% at worst: not more
    bad = Sent(2, rows=12_000, batches=[(0, 10_000), (30, 2_000)])  # 1.5% in the last batch
    (finding,) = activation.invalid_findings("spring", DS, [fine, bad])
    assert (finding.entity, finding.check_name, finding.severity, finding.value) == (
        "audience socialpulse:spring",
        "invalid_entries",
        "warning",
        0.015,
    )
    assert finding.detail.startswith("Meta reported 30 invalid entries of 12000 rows sent in session 2")
