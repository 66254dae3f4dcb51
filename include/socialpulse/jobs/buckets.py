"""A day's people a bucket at a time, for the steps that read several tables person by person, in one pass or
several: each table split into a local file a bucket in one read of it (Snapshot.spill), each bucket read back
from its files. At 1,000,000 people, the profiles read each of their inputs once for each of their ten buckets.

The files hold personal data: they live in a folder of this process's, removed when the work ends, and a folder
left by a process that was killed is removed by the next that opens one.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from socialpulse.audience.buckets import bucket_of
from socialpulse.lake.tables import read_spilled

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from socialpulse.lake.tables import Snapshot

log = logging.getLogger(__name__)


def people_buckets(snapshot: Snapshot, ds: str, people: int) -> int:
    """How many buckets of about `people` people the day's rows fall in (one row a person)."""
    return max(1, -(-snapshot.rows(ds) // people))


@dataclass(frozen=True)
class Split:
    """A table's columns split into a local file a bucket."""

    files: tuple[Path, ...]
    columns: tuple[str, ...]


class LocalBuckets:
    """Tables split into `buckets` buckets of people (audience/buckets.py), read back a bucket at a time: every
    bucket, or only those of `members` (a mapped task's share of the day; the other buckets' rows are not kept)."""

    PREFIX = "socialpulse-buckets-"

    def __init__(self, buckets: int, work: str, members: Sequence[int] | None = None) -> None:
        self.buckets, self.work, self.splits = buckets, work, 0
        self.members = tuple(range(buckets) if members is None else members)

    def __enter__(self) -> LocalBuckets:
        _remove_orphaned(Path(tempfile.gettempdir()), self.PREFIX)
        self.folder = Path(tempfile.mkdtemp(prefix=f"{self.PREFIX}{os.getpid()}-"))
        return self

    def __exit__(self, *_: object) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def split(
        self,
        snapshot: Snapshot,
        days: list[str],
        columns: list[str] | None = None,
        people: tuple[str, ...] = (),
        everywhere: Callable[[pa.RecordBatch], Any] | None = None,
        keep: Callable[[pa.RecordBatch], Any] | None = None,
    ) -> Split:
        """The days' columns (all when None) a file a bucket, in one read: a row goes to the bucket of each of its
        `people` columns (person_id when none) that names someone, and a row that names nobody to none; the rows
        `everywhere` takes to every bucket. `everywhere` and `keep` take a batch and give a boolean mask; with
        `keep`, only the rows it keeps go to their people's buckets."""
        self.splits += 1
        files = tuple(self.folder / f"{self.splits}-{bucket}.parquet" for bucket in self.members)
        route = _router(people or ("person_id",), self.buckets, self.members, everywhere, keep)
        names = snapshot.spill(days, columns, route, list(files))
        log.info("%s: a table split in %d buckets (%s)", self.work, len(self.members), ", ".join(names))
        return Split(files, tuple(names))

    def each(self, step: str, *splits: Split) -> Iterator[tuple[pd.DataFrame, ...]]:
        """Every bucket's frames, one of each split; logged as each is done, with the first split's rows so far."""
        rows, started = 0, time.monotonic()
        for index in range(len(self.members)):
            frames = tuple(read_spilled(split.files[index], list(split.columns)) for split in splits)
            rows += len(frames[0])
            yield frames
            del frames  # not held while the next bucket is read
            log.info(
                "%s, %s: bucket %d of %d done, %d rows of the first table so far (%.0f a second)",
                self.work,
                step,
                index + 1,
                len(self.members),
                rows,
                rows / max(time.monotonic() - started, 1e-9),
            )


def _router(
    people: tuple[str, ...],
    buckets: int,
    members: tuple[int, ...],
    everywhere: Callable[[pa.RecordBatch], Any] | None,
    keep: Callable[[pa.RecordBatch], Any] | None,
) -> Callable[[pa.RecordBatch], list[tuple[int, Any]]]:
    """Snapshot.spill's route: each member bucket (by its place in `members`) with the rows whose people fall in
    it (of those `keep` keeps), and the rows `everywhere` takes."""

    def route(batch: pa.RecordBatch) -> list[tuple[int, Any]]:
        kept = np.asarray(keep(batch), dtype=bool) if keep else np.ones(batch.num_rows, dtype=bool)
        places = [np.where(kept, bucket_of(batch.column(c), buckets), -1) for c in people if c in batch.schema.names]
        shared = np.asarray(everywhere(batch), dtype=bool) if everywhere else np.zeros(batch.num_rows, dtype=bool)
        masks = [np.logical_or.reduce([shared, *(place == bucket for place in places)]) for bucket in members]
        return [(index, rows) for index, rows in enumerate(masks) if rows.any()]

    return route


def _remove_orphaned(parent: Path, prefix: str) -> None:
    """Remove the folders `prefix`<pid>-... whose process is gone."""
    for folder in parent.glob(f"{prefix}*"):
        pid = folder.name[len(prefix) :].split("-")[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
            log.info("removed %s, left by a process that is gone", folder)
        except PermissionError:  # another user's process, alive
            continue
