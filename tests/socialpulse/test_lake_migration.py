"""A lake written before the Delta tables (tests/socialpulse/lake_before_delta/, written by the code of a0395ce)
converted in place, locally and on S3, where its partitions' names were pointer objects."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from socialpulse import lake as lake_zone
from socialpulse.lake import files as lake_files
from socialpulse.lake import storage as lake_storage
from socialpulse.lake.migration import migrate
from tests.payloads import INSIGHTS_PAGE

BEFORE = Path(__file__).parent / "lake_before_delta"


@pytest.fixture
def old_lake(local_or_s3_lake: lake_zone.Lake) -> lake_zone.Lake:
    lake = local_or_s3_lake
    if not lake_storage.on_object_store(lake.root):
        shutil.copytree(BEFORE, lake.root, symlinks=True)
        return lake
    for path in BEFORE.rglob("*"):  # as the old code wrote a store: each link a pointer object naming its version
        target = lake.root / str(path.relative_to(BEFORE))
        if path.is_symlink():
            target.write_text(json.dumps({"version": os.readlink(path)}))
        elif path.is_file():
            target.write_bytes(path.read_bytes())
    return lake


def test_an_old_lake_becomes_tables_and_plain_folders_and_a_second_run_changes_nothing(old_lake):
    assert migrate(old_lake) == {"file_partitions": 2, "table_days": 4}
    events = old_lake.clean("engagement_events").snapshot()
    assert events is not None and events.days() == ["2026-11-01", "2026-11-02"]
    day = events.read(["2026-11-01"])
    assert day["kind"].tolist() == ["share"] and str(day["n"].dtype) == "Int64"  # the newest version, typed
    assert old_lake.quarantine("engagement_events").read_days()["reason"].tolist() == ["bad"]
    assert old_lake.features("user_profiles").read_days(["2026-11-02"])["segment_id"].tolist() == [3]
    raw = old_lake.raw_partition("x", "posts", "2026-11-01")
    assert [page for _, page in lake_files.read_raw_pages(raw)] == [{"data": [{"id": "1"}]}]
    assert (old_lake.root / "reports" / "audience" / "ds=2026-11-02" / "report.html").read_text() == "<html></html>"
    hidden = [p for p in old_lake.root.rglob("*") if p.name.startswith(".ds=") or p.name.endswith(".before-delta")]
    assert hidden == []  # no version, lock or folder moved aside is left
    assert migrate(old_lake) == {"file_partitions": 0, "table_days": 0}
    lake_files.publish_partition(stage(old_lake), raw)  # and the new code publishes over a converted partition
    assert [m["extracted_at"] for m, _ in lake_files.read_raw_pages(raw)] == ["new"]


def stage(lake: lake_zone.Lake) -> lake_storage.LakePath:
    staging = lake.staging("x", "posts", "2026-11-01", "new")
    lake_files.write_raw_pages(staging / "account_id=1", [INSIGHTS_PAGE], {"extracted_at": "new"})
    return staging
