"""Delta Lake (deltalake, delta-rs) against Apache Iceberg (pyiceberg, SQL catalog on SQLite) on the lake's workload.

Engagement events (ds, platform, post_id, person_id: a 64-hex pseudonym, kind, occurred_at: UTC microseconds) in one
table partitioned by ds, both formats in one process, on local disk then on S3 (moto's server). Timed, in seconds:

  write       one day of N rows into a new table (best of --runs, a fresh table each time)
  read        that day to pandas, all columns and 3 columns (best of --runs)
  overwrite   that day with a new frame while another day exists, which must stay untouched (best of --runs)
  race        two threads each overwriting the same day 20 times: exceptions raised (conflicts), pyiceberg's own
              commit retries, and whether the day ends as exactly one writer's frame
  erase       1,000 people's rows (Delta: merge with when_matched_delete, as DeltaTable.delete(predicate) writes the
              ids into the log; Iceberg: delete with an In filter), then Delta's vacuum (full, no retention) or
              Iceberg's expire_snapshots, which in pyiceberg 0.12 deletes no file (and it has no orphan-file removal:
              a sweep of unreferenced data files, by hand, follows)
then every file under the table's folder is scanned, decoded (Parquet re-encoded uncompressed, Avro blocks inflated),
for the erased ids. Tables set delta.dataSkippingNumIndexedCols=0 or write.metadata.metrics.column.person_id=none; a
side table of erased people only, with default statistics, shows what lands in the metadata without them.

Usage: PYTHONPATH=/tmp/iceberg-lib:include python bench/table_formats.py [--rows 1000000] [--s3-rows 100000] [--runs 3]
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
import tempfile
import time
import zlib
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, Self

import deltalake
import fsspec
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from clean import best_of  # bench/clean.py, beside this file
from deltalake import DeltaTable, write_deltalake

try:
    import pyiceberg
    from pyiceberg.catalog.sql import SqlCatalog
    from pyiceberg.expressions import EqualTo, In
except ImportError:
    pyiceberg = None
PIP = (
    f"{sys.executable} -m pip install --no-deps --target /tmp/iceberg-lib pyiceberg==0.12.0 mmh3 pyroaring "
    "strictyaml zstandard, then run with PYTHONPATH=/tmp/iceberg-lib:include"
)
DAY, OTHER = "2026-11-02", "2026-11-01"
PLATFORMS, KINDS = np.array(["facebook", "instagram", "x"]), np.array(["like", "comment", "share"])
HEXES = np.random.default_rng(0).bytes(60_000 * 32).hex()
POOL = np.array([HEXES[i : i + 64] for i in range(0, len(HEXES), 64)])  # 60,000 people's pseudonyms
HEX, VARINTS = re.compile(rb"[0-9a-f]{16,}"), re.compile(rb"(?:[\x80-\xff]*[\x00-\x7f]){2}")


def events(rows: int, day: str, seed: int, pool: np.ndarray = POOL) -> pa.Table:
    rng = np.random.default_rng(seed)
    start = np.datetime64(f"{day}T00:00:00", "us").astype("int64")
    columns = {"ds": np.full(rows, day), "platform": PLATFORMS[rng.integers(0, 3, rows)]}
    columns["post_id"] = np.char.add("post", rng.integers(0, 2_000, rows).astype(str))
    columns |= {"person_id": pool[rng.integers(0, len(pool), rows)], "kind": KINDS[rng.integers(0, 3, rows)]}
    occurred = pa.array(start + rng.integers(0, 86_400_000_000, rows), pa.timestamp("us", tz="UTC"))
    return pa.table({k: pa.array(v) for k, v in columns.items()} | {"occurred_at": occurred})


class Lake:
    def __init__(self, root: str, fs: Any, db: str, delta: dict | None = None, iceberg: dict | None = None) -> None:
        self.root, self.fs, self.delta_options, self.catalog = root, fs, delta, None
        if pyiceberg is not None:
            self.catalog = SqlCatalog("bench", uri=f"sqlite:///{db}", warehouse=root, **(iceberg or {}))
            self.catalog.create_namespace_if_not_exists("bench")


class Delta:
    name = "Delta"

    def __init__(self, lake: Lake, table: str, stats: bool = False) -> None:
        self.lake, self.root, self.storage = lake, f"{lake.root}/delta/{table}", lake.delta_options
        self.config = None if stats else {"delta.dataSkippingNumIndexedCols": "0"}

    def table(self) -> DeltaTable:
        return DeltaTable(self.root, storage_options=self.storage)

    def write(self, data: pa.Table) -> Self:
        options = {"configuration": self.config, "storage_options": self.storage}
        write_deltalake(self.root, data, partition_by=["ds"], mode="append", **options)
        return self

    def read(self, day: str, columns: list[str] | None = None) -> Any:
        return self.table().to_pandas(partitions=[("ds", "=", day)], columns=columns)

    def overwrite(self, data: pa.Table) -> None:
        write_deltalake(self.root, data, mode="overwrite", predicate=f"ds = '{DAY}'", storage_options=self.storage)

    def erase(self, ids: np.ndarray) -> None:
        merger = self.table().merge(pa.table({"person_id": ids}), "t.person_id = s.person_id", "s", "t")
        merger.when_matched_delete().execute()

    def clean(self) -> None:
        self.table().vacuum(retention_hours=0, dry_run=False, enforce_retention_duration=False, full=True)


class Iceberg:
    name = "Iceberg"

    def __init__(self, lake: Lake, table: str, stats: bool = False) -> None:
        self.lake, self.ident, self.root = lake, f"bench.{table}", f"{lake.root}/iceberg/{table}"
        props = {} if stats else {"write.metadata.metrics.column.person_id": "none"}
        created = lake.catalog.create_table(self.ident, events(1, DAY, 0).schema, self.root, properties=props)
        created.update_spec().add_identity("ds").commit()

    def table(self) -> Any:
        return self.lake.catalog.load_table(self.ident)

    def write(self, data: pa.Table) -> Self:
        self.table().append(data)
        return self

    def read(self, day: str, columns: list[str] | None = None) -> Any:
        return self.table().scan(row_filter=EqualTo("ds", day), selected_fields=tuple(columns or ["*"])).to_pandas()

    def overwrite(self, data: pa.Table) -> None:
        self.table().overwrite(data, overwrite_filter=EqualTo("ds", DAY))

    def erase(self, ids: np.ndarray) -> None:
        self.table().delete(In("person_id", ids.tolist()))

    def clean(self) -> None:
        self.table().maintenance.expire_snapshots().older_than(datetime.now(UTC)).commit()

    def sweep(self) -> None:
        """Delete data files the current snapshot does not reference (pyiceberg 0.12 has no remove_orphan_files)."""
        live = {strip(p) for p in self.table().inspect.files()["file_path"].to_pylist()}
        self.lake.fs.invalidate_cache()
        if dead := [p for p in self.lake.fs.find(f"{strip(self.root)}/data") if p not in live]:
            self.lake.fs.rm(dead)


def strip(uri: str) -> str:
    return uri.split("://", 1)[-1]


def decoded(path: str, raw: bytes) -> bytes:
    """The file's bytes, then what a reader sees: Parquet re-encoded uncompressed, Avro's blocks inflated."""
    if path.endswith(".parquet"):
        sink = pa.BufferOutputStream()
        pq.write_table(pq.read_table(pa.BufferReader(raw)), sink, compression="none", use_dictionary=False)
        return raw + sink.getvalue().to_pybytes()
    if not path.endswith(".avro"):
        return raw
    header, *parts = raw.split(raw[-16:])  # the sync marker ends the header and each block (2 varints, then data)
    data = [part[VARINTS.match(part).end() :] for part in parts if part]
    return raw + b"".join(zlib.decompress(d, -15) if b"deflate" in header else d for d in data)


def holding(fmt: Delta | Iceberg, ids: np.ndarray, width: int = 64) -> str:
    """'files holding an erased id (its first `width` characters) / files under the table's folder'."""
    wanted, fs = {i.encode()[:width] for i in ids}, fmt.lake.fs
    fs.invalidate_cache()
    files = fs.find(strip(fmt.root))
    hits = sum(any(m[0][:width] in wanted for m in HEX.finditer(decoded(p, fs.cat_file(p)))) for p in files)
    return f"{hits} / {len(files)}"


