"""The lake's tables: one Delta Lake table per entity in the clean, features, quarantine and restricted zones.

<zone>/<entity>/_delta_log/...                   the transaction log: which files make each version
<zone>/<entity>/ds=YYYY-MM-DD/part-*.parquet     the data, partitioned by day

Any engine that reads Delta (DuckDB, Spark, Trino, Athena, Polars) reads them as they are.
A run replaces its day in one commit (an overwrite of that day's partition), so a reader
sees the day before or after the commit, whole; two runs writing one day commit one after
the other (the loser of a commit race commits again), so the day ends as one of them wrote it.
A task reads a table at one version throughout (`Table.snapshot`).

No column statistics are kept (`delta.dataSkippingNumIndexedCols` 0): the log would hold the
smallest and largest person_id of every file, which an erasure could not take back. Days
are found by their partition values, which need none.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from socialpulse.lake.storage import LakePath, ensure_dir, on_object_store

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd
    import pyarrow as pa
    import pyarrow.dataset as pads
    import pyarrow.fs as pafs
    from deltalake import DeltaTable
    from deltalake.transaction import AddAction, RemoveAction

log = logging.getLogger(__name__)
DAY = "ds"
HISTORY_DAYS = 7  # old versions of a day are kept this long, for investigations and rollback
CONFIGURATION = {
    "delta.dataSkippingNumIndexedCols": "0",
    "delta.deletedFileRetentionDuration": f"interval {HISTORY_DAYS} days",
    "delta.logRetentionDuration": f"interval {HISTORY_DAYS} days",
}
# A commit's custom metadata names the Airflow run and task that wrote it, as Airflow tells every task's process
# (the AIRFLOW_CTX_* variables it documents for subprocesses); outside Airflow they are empty.
WRITER = {"dag_run_id": "AIRFLOW_CTX_DAG_RUN_ID", "dag_id": "AIRFLOW_CTX_DAG_ID", "task_id": "AIRFLOW_CTX_TASK_ID"}
PANDAS = "socialpulse.pandas"  # a write's pandas metadata, in its commit
PANDAS_LOOKBACK = 50  # commits searched for the newest write's (past deletes and erasure rewrites of other days)
COMMIT_ATTEMPTS = 30  # a day another writer keeps committing (measured: 8 were too few for two in a loop)
BATCH_ROWS = 100_000  # rows turned into Arrow at a time on a write
ORPHAN_HOURS = 6  # a file no commit names is a failed writer's once this old (a day written in parts: within an hour)


def delta_storage_options(path: LakePath) -> dict[str, str]:
    """delta-rs's storage options for a lake path: fsspec's s3 options translated (key pair, endpoint, region).
    Anything else comes from the environment as delta-rs reads it (AWS_CONDITIONAL_PUT=etag for MinIO, ...)."""
    if not on_object_store(path):
        return {}
    fsspec, options = dict(path.storage_options), {}
    if path.protocol in ("s3", "s3a"):
        endpoint = fsspec.get("endpoint_url") or fsspec.get("client_kwargs", {}).get("endpoint_url")
        region = fsspec.get("client_kwargs", {}).get("region_name") or ("us-east-1" if endpoint else None)
        translated = {
            "AWS_ACCESS_KEY_ID": fsspec.get("key"),
            "AWS_SECRET_ACCESS_KEY": fsspec.get("secret"),
            "AWS_SESSION_TOKEN": fsspec.get("token"),
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_REGION": region,
            "AWS_ALLOW_HTTP": "true" if str(endpoint).startswith("http://") else None,
        }
        options = {k: str(v) for k, v in translated.items() if v}
    return options


def _local_filesystem(path: LakePath) -> pafs.FileSystem | None:
    """pyarrow's own file system for a table on a local disk, rooted at it; None (delta-rs's default) on an object
    store. Locally, delta-rs's Python file handler left reads of 200,000 people's events 250 MiB larger (measured in
    the audience steps). On a store, fsspec's handler would be the other choice, but its listings cache never
    expires: a day another process rewrote since this one listed it would not be found."""
    import pyarrow.fs as pafs

    return None if on_object_store(path) else pafs.SubTreeFileSystem(str(path), pafs.LocalFileSystem())


def _scan_options() -> dict[str, Any]:
    """How a day is read whole: without pre-buffering (which keeps every byte range read until the file's scan
    ends) and with one batch and one file read ahead (16 and 4 by default); bench/scan.py measures these options
    on a pass over a day, not on a whole read."""
    import pyarrow.dataset as pads

    return {
        "fragment_scan_options": pads.ParquetFragmentScanOptions(pre_buffer=False),
        "batch_readahead": 1,
        "fragment_readahead": 1,
    }


def _day_batches(dataset: pads.Dataset, ds: str, names: list[str], rows: int) -> Iterator[pa.RecordBatch]:
    """A day's `names` columns, `rows` rows at a time, typed as the table types them (a column a file lacks: nulls),
    read file by file and row group by row group as they are asked for.

    Not pyarrow's dataset scan: it reads ahead of a consumer slower than the disk without bound, pre-buffered or
    not, whatever its read-ahead options, so a pass that writes or computes as it reads held the whole day. Measured
    on a day of 2,000,000 rows (a pseudonym and 20 float columns, 509 MiB of Parquet), over an importing process's
    floor, with 20 ms of work a batch: 438 MiB on the scan without pre-buffering and with one batch ahead, 229 MiB
    on this reader; a bucket of a quarter of the people, 1,255 MiB on the scan's defaults, 367 MiB on this
    (tools: bench/scan.py)."""
    import pyarrow as pa
    import pyarrow.dataset as pads
    import pyarrow.parquet as pq

    fields = [dataset.schema.field(name) for name in names]
    for fragment in dataset.get_fragments(filter=pads.field(DAY) == ds):
        with fragment.filesystem.open_input_file(fragment.path) as source:
            parquet = pq.ParquetFile(source, pre_buffer=False)
            present = [f.name for f in fields if f.name in parquet.schema_arrow.names]
            for batch in parquet.iter_batches(batch_size=rows, columns=present):
                yield pa.RecordBatch.from_arrays(
                    [
                        batch.column(f.name).cast(f.type) if f.name in present else pa.nulls(batch.num_rows, f.type)
                        for f in fields
                    ],
                    schema=pa.schema(fields),
                )


def _nullable(arrow_type: pa.DataType) -> Any:
    """pandas' nullable dtype for Arrow's integers and booleans, as cleaning typed them (Int64, boolean)."""
    import pandas as pd
    import pyarrow as pa

    if pa.types.is_integer(arrow_type):
        return pd.Int64Dtype()
    return pd.BooleanDtype() if pa.types.is_boolean(arrow_type) else None


def no_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame's columns and dtypes without its rows, holding none of its memory: `frame.iloc[:0]`, even copied,
    keeps every buffer of its Arrow-backed columns (an empty slice of them), and a view of its numpy blocks."""
    import pandas as pd

    return pd.DataFrame({name: pd.Series([], dtype=dtype) for name, dtype in frame.dtypes.items()})


