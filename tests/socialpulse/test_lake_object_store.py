"""The lake's publish protocol on a local disk and on S3 (a local S3 server over HTTP): the same guarantees."""

from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd
import pytest

from socialpulse import lake as lake_zone
from socialpulse.jobs.retention import enforce_retention
from tests.payloads import INSIGHTS_PAGE

READS = 40  # a reader's looks at a partition two publishers keep replacing


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def lake(request, tmp_path) -> lake_zone.Lake:
    if request.param == "local":
        return lake_zone.Lake.at(tmp_path / "lake")
    root, _ = request.getfixturevalue("s3_lake")
    return lake_zone.Lake.at(root)


def stage(lake: lake_zone.Lake, run: str, accounts: list[str]) -> lake_zone.LakePath:
    staging = lake.staging("meta_ads", "ads_insights", "2026-11-01", run)
    for account in accounts:
        lake_zone.write_raw_pages(staging / f"account_id={account}", [INSIGHTS_PAGE], {"extracted_at": run})
    return staging


def test_a_publish_replaces_the_partition_whole_and_keeps_the_previous_version(lake, monkeypatch):
    final = lake.raw_partition("meta_ads", "ads_insights", "2026-11-01")
    assert not lake_zone.partition_exists(final) and lake.raw_partitions("meta_ads", "ads_insights") == []
    lake_zone.publish_partition(stage(lake, "run1", ["1", "2"]), final)
    first = lake_zone.current(final)
    lake_zone.publish_partition(stage(lake, "run2", ["1"]), final)
    assert lake_zone.partition_exists(final) and lake_zone.current(final).name != first.name
    assert [m["extracted_at"] for m, _ in lake_zone.read_raw_pages(final)] == ["run2"]
    assert [p.name for p in lake.raw_partitions("meta_ads", "ads_insights")] == ["ds=2026-11-01"]
    assert [v.name for v in lake_zone.partition_versions(final)] == sorted([first.name, lake_zone.current(final).name])
    assert sorted(p.name for p in first.iterdir()) == ["account_id=1", "account_id=2"]  # untouched, for its readers
    assert not any(lake.staging("meta_ads", "ads_insights", "2026-11-01", run).exists() for run in ("run1", "run2"))
    lake_zone.remove_partition(final)
    assert not lake_zone.partition_exists(final)
    if lake_zone.on_object_store(final):  # a young version the pointer did not name may be a writer's: kept
        assert [v.name for v in lake_zone.partition_versions(final)] == [first.name]
        monkeypatch.setattr(lake_zone.files, "STALE_VERSION_SECONDS", 0)
        lake_zone.remove_partition(final)
    assert lake_zone.partition_versions(final) == []


def test_overlapping_publishers_never_show_a_reader_half_a_partition(lake):
    """Each version holds two files; a reader resolving the partition always finds both, and never nothing."""
    final = lake.root / "reports" / "audience" / "ds=2026-11-01"
    errors, halves, seen, stop = [], [], set(), threading.Event()

    def publish(writer: str, n: int) -> None:
        with lake_zone.staged(final) as staging:
            lake_zone.write_manifest(staging, {"writer": writer, "n": n})
            lake_zone.write_parquet(pd.DataFrame({"n": [n]}), staging / "part.parquet")

    def publisher(name: str) -> None:
        try:
            n = 0
            while not stop.is_set() or n < 3:  # until the reader has read enough, and three at least
                publish(name, n)
                n += 1
        except Exception as exc:
            errors.append(exc)

    def reader() -> None:
        try:
            for _ in range(READS):
                version = lake_zone.current(final)
                try:
                    manifest = lake_zone.read_manifest(version)
                    rows = lake_zone.read_parquet(version / "part.parquet")["n"].tolist()
                except FileNotFoundError:  # locally, two publishes since it resolved: a task's retry reads anew
                    continue
                if rows != [manifest["n"]]:
                    halves.append(version.name)
                seen.add(manifest["writer"])
        finally:
            stop.set()

    publish("first", 0)
    writers = [threading.Thread(target=publisher, args=(name,)) for name in ("backfill", "scheduled")]
    for thread in writers:
        thread.start()
    reader()
    for thread in writers:
        thread.join()
    assert errors == [] and halves == [] and seen >= {"backfill", "scheduled"}


def test_stale_versions_go_once_old_enough(lake, monkeypatch):
    final = lake.root / "reports" / "audience" / "ds=2026-11-01"

    def publish(n: int) -> None:
        with lake_zone.staged(final) as staging:
            lake_zone.write_manifest(staging, {"n": n})

    for n in range(4):
        publish(n)
    kept = 2 if not lake_zone.on_object_store(final) else 4  # on a store, younger than the hour: all stay
    assert len(lake_zone.partition_versions(final)) == kept
    monkeypatch.setattr(lake_zone.files, "STALE_VERSION_SECONDS", 0)
    publish(4)
    assert len(lake_zone.partition_versions(final)) == 2  # the current and the previous
    assert lake_zone.read_manifest(final) == {"n": 4}


def test_files_for_libraries_that_only_know_local_paths(lake):
    folder = lake.root / "models" / "propensity" / "propensity-2026-11-01"
    lake_zone.ensure_dir(folder)  # as the training does: nothing on a store
    with lake_zone.local_file_to_write(folder / "model.keras") as local:
        assert isinstance(local, Path) and local.suffix == ".keras"
        local.write_bytes(b"weights")
    with lake_zone.local_file_to_read(folder / "model.keras") as local:
        assert local.read_bytes() == b"weights"
    assert [p.name for p in folder.iterdir()] == ["model.keras"]


def test_retention_removes_old_raw_partitions(lake):
    lake_zone.publish_partition(stage(lake, "old", ["1"]), lake.raw_partition("meta_ads", "ads_insights", "2026-11-01"))
    assert enforce_retention(str(lake.root), "2026-12-15", 30, ["meta_ads"], []) == {
        "cutoff": "2026-11-15",
        "removed": 1,
        "version_files_removed": 0,
    }
    assert lake.raw_partitions("meta_ads", "ads_insights") == []
