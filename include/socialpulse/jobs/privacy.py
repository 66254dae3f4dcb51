"""Privacy steps: the run's pseudonymiser, raw-zone retention, and erasing one person everywhere."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from socialpulse import lake as lake_zone
from socialpulse.transforms.privacy import CRM, Pseudonymizer

CRM_USERS = ("crm", "users", "users.csv")
ERASABLE_ZONES = ("clean", "features")
log = logging.getLogger(__name__)


def latest_crm_users(lake: lake_zone.Lake, ds: str) -> Path | None:
    """The newest landed raw CRM users partition dated before ds.

    Strictly before: crm_daily lands the day's own drop on its own schedule, so a
    link from the drop of ds itself might or might not be there when ds is cleaned,
    and a rerun would give a person other pseudonyms. The drop of the day before
    landed a day earlier; a link made on ds applies from the run of ds + 1.
    """
    platform, entity, _ = CRM_USERS
    earlier = [p for p in lake.raw_partitions(platform, entity) if p.name.removeprefix("ds=") < ds]
    return earlier[-1] if earlier else None


def pseudonymizer(lake_root: str, ds: str, key: str) -> Pseudonymizer:
    """A pseudonymiser that resolves platform ids through the CRM links of the newest drop before ds."""
    from socialpulse.transforms.crm import read_csv
    from socialpulse.transforms.privacy import links_from_users

    lake = lake_zone.Lake.at(lake_root)
    partition = latest_crm_users(lake, ds)
    if partition is None:
        log.info("no CRM users drop before %s: platform ids get platform pseudonyms", ds)
        return Pseudonymizer(key)
    links = links_from_users(read_csv(lake_zone.read_raw_file(partition, CRM_USERS[2])))
    log.info("pseudonyms resolve %d platform ids through the CRM links of %s", len(links), partition.name)
    return Pseudonymizer(key, links)


def enforce_retention(lake_root: str, ds: str, days: int, platforms: list[str], entities: list[str]) -> dict:
    """Delete the platforms' raw and the entities' quarantine partitions dated more than `days` before ds."""
    if days < 1:
        raise ValueError(f"raw retention must be at least 1 day, got {days}")
    lake = lake_zone.Lake.at(lake_root)
    cutoff = (date.fromisoformat(ds) - timedelta(days=days)).isoformat()
    removed = []
    folders = [lake.root / "raw" / p for p in platforms] + [lake.root / "quarantine" / e for e in entities]
    for folder in (f for f in folders if f.exists()):
        # partitions, and what a crash may have left of one (versions without a link, staging, a dangling link)
        partitions = {p.parent / f"ds={p.name.lstrip('.').removeprefix('ds=')[:10]}"
                      for p in folder.glob("**/*ds=*") if p.name.lstrip(".").startswith("ds=")
                      and not p.name.endswith(".lock")}
        for partition in sorted(partitions, key=str):  # an object store's paths have no order of their own
            if partition.name.removeprefix("ds=") < cutoff:
                lake_zone.remove_partition(partition)
                removed.append(str(partition).removeprefix(str(lake.root)).lstrip("/"))
    log.info("retention %d days: removed %d partitions dated before %s %s", days, len(removed), cutoff,
             removed[:20])
    return {"cutoff": cutoff, "removed": len(removed)}


def person_pseudonyms(lake_root: str, key: str, user_id: str, namespace: str = CRM) -> tuple[str, set[str]]:
    """(the person's pseudonym, every pseudonym they may carry).

    A CRM user, or the CRM user any drop links a platform id to, carries HMAC("crm:<user>")
    and the platform pseudonyms of every id the CRM ever linked to them (events seen
    before the link). A platform id no drop links carries its platform pseudonym only.
    """
    from socialpulse.transforms.crm import read_csv
    from socialpulse.transforms.privacy import LINKED_ID_COLUMNS

    if namespace != CRM and namespace not in LINKED_ID_COLUMNS:
        raise ValueError(f"id_namespace {namespace!r} is not one of {[CRM, *LINKED_ID_COLUMNS]}")
    plain = Pseudonymizer(key)
    lake = lake_zone.Lake.at(lake_root)
    platform, entity, name = CRM_USERS
    drops = [read_csv(lake_zone.read_raw_file(p, name)) for p in lake.raw_partitions(platform, entity)]
    if namespace == CRM:
        owners = {user_id}
    else:
        column = LINKED_ID_COLUMNS[namespace]
        owners = {str(u) for users in drops if column in users for u in users.loc[users[column] == user_id, "user_id"]}
    pseudonyms = {plain.token(namespace, user_id)} | {plain.token(CRM, owner) for owner in owners}
    for users in drops:
        theirs = users[users["user_id"].isin(owners)]
        for linked_platform, column in LINKED_ID_COLUMNS.items():
            if column in theirs:
                pseudonyms |= {plain.token(linked_platform, i) for i in theirs[column].dropna()}
    person = plain.token(CRM, min(owners)) if owners else plain.token(namespace, user_id)
    return person, pseudonyms


def erase_from_lake(lake_root: str, pseudonyms: set[str]) -> tuple[int, int, int]:
    """Rewrite every clean and features Parquet partition holding the people; (clean rows, feature rows, files)."""

    lake = lake_zone.Lake.at(lake_root)
    for pseudonym in pseudonyms:  # first, so a clean publishing meanwhile already drops them
        lake.mark_erased(pseudonym)
    counts = dict.fromkeys(ERASABLE_ZONES, 0)
    files = 0
    for zone in ERASABLE_ZONES:
        # Every version of every partition, each file once; rows are counted in the current versions only
        # (the ones the partitions' links name), the previous versions are scrubbed as well.
        folder = lake.root / zone
        if not folder.exists():
            continue
        found = {lake_zone.current(p) for p in folder.glob("**/*.parquet")}
        current = {lake_zone.current(p) for p in folder.glob("**/ds=*") if lake_zone.names_a_version(p)}
        for path in sorted(found, key=str):
            frame = lake_zone.read_parquet(path)
            if "person_id" not in frame:
                continue
            hit = frame["person_id"].isin(pseudonyms)
            if hit.any():
                partition = path.parent.with_name(path.parent.name.lstrip(".").split("@")[0])
                with lake_zone.partition_lock(partition):  # not while it is being replaced
                    if path.exists():  # a publish may have removed this old version meanwhile
                        lake_zone.rewrite_parquet(path, frame.loc[~hit].reset_index(drop=True))
                if path.parent in current or not path.parent.name.startswith("."):  # not a previous version
                    counts[zone] += int(hit.sum())
                    files += 1
    return counts["clean"], counts["features"], files


def erase_person(conn: Any, lake_root: str, key: str, user_id: str, namespace: str, run_id: str) -> dict:
    """Remove a person from the clean zone, features and warehouse; record it without personal data."""
    from socialpulse.warehouse.erasure import erase_from_warehouse, record_erasure

    person, pseudonyms = person_pseudonyms(lake_root, key, user_id, namespace)
    clean_rows, feature_rows, files = erase_from_lake(lake_root, pseudonyms)
    warehouse_rows = erase_from_warehouse(conn, pseudonyms)
    counts = {"clean_rows": clean_rows, "feature_rows": feature_rows, "warehouse_rows": warehouse_rows,
              "files_rewritten": files, "pseudonyms": len(pseudonyms)}
    record_erasure(conn, person, run_id, counts)
    log.info("erased person %s: %s", person, counts)
    return {"pseudonym": person, **counts}