@dataclass(frozen=True)
class Snapshot:
    """A table at one version: every read of a task from it sees the same rows."""

    table: DeltaTable
    path: LakePath

    @property
    def version(self) -> int:
        return self.table.version()

    @cached_property
    def pandas_metadata(self) -> str | None:
        """How pandas typed the columns of the newest write (Int64, string, ...), which delta-rs's files do not keep:
        read back, the rows have the dtypes they were written with."""
        for commit in self.table.history(limit=PANDAS_LOOKBACK):
            if PANDAS in commit:
                return str(commit[PANDAS])
        return None

    def rows(self, ds: str) -> int:
        """How many rows the day holds, from the files' footers: nothing is read."""
        import pyarrow.dataset as pads

        return int(
            self.table.to_pyarrow_dataset(filesystem=_local_filesystem(self.path)).count_rows(
                filter=pads.field(DAY) == ds
            )
        )

    def days(self, until: str | None = None) -> list[str]:
        """The days the table holds rows of, up to `until`, oldest first."""
        found = {p[DAY] for p in self.table.partitions()}
        return sorted(d for d in found if until is None or d <= until)

    def read(
        self,
        days: list[str] | None = None,
        columns: list[str] | None = None,
        keep: Callable[[pa.RecordBatch], Any] | None = None,
    ) -> pd.DataFrame:
        """Rows of the days (all when None), oldest day first; a column the table lacks reads as null, and the day
        itself is a column only when asked for. `keep` (a batch of rows -> a boolean mask) takes only some rows,
        batch by batch as they are read: a sample or a bucket of a table too large to hold whole.

        Read a day at a time, joined into one contiguous array per column, then handed to pandas column by column,
        each Arrow column freed as it is converted. The join is one copy while reading, but it frees the scan's many
        small buffers, and the steps after it work on one array, not tens of chunks: measured at 200,000 people,
        the audience steps peaked 14-130 MiB higher on the chunks as read (tools: bench/audience.py)."""
        import pyarrow as pa
        import pyarrow.dataset as pads

        dataset = self.table.to_pyarrow_dataset(filesystem=_local_filesystem(self.path))
        present = [c for c in dataset.schema.names if c != DAY]
        names = [c for c in columns if c in dataset.schema.names] if columns else present
        days = sorted(self.days() if days is None else days)
        if keep is None:
            parts = [dataset.to_table(columns=names, filter=pads.field(DAY) == ds, **_scan_options()) for ds in days]
        else:
            parts = [
                pa.Table.from_batches([batch.filter(pa.array(keep(batch), pa.bool_()))])
                for ds in days
                for batch in _day_batches(dataset, ds, names, BATCH_ROWS)
            ]
        rows = pa.concat_tables([dataset.schema.empty_table().select(names), *parts])
        del parts  # each step below drops what it was made from: no second table shares the columns converted
        rows = rows.combine_chunks()
        pandas = self.pandas_metadata
        rows = rows.replace_schema_metadata({"pandas": pandas} if pandas else None)
        frame = _to_pandas(rows)
        return frame.reindex(columns=columns) if columns else frame

    def batches(self, days: list[str], columns: list[str] | None = None) -> Iterator[pd.DataFrame]:
        """The days' rows (the columns, or all but the day) a batch of at most BATCH_ROWS at a time, typed as read
        types them: for a pass over rows that never holds them all."""
        import pyarrow as pa

        dataset = self.table.to_pyarrow_dataset(filesystem=_local_filesystem(self.path))
        columns = columns or [c for c in dataset.schema.names if c != DAY]
        names = [c for c in columns if c in dataset.schema.names]
        pandas = self.pandas_metadata
        for ds in sorted(days):
            for batch in _day_batches(dataset, ds, names, BATCH_ROWS):
                rows = pa.Table.from_batches([batch]).replace_schema_metadata({"pandas": pandas} if pandas else None)
                yield rows.to_pandas(types_mapper=_nullable).reindex(columns=columns)

    def spill(
        self,
        days: list[str],
        columns: list[str] | None,
        route: Callable[[pa.RecordBatch], Iterable[tuple[int, Any]]],
        files: list[Path],
    ) -> list[str]:
        """The days' columns into local Parquet files in one read: each batch's rows to the files `route` names, as
        (index in `files`, a boolean mask of the rows), a row to several or none. Every file is written, if only
        without rows; read_spilled reads one back typed as read types it. For a step that reads a table in many
        parts: one read of the table, not one a part. Returns the columns (all but the day when None)."""
        import contextlib

        import pyarrow as pa
        import pyarrow.parquet as pq

        dataset = self.table.to_pyarrow_dataset(filesystem=_local_filesystem(self.path))
        columns = columns or [c for c in dataset.schema.names if c != DAY]
        names = [c for c in columns if c in dataset.schema.names]
        pandas = self.pandas_metadata
        schema = pa.schema([dataset.schema.field(n) for n in names], metadata={"pandas": pandas} if pandas else None)
        with contextlib.ExitStack() as stack:
            writers = [stack.enter_context(pq.ParquetWriter(file, schema)) for file in files]
            for ds in sorted(days):
                for batch in _day_batches(dataset, ds, names, BATCH_ROWS):
                    for index, rows in route(batch):
                        writers[index].write_batch(batch.filter(pa.array(rows, pa.bool_())))
        return columns