class Retries(logging.Handler):
    count = 0

    def emit(self, record: logging.LogRecord) -> None:
        Retries.count += "retrying" in record.getMessage()


def race(fmt: Delta | Iceberg, rows: int) -> dict[str, Any]:
    frames = [events(rows, DAY, 100 + w, POOL[w * 30_000 : (w + 1) * 30_000]) for w in range(2)]
    fmt.write(frames[0])
    errors: Counter[str] = Counter()
    Retries.count = 0

    def writer(frame: pa.Table) -> None:
        for _ in range(20):
            try:
                fmt.overwrite(frame)
            except Exception as exc:
                errors[type(exc).__name__] += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(2) as threads:
        list(threads.map(writer, frames))
    seconds, final = time.perf_counter() - started, sorted(fmt.read(DAY, ["person_id"])["person_id"])
    out = {"race 2x20 overwrites s": seconds, "conflicts raised": ", ".join(f"{n} {k}" for k, n in errors.items())}
    out["commit retries (internal)"] = Retries.count if isinstance(fmt, Iceberg) else "-"
    return out | {"final day = one writer's frame": any(final == sorted(f["person_id"].to_pylist()) for f in frames)}


def measure(kind: type[Delta | Iceberg], lake: Lake, rows: int, runs: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    day, tables = events(rows, DAY, 1), iter(range(100))
    out["write day s"], fmt = best_of(runs, lambda: kind(lake, f"events{next(tables)}").write(day))
    lake.fs.invalidate_cache()
    out["write rows/s"], out["bytes on disk (day)"] = round(rows / out["write day s"]), lake.fs.du(strip(fmt.root))
    fmt.write(other := events(rows // 10, OTHER, 2))
    out["read day s"], _ = best_of(runs, lambda: fmt.read(DAY))
    out["read rows/s"] = round(rows / out["read day s"])
    out["read day, 3 columns s"], _ = best_of(runs, lambda: fmt.read(DAY, ["platform", "person_id", "kind"]))
    new = events(rows, DAY, 3)
    out["overwrite day s"], _ = best_of(runs, lambda: fmt.overwrite(new))
    untouched = sorted(fmt.read(OTHER, ["person_id"])["person_id"]) == sorted(other["person_id"].to_pylist())
    out["overwrite ok, other day untouched"] = len(fmt.read(DAY, ["kind"])) == rows and untouched
    out |= race(kind(lake, "race"), min(rows, 10_000))
    ids = POOL[:1_000]
    out["erase 1,000 people s"], _ = best_of(1, lambda: fmt.erase(ids))
    left = np.concatenate([fmt.read(d, ["person_id"])["person_id"].to_numpy() for d in (DAY, OTHER)])
    out["rows left / erased ids readable"] = f"{len(left):,} / {np.isin(left, ids).sum()}"
    out["vacuum | expire snapshots s"], _ = best_of(1, fmt.clean)
    out["files with erased ids / files"] = holding(fmt, ids)
    out["orphan sweep by hand s"] = out["after sweep: files with ids / files"] = "-"
    if isinstance(fmt, Iceberg):
        out["orphan sweep by hand s"], _ = best_of(1, fmt.sweep)
        out["after sweep: files with ids / files"] = holding(fmt, ids)
    side = kind(lake, "default_stats", stats=True).write(events(2_000, DAY, 4, ids))  # every min/max is erased
    side.erase(ids)
    side.clean()
    if isinstance(side, Iceberg):
        side.sweep()
    out["default stats: files with ids | 16-char prefix"] = f"{holding(side, ids)} | {holding(side, ids, 16)}"
    return out


def show(title: str, results: dict[str, dict[str, Any]]) -> None:
    names = list(results)
    print(title)
    print(f"  {'':<48}" + "".join(f"{n:>24}" for n in names) + ("   Delta/Iceberg" if len(names) == 2 else ""))
    for key in dict.fromkeys(k for r in results.values() for k in r):
        cells = [results[n].get(key, "-") for n in names]
        text = [f"{c:,.3f}" if isinstance(c, float) else f"{c:,}" if type(c) is int else str(c) for c in cells]
        numbers = len(cells) == 2 and all(type(c) in (int, float) and c for c in cells)
        ratio = f"{cells[0] / cells[1]:>16.2f}" if numbers else ""
        print(f"  {key:<48}" + "".join(f"{t:>24}" for t in text) + ratio)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--s3-rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    logging.getLogger("pyiceberg").addHandler(Retries())
    logging.getLogger("pyiceberg").propagate = False  # counted, not printed
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server logs every request
    kinds: list[type[Delta | Iceberg]] = [Delta] + ([Iceberg] if pyiceberg else [])
    versions = f"deltalake {deltalake.__version__}" + (f", pyiceberg {pyiceberg.__version__}" if pyiceberg else "")
    if pyiceberg is None:
        print(f"pyiceberg is absent: Delta only. To add Iceberg: {PIP}")
    with tempfile.TemporaryDirectory() as folder:
        lake = Lake(f"file://{folder}", fsspec.filesystem("file"), f"{folder}/catalog.db")
        results = {k.name: measure(k, lake, args.rows, args.runs) for k in kinds}
        show(f"{args.rows:,} events of one day, local disk, best of {args.runs}; {versions}", results)

        from moto.server import ThreadedMotoServer
        from s3fs import S3FileSystem

        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        try:
            endpoint, key, secret = "http://{}:{}".format(*server.get_host_and_port()), "bench", "bench-secret"
            (s3 := S3FileSystem(endpoint_url=endpoint, key=key, secret=secret)).mkdir("bench-lake")
            delta = {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret}
            delta |= {"AWS_REGION": "us-east-1", "AWS_ALLOW_HTTP": "true"}  # and no AWS_S3_ALLOW_UNSAFE_RENAME
            iceberg = {"s3.endpoint": endpoint, "s3.access-key-id": key, "s3.secret-access-key": secret}
            lake = Lake("s3://bench-lake", s3, f"{folder}/catalog-s3.db", delta, iceberg | {"s3.region": "us-east-1"})
            results = {k.name: measure(k, lake, args.s3_rows, args.runs) for k in kinds}
            show(f"{args.s3_rows:,} events of one day, S3 (moto server), best of {args.runs}", results)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
