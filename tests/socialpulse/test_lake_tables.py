"""The clean, features, quarantine and restricted zones as Delta tables, on a local disk and on S3 (a local S3 server
over HTTP): a day replaced whole, readers never short of one, erasure leaving no byte behind."""

from __future__ import annotations

import pandas as pd
import pytest

from socialpulse import lake as lake_zone
from socialpulse.jobs.erasure import erase_from_lake
from socialpulse.lake import storage as lake_storage
from socialpulse.lake import tables
from socialpulse.transforms.privacy import erasure_digest
from tests.races import WRITERS, race

PUBLISHES = 500  # per publisher, locally; each is one commit (1,500 took six minutes of the suite, 365 s on 2026-12-06)
S3_PUBLISHES = 15  # on the local S3 server, where a commit takes a dozen requests


@pytest.fixture
def lake(local_or_s3_lake: lake_zone.Lake) -> lake_zone.Lake:
    return local_or_s3_lake


def pseudonym(n: int) -> str:
    return f"{n:064x}"


def test_a_day_is_replaced_whole_with_its_types_and_the_run_that_wrote_it(lake, monkeypatch):
    table = lake.clean("crm_users")
    assert table.snapshot() is None and table.read_until("2026-11-02") is None and table.history() == []
    first = pd.DataFrame(
        {
            "person_id": pd.array([pseudonym(1), pseudonym(2)], dtype="string"),
            "age": pd.array([30, None], dtype="Int64"),
            "marketing_consent": pd.array([True, None], dtype="boolean"),
        }
    )
    monkeypatch.setenv("AIRFLOW_CTX_DAG_RUN_ID", "scheduled__2026-11-01")
    created = table.write_day(first, "2026-11-01")
    table.write_day(first.head(1), "2026-11-02")
    monkeypatch.setenv("AIRFLOW_CTX_DAG_RUN_ID", "manual__rerun")
    version = table.write_day(first.tail(1).assign(extra=1.5), "2026-11-01")  # a new column: null before
    snapshot = table.snapshot()
    assert snapshot is not None and snapshot.version == version and snapshot.days() == ["2026-11-01", "2026-11-02"]
    rows = snapshot.read(columns=["person_id", "age", "marketing_consent", "extra"])
    assert rows["person_id"].tolist() == [pseudonym(2), pseudonym(1)]  # oldest day first
    assert rows.dtypes.astype(str).tolist() == ["string", "Int64", "boolean", "float64"]
    assert snapshot.read(["2026-11-02"], ["extra"])["extra"].isna().all()
    assert lake.read_day(table.day_path("2026-11-01"))["person_id"].tolist() == [pseudonym(2)]
    history = table.history("2026-11-01")
    assert [(h["version"], h["dag_run_id"], h["rows_added"]) for h in history] == [
        (version, "manual__rerun", 1),
        (created, "scheduled__2026-11-01", 2),
    ]
    before = table.snapshot(created)  # time travel, as investigations and rollbacks need
    assert before is not None and before.read(["2026-11-01"])["person_id"].tolist() == [pseudonym(1), pseudonym(2)]
    assert table.delete_days(before="2026-11-02") == 1 and table.snapshot().days() == ["2026-11-02"]
    assert table.written("2026-11-02") and not table.written("2026-11-03")
    table.write_day(first.iloc[:0], "2026-11-03")  # a day without rows: written, holding none
    assert table.written("2026-11-03") and table.snapshot().days() == ["2026-11-02"]


def test_a_day_reads_back_in_the_order_it_was_written_whatever_its_chunks(lake):
    """delta-rs's own writer writes the batches of its input in no set order (delta-rs#2659): a frame whose text
    came in several Arrow chunks (pandas 3 after a concat) read back reordered. The table's own file keeps it."""
    table = lake.features("engagement_resolved")
    parts = [
        pd.DataFrame({"n": range(start, start + 50_000), "who": pd.array([f"p{start}"] * 50_000, dtype="str")})
        for start in range(0, 600_000, 50_000)
    ]
    frame = pd.concat(parts, ignore_index=True)
    assert frame["who"].array._pa_array.num_chunks == 12  # as many batches as delta-rs would be handed
    table.write_day(frame, "2026-11-01")
    assert table.read_days(["2026-11-01"])["n"].tolist() == list(range(600_000))