def read_spilled(file: Path, columns: list[str]) -> pd.DataFrame:
    """A file Snapshot.spill wrote, as Snapshot.read gives the columns (one the table lacks: null), joined into one
    array per column and handed to pandas as read does (a spilled file holds a row group per batch read)."""
    import pyarrow.parquet as pq

    return _to_pandas(pq.read_table(file).combine_chunks()).reindex(columns=columns)


def _to_pandas(rows: pa.Table) -> pd.DataFrame:
    """Rows read, handed to pandas column by column, each Arrow column freed as it is converted (the table is
    unusable after), and what the columns held given back to the system for pandas' use. Pass a table no other
    holds columns of: a table it was made from, still named, would keep them alive."""
    import pyarrow as pa

    frame = rows.to_pandas(types_mapper=_nullable, self_destruct=True, split_blocks=True)
    pa.default_memory_pool().release_unused()
    return frame


@dataclass(frozen=True)
class Table:
    """One entity's table in a zone of the lake."""

    path: LakePath

    @property
    def uri(self) -> str:
        return str(self.path)

    @property
    def storage_options(self) -> dict[str, str]:
        return delta_storage_options(self.path)

    def day_path(self, ds: str) -> str:
        """Where the day's files are, as every engine names a partition: what audit entries and XComs carry."""
        return f"{self.uri}/{DAY}={ds}"

    def snapshot(self, version: int | None = None) -> Snapshot | None:
        """The table as it is now (or at a version); None when nothing was ever written to it."""
        from deltalake import DeltaTable
        from deltalake.exceptions import TableNotFoundError

        try:  # one load: asking first whether the table exists would list its log once more
            return Snapshot(DeltaTable(self.uri, version=version, storage_options=self.storage_options), self.path)
        except TableNotFoundError:
            return None

    def read_days(self, days: list[str] | None = None, columns: list[str] | None = None) -> pd.DataFrame:
        """Rows of the days at the newest version (see Snapshot.read); an empty frame when there is no table."""
        import pandas as pd

        snapshot = self.snapshot()
        return snapshot.read(days, columns) if snapshot else pd.DataFrame(columns=columns or [])

    def read_until(
        self, until: str, columns: list[str] | None = None, newest_only: bool = False
    ) -> pd.DataFrame | None:
        """Rows of every day up to `until`, or of the newest such day only, at one version; None when no day is."""
        snapshot = self.snapshot()
        days = snapshot.days(until) if snapshot else []
        return snapshot.read(days[-1:] if newest_only else days, columns) if snapshot and days else None

    def write_day(self, frame: pd.DataFrame, ds: str) -> int:
        """Replace the day's rows with the frame's in one commit; an empty frame leaves the day without rows.

        Returns the version that holds them: this commit's, or a later one's whose writer replaced the day
        whole in turn. A commit that lost a race to another writer is written again.
        """
        return self.write_day_in_parts([frame], ds)

    def write_day_in_parts(self, frames: Iterable[pd.DataFrame], ds: str) -> int:
        """write_day for a day that comes in parts, each written to a file of its own as it comes and all committed
        at once: the day is never held whole. Every part has the first one's columns and dtypes."""
        self._commit(frames, ds)
        snapshot = self.snapshot()
        assert snapshot is not None  # just written
        return snapshot.version

    def remove_rows(self, owner_of: Callable[[pd.DataFrame], pd.Series]) -> tuple[pd.Series, int]:
        """Rewrite every day holding rows `owner_of` gives an owner (not null) without them, a day at a time, each
        in one commit; (rows removed per owner, days rewritten). A day is read twice, BATCH_ROWS rows at a time and
        never whole: to find its owners, then, when it has some, to write the rest. A day another writer replaced
        meanwhile is read again."""
        import pandas as pd
        from deltalake.exceptions import CommitFailedError

        removed: list[pd.Series] = []
        days = 0
        snapshot = self.snapshot()
        for ds in snapshot.days() if snapshot else []:
            for _ in range(COMMIT_ATTEMPTS):
                assert snapshot is not None  # a table with days
                owners = [owner_of(batch).dropna() for batch in snapshot.batches([ds])]
                if not any(len(found) for found in owners):
                    break
                writer = self.day_writer(ds, snapshot.table)
                for batch in snapshot.batches([ds]):
                    writer.write(batch[owner_of(batch).isna().to_numpy()])
                try:
                    writer.commit()
                except CommitFailedError:  # another writer replaced the day since it was read
                    snapshot = self.snapshot()
                    continue
                removed += owners
                days += 1
                break
            else:
                raise CommitFailedError(f"{self.uri}: day {ds} kept changing while being rewritten; run again")
        return (pd.concat(removed).value_counts() if removed else pd.Series(dtype="int64")), days

    def _commit(self, frames: Iterable[pd.DataFrame], ds: str, base: DeltaTable | None = None) -> None:
        """Replace the day's rows with the frames' in one commit (DayWriter)."""
        writer = self.day_writer(ds, base)
        for frame in frames:
            writer.write(frame)
        writer.commit()

    def day_writer(self, ds: str, base: DeltaTable | None = None) -> DayWriter:
        """A writer of the day in parts, for a step that makes several tables' days in one pass."""
        return DayWriter(self, ds, base)

    def _write_file(self, frame: pd.DataFrame, schema: pa.Schema, ds: str) -> AddAction | None:
        """The frame as one new Parquet file of the day, not yet in the table; None for no rows (the day's removal)."""
        import json
        import time
        import uuid

        import pyarrow as pa
        import pyarrow.parquet as pq
        from deltalake.transaction import AddAction

        if frame.empty:
            return None
        name = f"{DAY}={ds}/part-{uuid.uuid4().hex}.snappy.parquet"
        path = self.path / name
        ensure_dir(path.parent)
        with path.open("wb") as sink, pq.ParquetWriter(sink, schema) as writer:
            for start in range(0, len(frame), BATCH_ROWS):
                part = pa.Table.from_pandas(frame.iloc[start : start + BATCH_ROWS], preserve_index=False)
                writer.write_table(part.cast(schema, safe=False))
        stats = json.dumps({"numRecords": len(frame)})  # no column statistics: see the module's docstring
        return AddAction(name, path.stat().st_size, {DAY: ds}, int(time.time() * 1000), True, stats)

    def delete_days(self, before: str) -> int:
        """Delete the days before a date; how many held rows."""
        snapshot = self.snapshot()
        if snapshot is None:
            return 0
        gone = [d for d in snapshot.days() if d < before]
        if gone:
            listed = ", ".join(f"'{d}'" for d in gone)
            snapshot.table.delete(f"{DAY} IN ({listed})")
        return len(gone)

    def written(self, ds: str) -> bool:
        """Whether a run wrote the day, if only an empty one (which leaves no file): its rows, or its commit in
        the log's HISTORY_DAYS."""
        snapshot = self.snapshot()
        return snapshot is not None and (
            ds in snapshot.days() or any(c["operation"] == "WRITE" for c in self.history(ds, snapshot))
        )

    def history(self, ds: str | None = None, snapshot: Snapshot | None = None) -> list[dict[str, Any]]:
        """The commits of the table (or of the day: those whose predicate names it) in the log's HISTORY_DAYS,
        newest first, each with its version, time, operation, rows added and the Airflow run and task."""
        snapshot = snapshot or self.snapshot()
        if snapshot is None:
            return []
        found = []
        for commit in snapshot.table.history():
            predicate = str(commit.get("operationParameters", {}).get("predicate", ""))  # a delete's
            if ds is None or commit.get(f"socialpulse.{DAY}") == ds or f"'{ds}'" in predicate:
                found.append(
                    {
                        "version": commit.get("version"),
                        "timestamp": commit.get("timestamp"),
                        "operation": commit.get("operation"),
                        "rows_added": int(  # delta-rs's own count for commits written before ours
                            commit.get("socialpulse.rows", commit.get("operationMetrics", {}).get("num_added_rows", 0))
                        ),
                        **{key: commit.get(f"socialpulse.{key}") for key in WRITER},
                    }
                )
        return found

    def remove_old_versions(self) -> int:
        """Delete the files no version of the last HISTORY_DAYS needs, and the log entries as old; how many files
        went (with any file a failed commit left, once as old)."""
        snapshot = self.snapshot()
        if snapshot is None:
            return 0
        removed = snapshot.table.vacuum(dry_run=False, full=True)
        snapshot.table.create_checkpoint()
        snapshot.table.cleanup_metadata()
        return len(removed)

    def remove_history(self) -> int:
        """Delete every file only older versions use (after an erasure: their rows are the erased people's too),
        and the files failed commits left over ORPHAN_HOURS ago; how many went. Time travel then starts here.

        Files no version names yet that are younger are kept: they may be a writer's still committing."""
        snapshot = self.snapshot()
        if snapshot is None:
            return 0
        options: dict[str, Any] = {"dry_run": False, "enforce_retention_duration": False}
        removed = snapshot.table.vacuum(retention_hours=0, full=False, **options)
        removed += snapshot.table.vacuum(retention_hours=ORPHAN_HOURS, full=True, **options)
        return len(removed)


