from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from socialpulse.audience.buckets import bucket_of, in_bucket
from socialpulse.jobs import buckets as local_buckets
from socialpulse.jobs.audience import person_bucket
from socialpulse.lake import Lake
from socialpulse.transforms.privacy import Pseudonymizer

DAY, NEXT = "2026-11-01", "2026-11-02"
PEOPLE = [Pseudonymizer("k" * 32).token("crm", str(i)) for i in range(40)]


@pytest.fixture
def table(tmp_path):
    """A day of rows typed as cleaning types them: a person, an alias (another person's pseudonym or none), an
    Int64 and a boolean with nulls, a string; and a row without a person."""
    frame = pd.DataFrame(
        {
            "person_id": pd.array([*PEOPLE, None], dtype="string"),
            "alias": pd.array([PEOPLE[(i * 7) % 40] if i % 3 else None for i in range(41)], dtype="string"),
            "count": pd.array([i if i % 5 else None for i in range(41)], dtype="Int64"),
            "flag": pd.array([bool(i % 2) if i % 4 else None for i in range(41)], dtype="boolean"),
            "topic": [f"t{i % 3}" for i in range(41)],
        }
    )
    lake = Lake.at(tmp_path / "lake")
    lake.features("people").write_day(frame, DAY)
    lake.features("people").write_day(frame.iloc[::-2].assign(topic="next"), NEXT)
    return lake.features("people").snapshot()


@pytest.mark.parametrize(("buckets", "columns"), [(1, None), (3, ["person_id", "count", "flag", "topic", "missing"])])
def test_a_split_bucket_reads_as_the_table_read_for_that_bucket(table, buckets, columns, tmp_path, monkeypatch):
    """The same rows, in the same order (day by day), with the same dtypes; a column the table lacks reads as nulls,
    and a row without a person is in no bucket."""
    monkeypatch.setattr(local_buckets.tempfile, "tempdir", str(tmp_path))
    with local_buckets.LocalBuckets(buckets, "work") as local:
        split = local.split(table, [DAY, NEXT], columns)
        read = [frame for (frame,) in local.each("reading", split)]
    for bucket, frame in enumerate(read):
        pd.testing.assert_frame_equal(frame, table.read([DAY, NEXT], columns, person_bucket(bucket, buckets)))
    assert sum(len(frame) for frame in read) == 40 + 20 and all(len(frame) for frame in read)


def test_a_row_goes_to_the_bucket_of_each_of_its_people(table, tmp_path, monkeypatch):
    monkeypatch.setattr(local_buckets.tempfile, "tempdir", str(tmp_path))
    with local_buckets.LocalBuckets(4, "work") as local:
        split = local.split(table, [DAY], ["person_id", "alias"], people=("person_id", "alias"))
        read = [frame for (frame,) in local.each("reading", split)]
    rows = table.read([DAY], ["person_id", "alias"])
    for bucket, frame in enumerate(read):
        either = in_bucket(rows["person_id"], bucket, 4) | in_bucket(rows["alias"], bucket, 4)
        pd.testing.assert_frame_equal(frame, rows[either].reset_index(drop=True))
    twice = bucket_of(rows["person_id"], 4) != bucket_of(rows["alias"], 4)
    assert sum(len(frame) for frame in read) == rows["person_id"].notna().sum() + (twice & rows["alias"].notna()).sum()


def test_local_copies_go_with_their_work_and_with_a_killed_process(table, tmp_path, monkeypatch):
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    monkeypatch.setattr(local_buckets.tempfile, "tempdir", str(tmp_path))
    left = tmp_path / f"{local_buckets.LocalBuckets.PREFIX}{gone.stdout.strip()}-killed"
    left.mkdir()
    (left / "1-0.parquet").write_bytes(b"people")
    with local_buckets.LocalBuckets(2, "work") as local:
        assert not left.exists() and local.folder.parent == tmp_path
        split = local.split(table, [DAY], ["person_id"])
        first = [frame["person_id"].tolist() for (frame,) in local.each("first", split)]
        assert [frame["person_id"].tolist() for (frame,) in local.each("again", split)] == first
        assert (
            sorted(p for people in first for p in people) == sorted(PEOPLE) and len(list(local.folder.iterdir())) == 2
        )
    assert not local.folder.exists()


def test_only_the_rows_kept_go_to_their_people_and_the_rows_everywhere_go_everywhere(
    table, tmp_path, monkeypatch, caplog
):
    """A keep (here: flag true) limits what goes to people's buckets, not the rows every bucket must see (here:
    topic t0); the progress names the buckets done and the first split's rows so far."""
    import numpy as np
    import pyarrow.compute as pc

    monkeypatch.setattr(local_buckets.tempfile, "tempdir", str(tmp_path))
    with caplog.at_level("INFO", logger=local_buckets.__name__), local_buckets.LocalBuckets(3, "work") as local:
        split = local.split(
            table,
            [DAY],
            ["person_id", "flag", "topic"],
            everywhere=lambda batch: np.asarray(pc.equal(batch.column("topic"), "t0")),
            keep=lambda batch: np.asarray(pc.fill_null(batch.column("flag"), False)),
        )
        read = [frame for (frame,) in local.each("reading", split)]
    rows = table.read([DAY], ["person_id", "flag", "topic"])
    kept = rows["flag"].fillna(False).astype(bool) & rows["person_id"].notna()
    for bucket, frame in enumerate(read):
        wanted = (rows["topic"] == "t0") | (kept & in_bucket(rows["person_id"], bucket, 3))
        pd.testing.assert_frame_equal(frame, rows[wanted].reset_index(drop=True))
    assert kept.sum() and (kept & (rows["topic"] != "t0")).sum() < (rows["topic"] != "t0").sum()
    done = [r.getMessage() for r in caplog.records if " done" in r.getMessage()]
    so_far = [len(read[0]), len(read[0]) + len(read[1]), sum(len(frame) for frame in read)]
    assert [m.split(" (")[0] for m in done] == [
        f"work, reading: bucket {n} of 3 done, {rows} rows of the first table so far"
        for n, rows in enumerate(so_far, 1)
    ]


def test_a_share_of_the_buckets_holds_their_rows_alone_in_the_order_of_every_bucket(table, tmp_path, monkeypatch):
    """A mapped task's share (buckets 1 and 3 of 4): each file holds what the whole split gives that bucket, rows
    of people in other buckets are not kept, and rows that go everywhere go to each of its buckets."""
    import numpy as np
    import pyarrow.compute as pc

    monkeypatch.setattr(local_buckets.tempfile, "tempdir", str(tmp_path))
    columns, people = ["person_id", "alias", "topic"], ("person_id", "alias")

    def everywhere(batch):
        return np.asarray(pc.equal(batch.column("topic"), "t0"))

    with local_buckets.LocalBuckets(4, "whole") as local:
        whole = [f for (f,) in local.each("reading", local.split(table, [DAY], columns, people, everywhere))]
    with local_buckets.LocalBuckets(4, "share", members=[1, 3]) as local:
        split = local.split(table, [DAY], columns, people, everywhere)
        share = [f for (f,) in local.each("reading", split)]
        assert len(list(local.folder.iterdir())) == 2
    assert len(share) == 2 and all(len(frame) for frame in share)
    for frame, bucket in zip(share, [1, 3], strict=True):
        pd.testing.assert_frame_equal(frame, whole[bucket])
