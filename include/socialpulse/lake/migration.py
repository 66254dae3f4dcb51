"""Converting a lake written before the Delta tables, once, idempotently: `python -m socialpulse.lake.migration ROOT`.

Before, a partition was a hidden version folder `.ds=<day>@<time>-<id>` that `ds=<day>` named
(a symbolic link locally, a small pointer object `{"version": ...}` on an object store), with
a lock file beside it. Now a partition of files is a plain folder and rows are Delta tables:

- files (raw, reference, reports): each `ds=<day>` becomes a folder holding its named
  version's files; the other versions and the lock files go;
- rows (clean, features, quarantine, restricted): an entity's folder is moved aside to
  `.<entity>.before-delta`, each day's Parquet is written as that day of the entity's table,
  then the old folder goes. A migration cut short resumes from the folder moved aside.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, cast

from socialpulse.lake.files import remove_tree
from socialpulse.lake.layout import TABLE_ZONES, Lake
from socialpulse.lake.storage import LakePath, on_object_store

if TYPE_CHECKING:
    import pandas as pd
    from upath import UPath

log = logging.getLogger(__name__)
FILE_ZONES = ("raw", "reference", "reports")
OLD_FILE = "part-0000.parquet"
ASIDE = ".before-delta"


def named_version(partition: LakePath) -> LakePath | None:
    """The version folder a `ds=<day>` link or pointer names; None for a plain folder (or nothing)."""
    if on_object_store(partition):
        if not partition.fs.isfile(partition.path):
            return None
        return partition.with_name(json.loads(partition.fs.cat_file(partition.path))["version"])
    return partition.with_name(os.readlink(partition)) if partition.is_symlink() else None


def _old_days(folder: LakePath) -> list[LakePath]:
    found = [p for p in folder.glob("ds=*") if named_version(p) or p.is_dir()]
    return cast("list[LakePath]", sorted(found, key=lambda p: p.name))


def _read_old_day(partition: LakePath) -> pd.DataFrame:
    import pandas as pd

    path = (named_version(partition) or partition) / OLD_FILE
    return pd.read_parquet(path.path, filesystem=path.fs) if on_object_store(path) else pd.read_parquet(path)


def _leftovers(folder: LakePath) -> list[LakePath]:
    """Versions, locks and temporaries of the old layout in a folder."""
    return cast("list[LakePath]", [p for p in folder.iterdir() if p.name.startswith(".ds=")])


def migrate_files(folder: LakePath) -> int:
    """Every versioned partition under a folder made a plain folder; how many."""
    moved = 0
    for partition in cast("list[LakePath]", [p for p in folder.rglob("ds=*") if named_version(p)]):
        version = cast("LakePath", named_version(partition))
        if on_object_store(partition):
            partition.fs.rm_file(partition.path)  # the pointer, so the prefix is the partition
            source = cast("UPath", version).path  # named by the pointer beside it: on its store
            partition.fs.copy(source.rstrip("/") + "/", partition.path + "/", recursive=True)
        else:
            partition.unlink()
            if version.is_dir():
                os.rename(cast(Path, version), partition)
        moved += 1
    for parent in cast("set[LakePath]", {p.parent for p in folder.rglob(".ds=*")}):
        for leftover in _leftovers(parent):
            remove_tree(leftover)
    return moved


def migrate_tables(lake: Lake, zone: str) -> int:
    """Every old-layout entity of a zone written into its Delta table; how many days."""
    root = lake.root / zone
    if not root.is_dir():
        return 0
    days = 0
    for folder in cast("list[LakePath]", sorted(root.iterdir(), key=lambda p: p.name)):
        name = folder.name
        if name.startswith(".") and name.endswith(ASIDE):
            aside, entity = folder, name[1 : -len(ASIDE)]
        elif not name.startswith(".") and not (folder / "_delta_log").is_dir() and _old_days(folder):
            aside, entity = folder.with_name(f".{name}{ASIDE}"), name
            if on_object_store(folder):
                folder.fs.copy(folder.path + "/", cast("UPath", aside).path + "/", recursive=True)
                folder.fs.rm(folder.path, recursive=True)
            else:
                os.rename(folder, cast(Path, aside))
        else:
            continue
        table = lake.table(zone, entity)
        for partition in _old_days(aside):
            table.write_day(_read_old_day(partition), partition.name.removeprefix("ds="))
            days += 1
        remove_tree(aside)
        log.info("%s/%s: %d days written into its Delta table", zone, entity, days)
    return days


def migrate(lake: Lake) -> dict[str, int]:
    """The whole lake converted; counts of what was (none on a lake already converted)."""
    partitions = sum(migrate_files(lake.root / zone) for zone in FILE_ZONES if (lake.root / zone).is_dir())
    days = sum(migrate_tables(lake, zone) for zone in TABLE_ZONES)
    return {"file_partitions": partitions, "table_days": days}


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if len(sys.argv) != 2:
        sys.exit("usage: python -m socialpulse.lake.migration LAKE_ROOT")
    print(json.dumps(migrate(Lake.at(sys.argv[1]))))
