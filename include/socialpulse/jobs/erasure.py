"""Right to erasure: the people a CRM drop's suppression list asks to forget, removed from everything we keep.

Requests arrive as CRMs export them, `erasure_requests.csv` beside a day's drop (user_id,
and id_namespace when it is a platform's id), so no raw id ever passes through Airflow:
not a run's conf, an XCom or a log line. Each run lands the request files of the last
REQUEST_LOOKBACK_DAYS drops it has not landed yet (a late drop, a paused scheduler) and
erases every line no earlier run recorded. Each request's outcome is recorded in
privacy_erasures by pseudonym, and logged by line and counts.

Erasing a person: every pseudonym they may carry goes on the lake's suppression list (as
digests), then every day of a clean, features, quarantine and restricted table holding one is rewritten,
then their warehouse rows are deleted and the request recorded, in one transaction. Steps
that write people re-read the list after they publish (pipeline/quality.py), so one running
meanwhile cannot bring them back.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd

from socialpulse import lake as lake_zone
from socialpulse.connectors.crm import ERASURE_FILE
from socialpulse.errors import withholding_values
from socialpulse.lake import files as lake_files
from socialpulse.pipeline.pseudonyms import CRM_USERS
from socialpulse.transforms.privacy import CRM, LINKED_ID_COLUMNS, Pseudonymizer, erasure_digest, pseudonyms_in
from socialpulse.typing_aliases import JsonObject

if TYPE_CHECKING:
    from socialpulse.lake.storage import LakePath

ERASURE_REQUESTS = ("crm", "erasure_requests")  # the raw zone's platform and entity of the landed requests
REQUEST_LOOKBACK_DAYS = 7  # a run also takes the requests of drops this many days back that no run landed
# The zones whose tables can hold a person, and the count each adds to.
ERASABLE_ZONES = {
    "clean": "clean_rows",
    "features": "feature_rows",
    "quarantine": "quarantine_rows",
    "restricted": "restricted_rows",
}
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ErasureRequest:
    ds: str  # the day of the drop that carried it
    line: int  # in its erasure_requests.csv, the header being line 1
    user_id: str
    namespace: str


@dataclass(frozen=True)
class Person:
    """Whom a request names: the pseudonym they are recorded by, every pseudonym they may carry, and whether any
    CRM drop knows them."""

    pseudonym: str
    pseudonyms: frozenset[str]
    known: bool


def read_requests(payload: bytes, ds: str) -> tuple[list[ErasureRequest], list[int]]:
    """The requests of an erasure_requests.csv, and the lines that cannot be read (no id, an unknown
    id_namespace): those are logged by line, never shown. Blank lines keep their numbers."""
    from socialpulse.transforms.crm import read_csv

    frame = read_csv(payload, ERASURE_FILE, skip_blank_lines=False)
    namespaces = frame["id_namespace"] if "id_namespace" in frame else pd.Series(None, index=frame.index)
    requests, unreadable = [], []
    for index, (user_id, namespace) in enumerate(zip(frame["user_id"], namespaces, strict=True)):
        line = index + 2
        namespace = CRM if pd.isna(namespace) else str(namespace).strip().lower()
        if pd.isna(user_id) and pd.isna(frame.iloc[index]).all():
            continue  # a blank line
        if pd.isna(user_id) or namespace not in (CRM, *LINKED_ID_COLUMNS):
            unreadable.append(line)
        else:
            requests.append(ErasureRequest(ds, line, str(user_id), namespace))
    return requests, unreadable


def _crm_ids(partition: LakePath, name: str) -> Iterator[pd.DataFrame]:
    """A users drop's id columns only (user_id and the linked platform ids), as text, CRM_PART_ROWS rows at a time."""
    from socialpulse.jobs.crm import CRM_PART_ROWS
    from socialpulse.transforms.crm import read_csv_parts

    wanted = {"user_id", *LINKED_ID_COLUMNS.values()}
    with lake_files.open_raw_file(partition, name) as stream:
        for part in read_csv_parts(stream, CRM_PART_ROWS, name, usecols=lambda c: c.strip() in wanted):
            yield part.rename(columns=str.strip)


