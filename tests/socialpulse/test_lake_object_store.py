"""The lake's publish protocol on a local disk and on S3 (a local S3 server over HTTP): the same guarantees."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from socialpulse import lake as lake_zone
from socialpulse.jobs.retention import enforce_retention
from socialpulse.lake import files as lake_files
from socialpulse.lake import storage as lake_storage
from tests.payloads import INSIGHTS_PAGE

READS = 40  # a reader's looks at a partition two publishers keep replacing


@pytest.fixture
def lake(local_or_s3_lake: lake_zone.Lake) -> lake_zone.Lake:
    return local_or_s3_lake


def stage(lake: lake_zone.Lake, run: str, accounts: list[str]) -> lake_storage.LakePath:
    staging = lake.staging("meta_ads", "ads_insights", "2026-11-01", run)
    for account in accounts:
        lake_files.write_raw_pages(staging / f"account_id={account}", [INSIGHTS_PAGE], {"extracted_at": run})
    return staging


def test_a_publish_replaces_the_partition_s_files_and_leaves_no_staging(lake):
    final = lake.raw_partition("meta_ads", "ads_insights", "2026-11-01")
    assert not lake_files.partition_exists(final) and lake.raw_partitions("meta_ads", "ads_insights") == []
    lake_files.publish_partition(stage(lake, "run1", ["1", "2"]), final)
    lake_files.publish_partition(stage(lake, "run2", ["1"]), final)
    assert lake_files.partition_exists(final)
    assert [m["extracted_at"] for m, _ in lake_files.read_raw_pages(final)] == ["run2"]  # account 2's files gone
    assert [p.name for p in lake.raw_partitions("meta_ads", "ads_insights")] == ["ds=2026-11-01"]
    assert not any(lake.staging("meta_ads", "ads_insights", "2026-11-01", run).exists() for run in ("run1", "run2"))
    lake_files.remove_tree(final)
    assert not lake_files.partition_exists(final)


def test_a_failed_publish_leaves_the_partition_as_it_was(lake):
    final = lake.root / "reports" / "audience" / "ds=2026-11-01"
    with lake_files.staged(final) as staging:
        lake_files.write_manifest(staging, {"n": 1})
    with pytest.raises(ZeroDivisionError), lake_files.staged(final) as staging:
        lake_files.write_manifest(staging, {"n": 2})
        1 / 0  # noqa: B018 - the step fails before it publishes
    assert lake_files.read_manifest(final) == {"n": 1}
    assert [p.name for p in final.parent.iterdir()] == ["ds=2026-11-01"]  # no staging left beside it


def test_overlapping_publishers_never_show_a_reader_half_a_file_or_none(lake):
    """Two publishers keep replacing a partition's manifest; a reader always finds it, whole."""
    final = lake.root / "reports" / "audience" / "ds=2026-11-01"
    errors, broken, seen, stop = [], [], set(), threading.Event()

    def publish(writer: str, n: int) -> None:
        with lake_files.staged(final) as staging:
            lake_files.write_manifest(staging, {"writer": writer, "n": n})

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
            for read in range(READS * 50):  # READS at least, and until both publishers were seen
                if read >= READS and seen >= {"backfill", "scheduled"}:
                    break
                try:
                    seen.add(lake_files.read_manifest(final)["writer"])
                except (FileNotFoundError, ValueError) as exc:
                    broken.append(exc)
        finally:
            stop.set()

    publish("first", 0)
    writers = [threading.Thread(target=publisher, args=(name,)) for name in ("backfill", "scheduled")]
    for thread in writers:
        thread.start()
    reader()
    for thread in writers:
        thread.join()
    assert errors == [] and broken == [] and seen >= {"backfill", "scheduled"}


def test_files_for_libraries_that_only_know_local_paths(lake):
    folder = lake.root / "models" / "propensity" / "propensity-2026-11-01"
    lake_storage.ensure_dir(folder)  # as the training does: nothing on a store
    with lake_files.local_file_to_write(folder / "model.keras") as local:
        assert isinstance(local, Path) and local.suffix == ".keras"
        local.write_bytes(b"weights")
    with lake_files.local_file_to_read(folder / "model.keras") as local:
        assert local.read_bytes() == b"weights"
    assert [p.name for p in folder.iterdir()] == ["model.keras"]


def test_retention_removes_old_raw_partitions(lake):
    lake_files.publish_partition(
        stage(lake, "old", ["1"]), lake.raw_partition("meta_ads", "ads_insights", "2026-11-01")
    )
    assert enforce_retention(lake, "2026-12-15", 30, ["meta_ads"], []) == {
        "cutoff": "2026-11-15",
        "removed": 1,
        "version_files_removed": 0,
    }
    assert lake.raw_partitions("meta_ads", "ads_insights") == []
