import gzip
import json

import pytest

from socialpulse.lake import Lake
from socialpulse.lake import files as lake_files
from socialpulse.lake import storage as lake_storage
from socialpulse.lake.files import RawPayloadError, publish_partition, read_raw_pages, write_raw_pages
from socialpulse.lake.storage import lake_path
from tests.payloads import INSIGHTS_PAGE
from tests.races import WRITERS, race


def test_lake_root_accepts_path_file_url_and_object_store_urls(tmp_path):
    assert lake_path(str(tmp_path)) == tmp_path
    assert lake_path(f"file://{tmp_path}") == tmp_path
    assert not lake_storage.on_object_store(lake_path(tmp_path))
    store = lake_path("memory://bucket/lake")
    assert lake_storage.on_object_store(store) and store.protocol == "memory" and store.path == "/bucket/lake"
    assert [lake_storage.object_store_protocol(r) for r in ("s3://b/l", "gs://b/l", "file:///l", "/l", "C:/l")] == [
        "s3",
        "gs",
        None,
        None,
        None,
    ]
    with pytest.raises(ValueError, match="ftp:// path does not keep its host in the path"):
        lake_path("ftp://host/lake")  # its paths, passed between tasks as text, would lose the host


def test_storage_options_take_the_s3_key_pair_from_login_and_password_and_extras_as_they_are():
    assert lake_storage.storage_options("s3", "AKIA", "s3cret", {"endpoint_url": "http://minio:9000"}) == {
        "endpoint_url": "http://minio:9000",
        "key": "AKIA",
        "secret": "s3cret",
    }
    assert lake_storage.storage_options("gs", None, None, {"token": "/secrets/sa.json"}) == {
        "token": "/secrets/sa.json"
    }
    with pytest.raises(ValueError, match="gs:// lake takes its credentials in the connection's extras"):
        lake_storage.storage_options("gs", "user", "password", {})


def test_raw_pages_are_exact_but_for_the_token(tmp_path):
    manifest = write_raw_pages(tmp_path / "a", [INSIGHTS_PAGE, {"data": []}], {"extracted_at": "t"})
    assert (manifest["pages"], manifest["rows"]) == (2, 2)
    with gzip.open(tmp_path / "a" / "pages.jsonl.gz", "rt") as handle:
        text = handle.read()
    assert "EAAB-secret-token" not in text and "access_token" not in text
    first = json.loads(text.splitlines()[0])
    assert first["data"] == INSIGHTS_PAGE["data"]
    assert first["paging"]["cursors"] == INSIGHTS_PAGE["paging"]["cursors"]
    assert "after=MQZDZD" in first["paging"]["next"]
    assert json.loads((tmp_path / "a" / "_manifest.json").read_text())["rows"] == 2


def test_failed_write_leaves_no_partial_file(tmp_path):
    def pages():
        yield INSIGHTS_PAGE
        raise ConnectionError("network gone")

    with pytest.raises(ConnectionError):
        write_raw_pages(tmp_path / "a", pages(), {})
    assert list((tmp_path / "a").iterdir()) == []  # neither the file nor its hidden temporary


def test_publish_replaces_the_partition_whole(tmp_path):
    lake = Lake.at(tmp_path)
    final = lake.raw_partition("meta_ads", "ads_insights", "2026-11-01")
    for run, accounts in (("run1", ["1", "2"]), ("run2", ["1"])):
        staging = lake.staging("meta_ads", "ads_insights", "2026-11-01", run)
        for account in accounts:
            write_raw_pages(staging / f"account_id={account}", [INSIGHTS_PAGE], {"extracted_at": run})
        publish_partition(staging, final)
    assert sorted(p.name for p in final.iterdir()) == ["account_id=1"]
    assert [m["extracted_at"] for m, _ in read_raw_pages(final)] == ["run2"]
    assert [p.name for p in final.parent.iterdir()] == ["ds=2026-11-01"]  # no staging, no temporary


@pytest.mark.integration  # two publishing processes racing
def test_overlapping_publishers_leave_no_gap_no_error_and_no_orphan(tmp_path):
    final = tmp_path / "raw" / "x" / "posts" / "ds=2026-11-01"
    misses, seen = [], set()

    def staged(folder, writer: str):
        folder.mkdir(parents=True)
        lake_files.write_manifest(folder, {"writer": writer})
        return folder

    def publisher(name: str) -> None:
        for n in range(1500):
            publish_partition(staged(tmp_path / "_staging" / f"{name}-{n}", name), final)

    def look() -> None:
        try:
            seen.add(lake_files.read_manifest(final)["writer"])
        except (FileNotFoundError, ValueError):  # gone, or half written
            misses.append(1)

    publish_partition(staged(tmp_path / "first", "first"), final)
    errors = race(publisher, look)
    assert errors == [] and misses == [] and seen >= set(WRITERS)
    assert [p.name for p in final.parent.iterdir()] == ["ds=2026-11-01"] and list(final.iterdir()) == [
        final / "_manifest.json"
    ]  # no temporary left
    assert list((tmp_path / "_staging").iterdir()) == []


def test_publish_without_staging_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing staged"):
        publish_partition(tmp_path / "missing", tmp_path / "final")


def test_corrupt_raw_line_names_file_and_line(tmp_path):
    directory = tmp_path / "p" / "account_id=1"
    write_raw_pages(directory, [INSIGHTS_PAGE], {"extracted_at": "t"})
    with gzip.open(directory / "pages.jsonl.gz", "at") as handle:
        handle.write('{"data": [\n')
    with pytest.raises(RawPayloadError, match="line 2 is not valid JSON"):
        list(read_raw_pages(tmp_path / "p"))