def people_of(lake: lake_zone.Lake, secret: str, requests: list[ErasureRequest]) -> dict[ErasureRequest, Person]:
    """Whom each request names, reading every landed CRM users drop twice at most, its id columns only.

    A CRM user, or the CRM user any drop links a requested platform id to, carries HMAC("crm:<user>")
    and the platform pseudonyms of every id any drop linked to them (events seen before the link).
    A platform id no drop links carries its platform pseudonym only.
    """
    plain = Pseudonymizer(secret)
    platform, entity, name = CRM_USERS
    partitions = lake.raw_partitions(platform, entity)
    asked = {ns: {r.user_id for r in requests if r.namespace == ns} for ns in (CRM, *LINKED_ID_COLUMNS)}
    owners: dict[tuple[str, str], set[str]] = {(r.namespace, r.user_id): set() for r in requests}
    with withholding_values(f"reading the CRM users drops for {len(requests)} erasure requests"):
        for ids in (ids for partition in partitions for ids in _crm_ids(partition, name)):  # who owns each id asked
            for user in set(ids["user_id"].dropna()) & asked[CRM]:
                owners[(CRM, user)].add(user)
            for ns, column in LINKED_ID_COLUMNS.items():
                if column in ids and asked[ns]:
                    owned = ids.loc[ids[column].isin(asked[ns]), [column, "user_id"]]
                    for platform_id, user in owned.itertuples(False):
                        owners[(ns, platform_id)].add(str(user))
        everyone = set().union(*owners.values()) if owners else set()
        linked: dict[str, set[str]] = {user: set() for user in everyone}
        for ids in (ids for partition in partitions if everyone for ids in _crm_ids(partition, name)):  # their ids
            theirs = ids[ids["user_id"].isin(everyone)]
            for ns, column in LINKED_ID_COLUMNS.items():
                if column in theirs:
                    for user, platform_id in theirs[["user_id", column]].dropna().itertuples(False):
                        linked[user].add(plain.token(ns, platform_id))
    people = {}
    for request in requests:
        found = owners[(request.namespace, request.user_id)]
        pseudonyms = {plain.token(request.namespace, request.user_id)} | {plain.token(CRM, u) for u in found}
        pseudonyms |= {p for user in found for p in linked[user]}
        person = plain.token(CRM, min(found)) if found else plain.token(request.namespace, request.user_id)
        people[request] = Person(person, frozenset(pseudonyms), bool(found))
    return people


@dataclass
class Erased:
    """What erasing one person removed: rows per zone and the warehouse, files rewritten."""

    clean_rows: int = 0
    feature_rows: int = 0
    quarantine_rows: int = 0
    restricted_rows: int = 0
    warehouse_rows: int = 0
    files_rewritten: int = 0

    @property
    def rows(self) -> int:
        return self.clean_rows + self.feature_rows + self.quarantine_rows + self.restricted_rows + self.warehouse_rows


def holders(frame: pd.DataFrame, owner: dict[str, str]) -> pd.Series:
    """Per row, the person (of `owner`: pseudonym -> person) it belongs to, or null.

    Clean and features rows name the person in person_id; a quarantined row only inside its
    original (a JSON text), where a pseudonym is found as a 64-character hex word.
    """
    if "person_id" in frame:  # the few rows held looked up alone: a lookup of every row's text grows the process
        ids, held = frame["person_id"], frame["person_id"].isin(owner.keys()).to_numpy(dtype=bool)
        found = pd.Series(None, index=frame.index, dtype=object)
        found[held] = ids[held].map(owner).to_numpy(dtype=object)
        return found
    if "original" not in frame:
        return pd.Series(None, index=frame.index, dtype=object)
    return pseudonyms_in(frame["original"]).map(lambda found: next((owner[w] for w in found if w in owner), None))


def erase_from_lake(lake: lake_zone.Lake, people: dict[str, frozenset[str]]) -> dict[str, Erased]:
    """Rewrite every day of every clean, features, quarantine and restricted table holding the people (person ->
    pseudonyms), then delete the files of older versions; what it removed per person.

    Every pseudonym goes on the suppression list first, so a step publishing meanwhile drops
    them when it re-reads the list after publishing. Older versions go from every table, not
    only from those holding the people now: a day replaced since may have held them.
    """
    for pseudonyms in people.values():  # each pseudonym: events cleaned again without the CRM's link are theirs too
        for pseudonym in pseudonyms:
            lake.mark_erased(erasure_digest(pseudonym))
    owner = {pseudonym: person for person, pseudonyms in people.items() for pseudonym in pseudonyms}
    erased = {person: Erased() for person in people}
    for table in lake.tables(tuple(ERASABLE_ZONES)):
        counter = ERASABLE_ZONES[table.path.parent.name]
        removed, days = table.remove_rows(lambda frame: holders(frame, owner))
        for person, rows in removed.items():
            setattr(erased[person], counter, getattr(erased[person], counter) + int(rows))
            erased[person].files_rewritten += days  # a day rewritten counts once, in however many files
        table.remove_history()
    return erased


def request_days(ds: str) -> list[str]:
    """The drops a run takes requests from, oldest first: its own day and REQUEST_LOOKBACK_DAYS before."""
    last = date.fromisoformat(ds)
    return [(last - timedelta(days=back)).isoformat() for back in range(REQUEST_LOOKBACK_DAYS, -1, -1)]


def land_requests(source: str, lake: lake_zone.Lake, ds: str) -> JsonObject:
    """Land the erasure_requests.csv of each drop of the look-back that has one no run landed yet, exact bytes.

    The raw zone keeps them until its retention (socialpulse_raw_retention_days) deletes them,
    like the drops that carried them; nothing of them goes anywhere else.
    """
    from socialpulse.connectors.crm import fetch_erasure_requests

    landed = {}
    for day in request_days(ds):
        partition = lake.raw_partition(*ERASURE_REQUESTS, day)
        if lake_files.partition_exists(partition):
            continue
        payload = fetch_erasure_requests(source, day)  # its header checked: errors name the file, never a cell
        if payload is None:
            continue
        with lake_files.staged(partition) as staging:
            manifest = lake_files.write_raw_file(
                staging, ERASURE_FILE, payload, {"platform": CRM, "entity": ERASURE_REQUESTS[1], "ds": day}
            )
        landed[day] = manifest["rows"]
        log.info("%s of the drop of %s landed: %d lines after the header", ERASURE_FILE, day, manifest["rows"])
    if not landed:
        log.info("no new %s in the drops of %s to %s", ERASURE_FILE, request_days(ds)[0], ds)
    return {"files_landed": len(landed), "lines_landed": sum(landed.values())}


