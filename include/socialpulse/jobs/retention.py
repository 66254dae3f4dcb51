"""Retention: the step every source DAG ends with (erasure: jobs/erasure.py)."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from socialpulse import lake as lake_zone
from socialpulse.lake import files as lake_files
from socialpulse.lake import tables as lake_tables
from socialpulse.typing_aliases import JsonObject

log = logging.getLogger(__name__)


def enforce_retention(
    lake: lake_zone.Lake, ds: str, days: int, platforms: list[str], entities: list[str]
) -> JsonObject:
    """Delete the platforms' raw partitions and the entities' quarantined days dated more than `days` before ds,
    and the versions of the entities' tables older than their history (tables.HISTORY_DAYS)."""
    if days < 1:
        raise ValueError(f"raw retention must be at least 1 day, got {days}")
    cutoff = (date.fromisoformat(ds) - timedelta(days=days)).isoformat()
    removed = []
    raw = [e for f in (lake.root / "raw" / p for p in platforms) if f.is_dir() for e in f.iterdir()]
    for folder in raw:
        # partitions, and what a crash may have left of one (a hidden staging folder beside it)
        found = [p for p in folder.glob("*ds=*") if p.name.lstrip(".").startswith("ds=")]
        for partition in sorted(found, key=str):  # an object store's paths have no order of their own
            if partition.name.lstrip(".").removeprefix("ds=")[:10] < cutoff:
                lake_files.remove_tree(partition)
                removed.append(str(partition).removeprefix(str(lake.root)).lstrip("/"))
    quarantined = sum(lake.quarantine(entity).delete_days(before=cutoff) for entity in entities)
    tables = [lake.table(zone, entity) for zone in ("clean", "quarantine") for entity in entities]
    files = sum(table.remove_old_versions() for table in tables)
    log.info(
        "retention %d days: removed %d raw partitions dated before %s %s, %d quarantined days, and %d files of "
        "table versions older than %d days",
        days,
        len(removed),
        cutoff,
        removed[:20],
        quarantined,
        files,
        lake_tables.HISTORY_DAYS,
    )
    return {"cutoff": cutoff, "removed": len(removed) + quarantined, "version_files_removed": files}