class DayWriter:
    """A day of a table written in parts, each to a file of its own as it comes (write), then put in place of the day
    in one commit (commit). A commit another writer beat is made again on the newer version, unless it was to be
    made on a `base` version read before (the caller decides again).

    The files are written here, BATCH_ROWS at a time and in the parts' order: delta-rs's own writer would hold the
    whole day as Arrow and more, and writes the batches of its input in no set order (delta-rs#2659), where a day
    must read back as it was written. Every part has the first one's columns and dtypes."""

    def __init__(self, table: Table, ds: str, base: DeltaTable | None = None) -> None:
        import pyarrow as pa

        self.table, self.ds, self.base = table, ds, base
        current = base if base is not None else getattr(table.snapshot(), "table", None)
        self.table_schema = pa.schema(current.schema().to_arrow()) if current is not None else None
        self.schema: pa.Schema | None = None
        self.first: pd.DataFrame | None = None  # the first part's columns, without its rows
        self.rows = 0
        self.added: list[AddAction] = []

    def write(self, frame: pd.DataFrame) -> None:
        """One part, to a file of the day; an empty part writes none (and types nothing, unless all are empty)."""
        if self.first is None:
            self.first = no_rows(frame)
        if frame.empty:
            return
        if self.schema is None:  # typed by the first part with rows: an empty one shows no type of a text column
            self.schema = _schema(frame, self.table_schema)
        self.rows += len(frame)
        if (action := self.table._write_file(frame, self.schema.remove_metadata(), self.ds)) is not None:
            self.added.append(action)

    def written(self) -> Written:
        """What was written, to commit here (commit) or in another process (commit_written of several writers'
        parts: mapped tasks, each writing its buckets' files)."""
        import pyarrow as pa

        if self.first is None:
            raise ValueError(f"{self.table.uri}: no frame to write for day {self.ds}")
        schema = self.schema if self.schema is not None else _schema(self.first, self.table_schema)
        if not self.added:  # no rows: a column whose type nothing shows does not set the table's
            current_names = set(self.table_schema.names) if self.table_schema is not None else set()
            typed = pa.Schema.from_pandas(self.first, preserve_index=False)
            schema = pa.schema(
                [f for f in schema if f.name in current_names or not pa.types.is_null(typed.field(f.name).type)],
                metadata=schema.metadata,
            )
        return Written(self.ds, self.rows, schema, tuple(self.added))

    def commit(self) -> None:
        commit_written(self.table, [self.written()], self.base)