def erase_requests(conn: Any, lake: lake_zone.Lake, secret: str, ds: str, run_id: str) -> JsonObject:
    """Erase everyone the landed request files of the look-back name, each line once: lines an earlier run
    recorded are passed over. Outcomes go to privacy_erasures and, by line and counts only, to the log.

    A request that finds nothing (no rows, no CRM drop, no earlier erasure) is `not_found` (a
    typo?); one whose person an earlier request erased is `already_erased`.
    """
    from socialpulse.warehouse.erasure import erase_and_record, recorded_requests, statuses_before

    landed = {day: lake.raw_partition(*ERASURE_REQUESTS, day) for day in request_days(ds)}
    landed = {day: p for day, p in landed.items() if lake_files.partition_exists(p)}
    if not landed:
        log.info("no erasure requests landed for the drops of %s to %s", request_days(ds)[0], ds)
        return {"requests": 0}
    done = recorded_requests(conn, list(landed))
    outcome: dict[str, int] = {"requests": 0}
    with withholding_values(f"erasing the requests of the drops of {min(landed)} to {max(landed)}"):
        requests = []
        for day, partition in landed.items():
            found, unreadable = read_requests(lake_files.read_raw_file(partition, ERASURE_FILE), day)
            requests += [r for r in found if (day, r.line) not in done]
            for line in (line for line in unreadable if (day, line) not in done):
                log.warning(
                    "%s of %s, line %d: no user_id, or an id_namespace other than crm, facebook, instagram "
                    "or x: not erased; correct the line in that drop and run the day again",
                    ERASURE_FILE,
                    day,
                    line,
                )
                outcome["unreadable"] = outcome.get("unreadable", 0) + 1
        outcome["requests"] = len(requests) + outcome.get("unreadable", 0)
        if not requests:
            log.info("every erasure request of the drops of %s to %s was recorded before", min(landed), ds)
            return outcome
        lake.migrate_erased()
        listed = lake.erased()  # before this run: a retry's person is on it already
        people = people_of(lake, secret, requests)
        before = statuses_before(conn, {p.pseudonym for p in people.values()})
        removed = erase_from_lake(lake, {p.pseudonym: p.pseudonyms for p in people.values()})
        seen: set[str] = set()
        for request in requests:
            person = people[request]
            if person.pseudonym in seen:  # the same person twice: counted on the first line
                log.info(
                    "%s of %s, line %d: the same person as an earlier line of this run",
                    ERASURE_FILE,
                    request.ds,
                    request.line,
                )
                outcome["repeated"] = outcome.get("repeated", 0) + 1
                continue
            seen.add(person.pseudonym)
            erased = removed[person.pseudonym]

            def status(warehouse_rows: int, person: Person = person, erased: Erased = erased) -> str:
                if erased.rows or warehouse_rows:
                    return "erased"
                previous = before.get(person.pseudonym)
                if previous in ("erased", "already_erased"):
                    return "already_erased"
                listed_by_a_crash = erasure_digest(person.pseudonym) in listed and previous is None
                return "erased" if person.known or listed_by_a_crash else "not_found"

            erased.warehouse_rows, said = erase_and_record(
                conn, person.pseudonyms, person.pseudonym, run_id, vars(erased), status, request.ds, request.line
            )
            outcome[said] = outcome.get(said, 0) + 1
            log.log(
                logging.WARNING if said == "not_found" else logging.INFO,
                "%s of %s, line %d (%s id): %s; %d clean, %d features, %d quarantine, %d restricted and %d warehouse "
                "rows, %d files rewritten",
                ERASURE_FILE,
                request.ds,
                request.line,
                request.namespace,
                said.replace("_", " "),
                erased.clean_rows,
                erased.feature_rows,
                erased.quarantine_rows,
                erased.restricted_rows,
                erased.warehouse_rows,
                erased.files_rewritten,
            )
    log.info("erasure requests of the drops of %s to %s: %s", min(landed), ds, outcome)
    return outcome


def person_pseudonyms(lake: lake_zone.Lake, secret: str, user_id: str, namespace: str = CRM) -> Person:
    """Whom one id names (see people_of)."""
    if namespace not in (CRM, *LINKED_ID_COLUMNS):
        raise ValueError(f"id_namespace {namespace!r} is not one of {[CRM, *LINKED_ID_COLUMNS]}")
    request = ErasureRequest("", 0, user_id, namespace)
    return people_of(lake, secret, [request])[request]