def test_a_day_written_in_parts_is_one_commit_read_back_in_their_order(lake):
    """A day too large to hold comes as parts, each its own file, all committed together."""
    table = lake.clean("engagement_events")
    table.write_day(pd.DataFrame({"n": [-1]}), "2026-11-01")
    parts = (pd.DataFrame({"n": range(start, start + 1000)}) for start in range(0, 5000, 1000))
    before = table.snapshot().version
    version = table.write_day_in_parts(parts, "2026-11-01")
    assert version == before + 1 and table.history("2026-11-01")[0]["rows_added"] == 5000
    assert len(table.snapshot().table.file_uris()) == 5
    assert table.read_days(["2026-11-01"])["n"].tolist() == list(range(5000))
    with pytest.raises(ValueError, match="no frame to write"):
        table.write_day_in_parts(iter([]), "2026-11-01")


def test_a_part_without_rows_types_nothing_and_a_part_gone_before_the_commit_stops_it(lake):
    table = lake.features("propensity_scores")
    writer = table.day_writer("2026-11-01")
    writer.write(pd.DataFrame({"as_of_date": pd.Series([], dtype=object), "score": pd.Series([], dtype=float)}))
    writer.write(pd.DataFrame({"as_of_date": [pd.Timestamp("2026-11-01").date()], "score": [0.5]}))
    writer.commit()
    assert "date32" in str(table.snapshot().table.schema().to_arrow().field("as_of_date")).lower()
    writer = table.day_writer("2026-11-02")
    writer.write(pd.DataFrame({"as_of_date": [pd.Timestamp("2026-11-02").date()], "score": [0.1]}))
    (table.path / writer.added[0].path).unlink()  # as an erasure's clean-up of a failed writer's files would
    with pytest.raises(FileNotFoundError, match="1 of the day 2026-11-02's 1 files went before their commit"):
        writer.commit()
    assert table.snapshot().days() == ["2026-11-01"]


def test_a_failed_write_leaves_the_table_as_it_was(lake):
    table = lake.clean("campaign_metrics")
    written = table.write_day(pd.DataFrame({"a": [1, 2]}), "2026-11-01")
    with pytest.raises(Exception, match="object"):
        table.write_day(pd.DataFrame({"a": [object()]}), "2026-11-01")  # Arrow cannot type a bare object
    assert table.read_days(["2026-11-01"])["a"].tolist() == [1, 2] and table.snapshot().version == written


@pytest.mark.integration  # two publishers racing, a reader polling
def test_overlapping_publishers_leave_a_reader_one_whole_day_never_none(lake):
    """Each publish writes a day of two rows naming its writer and number; a reader never finds the day missing,
    never rows of two publishes, and the day ends as one publisher's last publish wrote it."""
    table = lake.clean("post_metrics")
    publishes = S3_PUBLISHES if lake_storage.on_object_store(lake.root) else PUBLISHES
    misses, mixes, seen = [], [], set()

    def day(writer: str, n: int) -> pd.DataFrame:
        return pd.DataFrame({"writer": [writer, writer], "n": [n, n], "part": [0, 1]})

    def publisher(name: str) -> None:
        for n in range(publishes):
            table.write_day(day(name, n), "2026-11-01")

    def look() -> None:
        rows = table.read_days(["2026-11-01"])
        if rows.empty:
            misses.append(1)
        elif len(rows) != 2 or rows[["writer", "n"]].drop_duplicates().shape[0] != 1:
            mixes.append(len(rows))
        else:
            seen.add(rows["writer"].iloc[0])

    table.write_day(day("first", 0), "2026-11-01")
    table.write_day(day("other day", 0), "2026-11-02")
    errors = race(publisher, look)
    assert errors == [] and misses == [] and mixes == [] and seen >= set(WRITERS)
    final = table.read_days(["2026-11-01"])
    assert final["n"].tolist() == [publishes - 1] * 2 and final["writer"].nunique() == 1
    assert table.read_days(["2026-11-02"])["writer"].tolist() == ["other day"] * 2


