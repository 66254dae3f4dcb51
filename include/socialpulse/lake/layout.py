"""The lake's layout: which zone holds what, as paths (files) and tables (Delta).

raw/<platform>/<entity>/ds=YYYY-MM-DD/account_id=<id>/pages.jsonl.gz   exact payload pages (files.py)
reference/<name>/ds=YYYY-MM-DD/                                         reference data a run used (files.py)
clean|features|quarantine|restricted/<entity>/                          Delta tables by day (tables.py)
models/, reports/                                                       files, published whole (files.py)
privacy/suppressed/                                                     the erased people, by digest
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from socialpulse.lake.storage import LakePath, ensure_dir, lake_path, on_object_store, partitions, safe_key
from socialpulse.lake.tables import DAY, Table

if TYPE_CHECKING:
    import pandas as pd

TABLE_ZONES = ("clean", "features", "quarantine", "restricted")


@dataclass(frozen=True)
class Lake:
    root: LakePath

    @classmethod
    def at(cls, root: str | os.PathLike[str], storage_options: Mapping[str, Any] | None = None) -> Lake:
        """The lake at a root, on an object store reached with fsspec's storage options (built once per task)."""
        return cls(lake_path(root, storage_options))

    def path(self, text: str) -> LakePath:
        """A path of this lake that a task passed as text (an XCom, an audit entry), on the lake's store."""
        return lake_path(text, self.root.storage_options if on_object_store(self.root) else None)

    def read_day(self, day_path: str, columns: list[str] | None = None) -> pd.DataFrame:
        """The rows of the day a Table.day_path names, at its table's newest version."""
        uri, _, ds = day_path.rpartition(f"/{DAY}=")
        return Table(self.path(uri)).read_days([ds], columns)

    def raw_partition(self, platform: str, entity: str, ds: str) -> LakePath:
        return self.root / "raw" / platform / entity / f"ds={ds}"

    def raw_partitions(self, platform: str, entity: str) -> list[LakePath]:
        """Every landed raw partition of an entity, oldest date first."""
        return partitions(self.root / "raw" / platform / entity)

    def staging(self, platform: str, entity: str, ds: str, run_id: str) -> LakePath:
        return self.root / "_staging" / platform / entity / f"ds={ds}" / safe_key(run_id)

    def table(self, zone: str, entity: str) -> Table:
        if zone not in TABLE_ZONES:
            raise ValueError(f"{zone!r} is not a zone of tables ({', '.join(TABLE_ZONES)})")
        return Table(self.root / zone / entity)

    def clean(self, entity: str) -> Table:
        return self.table("clean", entity)

    def features(self, entity: str) -> Table:
        """Person-level outputs of the audience steps, erased like the clean zone."""
        return self.table("features", entity)

    def quarantine(self, entity: str) -> Table:
        return self.table("quarantine", entity)

    def restricted(self, entity: str) -> Table:
        """Data only activation reads (the hashed emails and phones of match_keys): never the dashboard's or a
        report's input, erased like the clean zone."""
        return self.table("restricted", entity)

    def tables(self, zones: tuple[str, ...] = TABLE_ZONES) -> list[Table]:
        """Every table of the zones that was ever written."""
        folders = [self.root / zone for zone in zones]
        entities = cast("list[LakePath]", [p for f in folders if f.is_dir() for p in f.iterdir()])
        entities.sort(key=lambda p: str(p))
        return [Table(p) for p in entities if (p / "_delta_log").is_dir()]

    def reference_partition(self, name: str, ds: str) -> LakePath:
        """Reference data a run used (exchange rates), kept so that a rerun uses the same."""
        return self.root / "reference" / name / f"ds={ds}"

    @property
    def erased_dir(self) -> LakePath:
        """The suppression list: one empty file per erased person, named by the SHA-256 digest of their pseudonym
        (socialpulse.transforms.privacy.erasure_digest), so that it holds no pseudonym; cleaning and the audience
        steps drop these people on every rerun."""
        return self.root / "privacy" / "suppressed"

    @property
    def legacy_erased_dir(self) -> LakePath:
        """Where an older SocialPulse listed erased people by pseudonym itself; migrate_erased() empties it."""
        return self.root / "privacy" / "erased"

    def erased(self) -> frozenset[str]:
        """The digests of every erased person (the legacy list's pseudonyms digested as read)."""
        from socialpulse.transforms.privacy import erasure_digest

        digests = {p.name for p in self.erased_dir.iterdir()} if self.erased_dir.is_dir() else set()
        if self.legacy_erased_dir.is_dir():
            digests |= {erasure_digest(p.name) for p in self.legacy_erased_dir.iterdir()}
        return frozenset(digests)

    def mark_erased(self, digest: str) -> None:
        ensure_dir(self.erased_dir)
        (self.erased_dir / safe_key(digest)).touch()

    def migrate_erased(self) -> int:
        """Move the legacy list's people into the suppression list by digest; how many moved."""
        from socialpulse.transforms.privacy import erasure_digest

        if not self.legacy_erased_dir.is_dir():
            return 0
        moved = 0
        for marker in cast("list[LakePath]", list(self.legacy_erased_dir.iterdir())):
            self.mark_erased(erasure_digest(marker.name))
            marker.unlink()
            moved += 1
        return moved
