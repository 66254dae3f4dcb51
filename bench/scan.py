"""Reading one large day of a lake table a batch at a time, or one bucket of people of it: peak memory and time
with pyarrow's dataset scan (its defaults; without pre-buffering and with one batch ahead) against the lake's
reader (lake/tables.py `_day_batches`: file by file, row group by row group, as asked for), also behind a consumer
that works on each batch.

A day is written as the pipeline writes it (one Parquet file of row groups of BATCH_ROWS rows) with a person_id
(a pseudonym) and float columns. Each way of reading runs in a process of its own, one after the other, so that
each peak resident memory (VmHWM) is its own; the floor is a process that imports and opens the table, and reads
nothing.

Usage: PYTHONPATH=include python bench/scan.py [--rows 2000000] [--columns 20]
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DAY = "2026-11-01"
WAYS = {
    "floor": "import and open the table only",
    "batches, pyarrow defaults": "every batch of the day, with pyarrow's default scan",
    "batches, no pre-buffering": "the same scan without pre-buffering, one batch and one file read ahead",
    "batches, lake's reader": "every batch of the day, as Snapshot.batches reads it",
    "slow pass, no pre-buffering": "every batch, 20 ms of work each, with the scan without pre-buffering",
    "slow pass, lake's reader": "every batch, 20 ms of work each, as Snapshot.batches reads it",
    "bucket, pyarrow defaults": "a bucket of 1/4 of the people, with pyarrow's default scan",
    "bucket, lake's reader": "a bucket of 1/4 of the people, as Snapshot.read(keep=...) reads it",
}
SLOW_SECONDS = 0.02  # a consumer's work per batch: writing it, or a computation


def write_day(root: Path, rows: int, columns: int) -> None:
    import numpy as np
    import pandas as pd

    from socialpulse.lake.tables import Table

    ids = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(rows)]
    rng = np.random.default_rng(7)
    frame = pd.DataFrame({"person_id": ids, **{f"x{i}": rng.random(rows) for i in range(columns)}})
    Table(root).write_day(frame, DAY)


def read(root: Path, way: str) -> tuple[int, float]:
    """(rows read, seconds) of one way of reading the day."""
    import pyarrow as pa
    import pyarrow.dataset as pads

    from socialpulse.audience.buckets import in_bucket
    from socialpulse.lake import tables

    snapshot = tables.Table(root).snapshot()
    assert snapshot is not None
    dataset = snapshot.table.to_pyarrow_dataset(filesystem=tables._local_filesystem(snapshot.path))
    start, rows = time.perf_counter(), 0
    if way == "floor":
        pass
    elif way.startswith("batches, pyarrow"):
        for batch in dataset.to_batches(filter=pads.field(tables.DAY) == DAY, batch_size=tables.BATCH_ROWS):
            rows += batch.num_rows
    elif way.endswith("no pre-buffering"):
        scan = dataset.to_batches(
            filter=pads.field(tables.DAY) == DAY, batch_size=tables.BATCH_ROWS, **tables._scan_options()
        )
        for batch in scan:
            rows += batch.num_rows
            time.sleep(SLOW_SECONDS if way.startswith("slow") else 0)
    elif way.endswith("lake's reader") and not way.startswith("bucket"):
        for frame in snapshot.batches([DAY]):
            rows += len(frame)
            time.sleep(SLOW_SECONDS if way.startswith("slow") else 0)
    elif way.startswith("bucket, pyarrow"):
        kept = [
            batch.filter(pa.array(in_bucket(batch.column("person_id"), 0, 4)))
            for batch in dataset.to_batches(filter=pads.field(tables.DAY) == DAY)
        ]
        rows = pa.Table.from_batches(kept).num_rows
    else:
        rows = len(snapshot.read([DAY], keep=lambda batch: in_bucket(batch.column("person_id"), 0, 4)))
    return rows, time.perf_counter() - start


def peak_mib() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not carried over from the parent's)."""
    status = Path("/proc/self/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]) / 1024


def measure(root: Path, way: str) -> tuple[int, float, float]:
    """(rows, seconds, peak MiB) of a way of reading, in a process of its own."""
    done = subprocess.run(
        [sys.executable, __file__, "--read", str(root), "--way", way], capture_output=True, text=True, check=True
    )
    rows, seconds, peak = done.stdout.split()
    return int(rows), float(seconds), float(peak)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--columns", type=int, default=20, help="float columns beside person_id")
    parser.add_argument("--read", type=Path, help=argparse.SUPPRESS)  # a measured process's table
    parser.add_argument("--way", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.read:
        rows, seconds = read(args.read, args.way)
        print(rows, seconds, peak_mib())
        return
    with tempfile.TemporaryDirectory(prefix="socialpulse-scan-") as folder:
        root = Path(folder) / "table"
        write_day(root, args.rows, args.columns)
        size = sum(f.stat().st_size for f in root.rglob("*.parquet")) / 2**20
        print(f"one day of {args.rows:,} rows, person_id and {args.columns} float columns: {size:,.0f} MiB of Parquet")
        print("\n| way | rows | seconds | peak MiB | over the floor |\n|---|---:|---:|---:|---:|")
        figures = {way: measure(root, way) for way in WAYS}
        floor = figures["floor"][2]
        for way, (rows, seconds, peak) in figures.items():
            print(f"| {way} | {rows:,} | {seconds:.2f} | {peak:,.0f} | {peak - floor:,.0f} |")
        compared = (("batches", "pyarrow defaults"), ("slow pass", "no pre-buffering"), ("bucket", "pyarrow defaults"))
        for what, other in compared:
            theirs, ours = (figures[f"{what}, {w}"][2] - floor for w in (other, "lake's reader"))
            print(f"{what}: the lake's reader holds {ours / max(theirs, 1):.2f}x what the scan with {other} holds")


if __name__ == "__main__":
    main()