def every_byte_under(lake: lake_zone.Lake) -> bytes:
    """Every file under the lake, read as bytes; Parquet's pages decompressed too (a name in a snappy page is not
    its bytes), so a scan sees what any reader could."""
    import io

    import pyarrow.parquet as pq

    root = lake.root
    paths = [p for p in root.rglob("*") if p.is_file()]
    found = []
    for path in paths:
        data = path.read_bytes()
        found.append(data)
        if path.name.endswith(".parquet"):
            found.append(pq.read_table(io.BytesIO(data)).to_pandas().to_csv().encode())
    return b"\n".join(found)


def test_erasure_leaves_no_byte_of_the_person_in_any_version_or_the_log(lake):
    erased, kept = pseudonym(1), pseudonym(2)
    clean, quarantine = lake.clean("engagement_events"), lake.quarantine("engagement_events")
    first = clean.write_day(pd.DataFrame({"person_id": [erased, kept], "kind": ["like", "share"]}), "2026-11-01")
    clean.write_day(pd.DataFrame({"person_id": [erased, kept], "kind": ["like", "like"]}), "2026-11-01")
    clean.write_day(pd.DataFrame({"person_id": [kept], "kind": ["like"]}), "2026-11-02")
    quarantine.write_day(pd.DataFrame({"original": [f'{{"user": "{erased}"}}'], "reason": ["bad"]}), "2026-11-01")
    lake.features("user_profiles").write_day(pd.DataFrame({"person_id": [kept]}), "2026-11-02")
    assert erased.encode() in every_byte_under(lake)
    removed = erase_from_lake(lake, {erased: frozenset({erased})})[erased]
    assert (removed.clean_rows, removed.quarantine_rows, removed.files_rewritten) == (1, 1, 2)
    assert clean.read_days()["person_id"].tolist() == [kept, kept] and quarantine.read_days().empty
    assert erased.encode() not in every_byte_under(lake)
    assert lake.erased() == {erasure_digest(erased)}  # the suppression list holds a digest, not the pseudonym
    with pytest.raises(Exception):  # noqa: B017 - the versions before the erasure are gone with their files
        clean.snapshot(first).read()


def test_rows_are_removed_a_batch_at_a_time_as_at_once(lake, monkeypatch):
    table = lake.clean("engagement_events")
    people = [pseudonym(n % 3) for n in range(7)]
    table.write_day(pd.DataFrame({"person_id": people, "n": range(7)}), "2026-11-01")
    table.write_day(pd.DataFrame({"person_id": [pseudonym(2)], "n": [7]}), "2026-11-02")
    monkeypatch.setattr(tables, "BATCH_ROWS", 2)  # a day read and written in batches of two rows
    removed, days = table.remove_rows(lambda frame: frame["person_id"].map({pseudonym(1): "one"}))
    assert (removed.to_dict(), days) == ({"one": 2}, 1)
    day = table.read_days(["2026-11-01"])
    assert day["n"].tolist() == [0, 2, 3, 5, 6] and pseudonym(1) not in set(day["person_id"])
    assert table.read_days(["2026-11-02"])["n"].tolist() == [7]  # a day without them: not rewritten


def test_duckdb_reads_a_table_as_the_docs_say(lake):
    """docs/lake.md's lines: deltalake hands DuckDB the table's newest version as an Arrow dataset."""
    import duckdb
    from deltalake import DeltaTable

    table = lake.clean("engagement_events")
    table.write_day(pd.DataFrame({"kind": ["like", "like", "share"]}), "2026-11-01")
    table.write_day(pd.DataFrame({"kind": ["like"]}), "2026-11-02")
    table.write_day(pd.DataFrame({"kind": ["share"]}), "2026-11-02")  # replaces the day: DuckDB sees only this
    events = DeltaTable(table.uri, storage_options=table.storage_options).to_pyarrow_dataset()  # noqa: F841
    found = duckdb.sql("SELECT ds, kind, count(*) FROM events GROUP BY ALL ORDER BY ALL").fetchall()
    assert found == [("2026-11-01", "like", 2), ("2026-11-01", "share", 1), ("2026-11-02", "share", 1)]