@dataclass(frozen=True)
class Written:
    """A day's files a DayWriter wrote, not yet committed, with the schema the day takes: JSON for an XCom."""

    ds: str
    rows: int
    schema: pa.Schema
    added: tuple[AddAction, ...]

    def to_json(self) -> dict[str, Any]:
        import base64
        from dataclasses import asdict

        schema = base64.b64encode(self.schema.serialize().to_pybytes()).decode()
        return {"ds": self.ds, "rows": self.rows, "schema": schema, "added": [asdict(a) for a in self.added]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Written:
        import base64

        import pyarrow as pa
        from deltalake.transaction import AddAction

        schema = pa.ipc.read_schema(pa.py_buffer(base64.b64decode(data["schema"])))
        return cls(data["ds"], data["rows"], schema, tuple(AddAction(**a) for a in data["added"]))


def commit_written(table: Table, parts: list[Written], base: DeltaTable | None = None) -> None:
    """A day written in parts, by one writer or several, put in place of the day in one commit. A commit another
    writer beat is made again on the newer version, unless it was to be made on a `base` version read before."""
    import pyarrow as pa
    from deltalake import CommitProperties, DeltaTable
    from deltalake.exceptions import CommitFailedError

    days = {part.ds for part in parts}
    if len(days) != 1:
        raise ValueError(f"{table.uri}: one day's parts to commit, not {len(days)} days'")
    ds = days.pop()
    added: list[AddAction | RemoveAction] = [action for part in parts for action in part.added]
    rows = sum(part.rows for part in parts)
    typed = [part.schema for part in parts if part.added] or [parts[0].schema]
    schema = typed[0]
    if any(not other.equals(schema) for other in typed[1:]):  # metadata aside
        raise ValueError(f"{table.uri}: the parts of the day {ds} type its columns differently; make them again")
    gone = [a.path for a in added if not (table.path / a.path).exists()]
    if gone:  # an erasure's clean-up took them as a failed writer's: the job ran over ORPHAN_HOURS
        raise FileNotFoundError(
            f"{table.uri}: {len(gone)} of the day {ds}'s {len(added)} files went before their commit; "
            "make the day again (mapped tasks: clear them from their plan on)"
        )
    metadata = {**_writer(), PANDAS: (schema.metadata or {}).get(b"pandas", b"").decode()}
    metadata |= {f"socialpulse.{DAY}": ds, "socialpulse.rows": str(rows)}  # for history()
    columns = schema.remove_metadata().append(pa.field(DAY, pa.string()))

    @retry(
        retry=retry_if_exception_type(CommitFailedError),
        stop=stop_after_attempt(1 if base is not None else COMMIT_ATTEMPTS),
        wait=wait_random_exponential(multiplier=0.05, max=2),
        reraise=True,
    )
    def commit() -> None:
        snapshot = None if base is not None else table.snapshot()
        current = base if base is not None else snapshot.table if snapshot else None
        if current is None:  # the first write: "ignore" when another writer created it meanwhile
            current = DeltaTable.create(
                table.uri,
                columns,
                "ignore",
                [DAY],
                configuration=CONFIGURATION,
                storage_options=table.storage_options,
            )
        paths = current.get_add_actions().column("path").to_pylist()
        if added and {a.path for a in added} == {p for p in paths if p.startswith(f"{DAY}={ds}/")}:
            return  # committed by an earlier try of the task: again, it would remove and add the same files
        current.create_write_transaction(
            added,
            mode="overwrite",
            schema=pa.unify_schemas([pa.schema(current.schema().to_arrow()), columns]),  # a column of other days stays
            partition_by=[DAY],
            partition_filters=[(DAY, "=", ds)],
            commit_properties=CommitProperties(custom_metadata=metadata),
        )

    commit()


def _writer() -> dict[str, str]:
    return {f"socialpulse.{key}": os.environ.get(variable, "") for key, variable in WRITER.items()}


def _schema(frame: pd.DataFrame, table: pa.Schema | None = None) -> pa.Schema:
    """The frame's Arrow schema and pandas metadata, as the table types them: a column the table has keeps the
    table's type (the rows are cast to it, as delta-rs's schema merge did), a new column of nulls only (no type to
    infer) and pandas' large text are text, times are in microseconds (pandas' nanoseconds are finer than Delta
    keeps)."""
    import pyarrow as pa

    schema = pa.Schema.from_pandas(frame, preserve_index=False)
    for index, field in enumerate(schema):
        if table is not None and field.name in table.names:
            schema = schema.set(index, field.with_type(table.field(field.name).type))
        elif pa.types.is_null(field.type) or pa.types.is_large_string(field.type):  # Delta has one type of text
            schema = schema.set(index, field.with_type(pa.string()))
        elif pa.types.is_timestamp(field.type):
            schema = schema.set(index, field.with_type(pa.timestamp("us", field.type.tz)))
    return schema
