"""Right to erasure on real files and a real warehouse: every zone, every pseudonym, each request once, no id said."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pandas as pd
import pytest

from socialpulse.jobs import crm, erasure
from socialpulse.lake import tables as lake_tables
from socialpulse.pipeline import quality
from socialpulse.transforms.posts import clean_events
from socialpulse.transforms.privacy import Pseudonymizer, drop_erased, erasure_digest
from socialpulse.transforms.validation import validate
from socialpulse.warehouse import apply_migrations
from socialpulse_dev.simulator.audience import audience
from socialpulse_dev.simulator.crm_drop import UNKNOWN_ID, write_erasure_requests
from tests.socialpulse.jobs.conftest import DS, KEY, linked_member

PLAIN = Pseudonymizer(KEY)


@pytest.fixture
def warehouse(sqlite_conn):
    apply_migrations(sqlite_conn)
    return sqlite_conn


def quarantined_member(lake: str):
    """Someone on X the CRM clean step quarantined (an impossible age, say), found by the pseudonym in its copy."""
    quarantined = lake.quarantine("crm_users").read_days([DS])
    tokens = {PLAIN.token("crm", m.user_id): m for m in audience(7)}
    return next(m for m in (tokens[json.loads(o)["person_id"]] for o in quarantined["original"]) if m.x_id)


def statuses(conn) -> list[tuple]:
    return conn.execute(
        "SELECT request_day, request_line, status FROM privacy_erasures ORDER BY request_day, request_line"
    ).fetchall()


def test_erasure_rewrites_clean_and_features_and_lists_every_pseudonym(lake):
    member = linked_member()
    person = PLAIN.token("crm", member.user_id)
    platform_only = PLAIN.token("x", member.x_id)  # events seen before the CRM linked them
    features = lake.features("profiles")
    features.write_day(pd.DataFrame({"person_id": [person, platform_only, "other"]}), DS)
    found = erasure.person_pseudonyms(lake, KEY, member.user_id)
    assert found.pseudonym == person and {person, platform_only} <= found.pseudonyms and found.known
    erased = erasure.erase_from_lake(lake, {person: found.pseudonyms})[person]
    assert (erased.feature_rows, erased.clean_rows >= 1, erased.files_rewritten >= 2) == (2, True, True)
    assert list(features.read_days([DS]).person_id) == ["other"]
    users = lake.clean("crm_users").read_days([DS])
    assert person not in set(users.person_id) and len(users) > 1000
    listed = lake.erased()
    assert {erasure_digest(p) for p in found.pseudonyms} <= listed  # the platform pseudonym too
    assert not any(p in str(listed) for p in found.pseudonyms)  # digests, not the pseudonyms themselves


def test_cleaning_again_brings_no_erased_person_back_to_clean_or_quarantine(lake):
    member = quarantined_member(lake)
    found = erasure.person_pseudonyms(lake, KEY, member.user_id)
    erasure.erase_from_lake(lake, {found.pseudonym: found.pseudonyms})
    crm.clean(lake, DS, KEY)  # a rerun of the date
    root = lake
    assert found.pseudonym not in set(root.clean("crm_users").read_days([DS]).person_id)
    assert not root.quarantine("crm_users").read_days([DS])["original"].str.contains(found.pseudonym).any()
    # events a platform reports under the person's platform id, cleaned where no CRM drop links it yet
    events = pd.DataFrame(
        {
            "platform": ["x", "x"],
            "post_id": ["1", "2"],
            "user_id": [member.x_id, "someone"],
            "kind": ["like", "like"],
            "extracted_at": "2026-11-02T06:00:00Z",
        }
    )
    kept = clean_events(events, PLAIN, root.erased())
    assert kept.clean["person_id"].tolist() == [PLAIN.token("x", "someone")] and kept.quarantined.empty


@pytest.mark.parametrize("part_rows", [crm.CRM_PART_ROWS, 7])  # the drop read whole, and in parts of seven rows
def test_an_id_asked_for_by_platform_finds_the_crm_person_behind_it(lake, monkeypatch, part_rows):
    monkeypatch.setattr(crm, "CRM_PART_ROWS", part_rows)
    member = linked_member()
    found = erasure.person_pseudonyms(lake, KEY, member.x_id, "x")
    assert found.pseudonym == PLAIN.token("crm", member.user_id) and found.known
    assert found.pseudonyms == erasure.person_pseudonyms(lake, KEY, member.user_id).pseudonyms
    stranger = erasure.person_pseudonyms(lake, KEY, "999", "x")  # no drop links this id
    assert stranger.pseudonyms == {stranger.pseudonym} == {PLAIN.token("x", "999")} and not stranger.known
    assert not erasure.person_pseudonyms(lake, KEY, UNKNOWN_ID).known  # nor knows this CRM id
    with pytest.raises(ValueError, match="id_namespace 'tiktok'"):
        erasure.person_pseudonyms(lake, KEY, "1", "tiktok")


def test_a_drop_s_requests_reach_the_quarantine_report_the_unknown_and_name_no_one(lake, tmp_path, warehouse, caplog):
    member = quarantined_member(lake)
    pseudonym = PLAIN.token("crm", member.user_id)
    write_erasure_requests(
        tmp_path / "crm",
        date.fromisoformat(DS),
        [
            {"user_id": member.user_id, "id_namespace": ""},
            {"user_id": UNKNOWN_ID, "id_namespace": "crm"},
            {"user_id": member.user_id, "id_namespace": "tiktok"},
            {"user_id": member.user_id, "id_namespace": "crm"},
        ],
    )
    assert erasure.land_requests(str(tmp_path / "crm"), lake, DS) == {"files_landed": 1, "lines_landed": 4}
    with caplog.at_level("INFO"):
        outcome = erasure.erase_requests(warehouse, lake, KEY, DS, "erase-1")
    assert outcome == {"requests": 4, "unreadable": 1, "erased": 1, "not_found": 1, "repeated": 1}
    root = lake
    assert not root.quarantine("crm_users").read_days([DS])["original"].str.contains(pseudonym).any()
    rows = warehouse.execute(
        "SELECT pseudonym, status, quarantine_rows FROM privacy_erasures ORDER BY request_line"
    ).fetchall()
    assert rows[0] == (pseudonym, "erased", 1) and rows[1][1:] == ("not_found", 0)
    said = caplog.text + json.dumps(outcome)  # the log and the XCom: lines and counts, never an id or pseudonym
    assert "line 3 (crm id): not found" in said and "line 4: no user_id, or an id_namespace other than" in said
    assert member.user_id not in said and UNKNOWN_ID not in said and pseudonym not in said
    again = erasure.erase_requests(warehouse, lake, KEY, DS, "erase-2")  # the repeated line now; the rest is done
    assert again == {"requests": 2, "unreadable": 1, "already_erased": 1}
    assert statuses(warehouse) == [(DS, 2, "erased"), (DS, 3, "not_found"), (DS, 5, "already_erased")]


def test_a_late_drop_s_requests_are_taken_by_a_later_run_and_each_line_once(lake, tmp_path, warehouse):
    member = linked_member()
    late = (date.fromisoformat(DS) - timedelta(days=2)).isoformat()
    write_erasure_requests(tmp_path / "crm", date.fromisoformat(late), [{"user_id": member.user_id}])
    path = tmp_path / "crm" / f"ds={DS}" / "erasure_requests.csv"
    path.write_text(f"user_id,id_namespace\n\n{member.x_id},x\n{UNKNOWN_ID},\n")  # a blank line keeps its number
    assert erasure.land_requests(str(tmp_path / "crm"), lake, DS) == {"files_landed": 2, "lines_landed": 4}
    first = erasure.erase_requests(warehouse, lake, KEY, DS, "run-1")
    assert first == {"requests": 3, "erased": 1, "repeated": 1, "not_found": 1}  # one person by two ids
    assert statuses(warehouse) == [(late, 2, "erased"), (DS, 4, "not_found")]
    assert erasure.land_requests(str(tmp_path / "crm"), lake, DS) == {"files_landed": 0, "lines_landed": 0}
    again = erasure.erase_requests(warehouse, lake, KEY, DS, "run-2")  # the repeated line, now on its own
    assert again == {"requests": 1, "already_erased": 1}
    assert statuses(warehouse)[1] == (DS, 3, "already_erased")
    assert erasure.erase_requests(warehouse, lake, KEY, DS, "run-3") == {"requests": 0}


def test_a_day_without_requests_erases_nothing(lake, tmp_path, warehouse):
    assert erasure.land_requests(str(tmp_path / "crm"), lake, DS) == {"files_landed": 0, "lines_landed": 0}
    assert erasure.erase_requests(warehouse, lake, KEY, DS, "erase-1") == {"requests": 0}


def test_a_clean_step_publishing_while_an_erasure_runs_drops_its_people_after_all(lake, monkeypatch):
    """The erasure listed the person after the step had read the list, and scanned before it published."""
    root = lake
    person, other = PLAIN.token("crm", "u1"), PLAIN.token("crm", "u2")
    frame = pd.DataFrame({"person_id": [person, other], "kind": ["like", "like"]})
    result = validate(frame, erasure_schema())
    publish = lake_tables.Table.write_day

    def erasure_meanwhile(table, frame, ds):
        written = publish(table, frame, ds)
        root.mark_erased(erasure_digest(person))  # its scan passed before this publish: only the list knows
        return written

    monkeypatch.setattr(lake_tables.Table, "write_day", erasure_meanwhile)
    entry = quality.publish(root, "events", DS, result)
    assert root.read_day(entry["clean_path"])["person_id"].tolist() == [other] and entry["rows_clean"] == 1


def test_a_day_published_in_parts_while_an_erasure_runs_is_cleaned_again_without_its_people(lake, monkeypatch):
    """The parts were cleaned for the list as it was when they began; the erasure listed the person meanwhile."""
    person, others = PLAIN.token("crm", "u1"), [PLAIN.token("crm", f"u{n}") for n in range(2, 6)]
    frame = pd.DataFrame({"person_id": [person, *others], "kind": ["like"] * 5})
    lists: list[frozenset[str]] = []

    def parts(erased: frozenset[str]):
        lists.append(erased)
        for part in (frame.iloc[:2], frame.iloc[2:]):  # two parts, each without the people listed at the start
            yield validate(drop_erased(part, erased)[0], erasure_schema())

    write = lake_tables.Table.write_day_in_parts

    def erasure_meanwhile(table, frames, ds):
        written = write(table, frames, ds)
        if table.path.name == "events" and not lake.erased():
            lake.mark_erased(erasure_digest(person))  # its scan passed before this publish: only the list knows
        return written

    monkeypatch.setattr(lake_tables.Table, "write_day_in_parts", erasure_meanwhile)
    entry = quality.publish_in_parts(lake, "events", DS, parts)
    assert lists == [frozenset(), frozenset({erasure_digest(person)})]  # cleaned again, for the list as it became
    assert sorted(lake.read_day(entry["clean_path"])["person_id"]) == sorted(others)
    assert (entry["rows_in"], entry["rows_clean"], entry["rows_quarantined"]) == (4, 4, 0)


def erasure_schema():
    from socialpulse.schema import Field, Schema

    return Schema(
        "events",
        (Field("person_id", "string", required=True, text="pseudonym"), Field("kind", "string")),
        key=("person_id",),
    )


def test_the_suppression_list_of_an_older_lake_moves_to_digests(lake):
    root = lake
    root.legacy_erased_dir.mkdir(parents=True)
    (root.legacy_erased_dir / "p-1").touch()
    assert root.erased() == {erasure_digest("p-1")}  # read as digests at once
    assert root.migrate_erased() == 1 and not any(root.legacy_erased_dir.iterdir())
    assert [p.name for p in root.erased_dir.iterdir()] == [erasure_digest("p-1")]
