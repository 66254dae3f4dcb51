"""Privacy steps: the run's pseudonymiser and raw-zone retention (erasure: jobs/erasure.py)."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from socialpulse import lake as lake_zone
from socialpulse.transforms.privacy import Pseudonymizer
from socialpulse.typing_aliases import JsonObject

CRM_USERS = ("crm", "users", "users.csv")
log = logging.getLogger(__name__)


def latest_crm_users(lake: lake_zone.Lake, ds: str) -> lake_zone.LakePath | None:
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


def enforce_retention(lake_root: str, ds: str, days: int, platforms: list[str], entities: list[str]) -> JsonObject:
    """Delete the platforms' raw and the entities' quarantine partitions dated more than `days` before ds."""
    if days < 1:
        raise ValueError(f"raw retention must be at least 1 day, got {days}")
    lake = lake_zone.Lake.at(lake_root)
    cutoff = (date.fromisoformat(ds) - timedelta(days=days)).isoformat()
    removed = []
    folders = [lake.root / "raw" / p for p in platforms] + [lake.root / "quarantine" / e for e in entities]
    for folder in (f for f in folders if f.exists()):
        # partitions, and what a crash may have left of one (versions without a link, staging, a dangling link)
        partitions = {
            p.parent / f"ds={p.name.lstrip('.').removeprefix('ds=')[:10]}"
            for p in folder.glob("**/*ds=*")
            if p.name.lstrip(".").startswith("ds=") and not p.name.endswith(".lock")
        }
        for partition in sorted(partitions, key=str):  # an object store's paths have no order of their own
            if partition.name.removeprefix("ds=") < cutoff:
                lake_zone.remove_partition(partition)
                removed.append(str(partition).removeprefix(str(lake.root)).lstrip("/"))
    log.info("retention %d days: removed %d partitions dated before %s %s", days, len(removed), cutoff, removed[:20])
    return {"cutoff": cutoff, "removed": len(removed)}
