"""Every kind of malformed payload, through the real clean step: what the user sees, and that raw keeps it all."""

from __future__ import annotations

import copy
import gzip
import json
import logging

import pandas as pd
import pytest

from socialpulse import lake as lake_zone
from socialpulse.jobs import meta_ads
from socialpulse.lake import files as lake_files
from socialpulse.pipeline import landing
from socialpulse.pipeline.quality import QualityGateError, check_quarantine_share
from tests.payloads import INSIGHTS_PAGE

DS = "2026-11-02"


def land_pages(tmp_path, pages: list) -> tuple[str, object]:
    """Land the pages as one account's raw partition, as extract + land would."""
    lake = lake_zone.Lake.at(tmp_path / "lake")
    summary = landing.stage_account(lake, meta_ads.PLATFORM, meta_ads.ENTITY, DS, "run", "1001", iter(pages), {})
    landing.land(lake, meta_ads.PLATFORM, meta_ads.ENTITY, DS, "run", [summary])
    return lake, lake.raw_partition(meta_ads.PLATFORM, meta_ads.ENTITY, DS) / "account_id=1001"


def rows(**changes) -> dict:
    """The documented page with each row changed (None removes a field)."""
    page = copy.deepcopy(INSIGHTS_PAGE)
    for row in page["data"]:
        for name, value in changes.items():
            row.pop(name, None) if value is None else row.__setitem__(name, value)
    return page


def quarantine(lake: str) -> pd.DataFrame:
    return lake.quarantine("campaign_metrics").read_days([DS])


def gate(cleaned: dict) -> None:
    check_quarantine_share(cleaned["audit"], 0.05)


def test_a_truncated_gzip_stops_the_run_naming_the_file_which_stays(tmp_path):
    lake, account = land_pages(tmp_path, [INSIGHTS_PAGE] * 50)
    pages = account / lake_files.PAGES_FILE
    pages.write_bytes(pages.read_bytes()[:-40])
    kept = pages.read_bytes()
    with pytest.raises(
        lake_files.RawPayloadError,
        match=r"pages.jsonl.gz is truncated or corrupt after \d+ lines"
        r".*rerun the extract and land tasks",
    ):
        meta_ads.clean(lake, DS)
    assert pages.read_bytes() == kept
    assert not lake.clean("campaign_metrics").written(DS)


def test_invalid_json_stops_the_run_naming_file_and_line(tmp_path):
    lake, account = land_pages(tmp_path, [INSIGHTS_PAGE])
    pages = account / lake_files.PAGES_FILE
    with gzip.open(pages, "at") as handle:
        handle.write('{"data": [{"campaign_id": \n')
    with pytest.raises(lake_files.RawPayloadError, match=r"pages\.jsonl\.gz line 2 is not valid JSON"):
        meta_ads.clean(lake, DS)
    assert gzip.decompress(pages.read_bytes()).count(b"\n") == 2  # both lines still there


@pytest.mark.parametrize(
    "page",
    [{"data": {"campaign_id": "1"}}, {"error": "surprise"}, ["not", "a", "page"]],
    ids=["data-is-an-object", "no-data", "a-list"],
)
def test_a_page_of_the_wrong_shape_is_quarantined_and_the_gate_says_why(tmp_path, page):
    lake, _ = land_pages(tmp_path, [INSIGHTS_PAGE, page])
    cleaned = meta_ads.clean(lake, DS)
    assert cleaned["rows"] == 2 and cleaned["quarantined"] == 1
    [bad] = quarantine(lake).to_dict("records")
    assert bad["reason"].startswith(("page has no data", "page is not a JSON object"))
    assert json.loads(bad["original"]) == page
    with pytest.raises(
        QualityGateError,
        match=r"campaign_metrics 2026-11-02: 1 of 3 rows quarantined .* top reasons "
        r"\{.page .*.: 1\}, rows and originals at .*quarantine",
    ):
        gate(cleaned)


def test_a_field_changing_type_quarantines_its_rows_with_the_original(tmp_path):
    lake, _ = land_pages(tmp_path, [rows(impressions={"value": "2466"})])
    cleaned = meta_ads.clean(lake, DS)
    assert cleaned["rows"] == 0
    assert set(quarantine(lake).reason) == {"impressions is not a whole number"}
    assert json.loads(quarantine(lake).original[0])["impressions"] == {"value": "2466"}
    with pytest.raises(QualityGateError, match="impressions is not a whole number"):
        gate(cleaned)


def test_actions_changing_type_is_named(tmp_path):
    lake, _ = land_pages(tmp_path, [rows(actions={"link_click": "3"})])
    meta_ads.clean(lake, DS)
    assert set(quarantine(lake).reason) == {"actions is not a list"}


def test_a_new_field_is_ignored_and_reported(tmp_path, caplog):
    lake, _ = land_pages(tmp_path, [rows(brand_new_metric="7")])
    with caplog.at_level(logging.WARNING):
        cleaned = meta_ads.clean(lake, DS)
    assert cleaned["quarantined"] == 0 and cleaned["rows"] == 2
    assert "fields nobody declared, ignored: ['brand_new_metric', 'quality_ranking']" in caplog.text
    gate(cleaned)


def test_a_vanished_optional_field_leaves_nulls_and_is_reported(tmp_path, caplog):
    lake, _ = land_pages(tmp_path, [rows(reach=None)])
    with caplog.at_level(logging.WARNING):
        cleaned = meta_ads.clean(lake, DS)
    assert cleaned["rows"] == 2 and pd.read_parquet(cleaned["clean_path"]).reach.isna().all()
    assert "fields absent from every row (null throughout): ['reach']" in caplog.text


def test_a_vanished_key_field_quarantines_everything_and_stops_the_run(tmp_path):
    lake, account = land_pages(tmp_path, [rows(campaign_id=None)])
    cleaned = meta_ads.clean(lake, DS)
    assert (cleaned["rows"], cleaned["quarantined"]) == (0, 2)
    with pytest.raises(
        QualityGateError,
        match=r"2 of 2 rows quarantined \(100.0% > 5.0%\), top reasons "
        r"\{'campaign_id missing': 2\}",
    ):
        gate(cleaned)
    assert (account / lake_files.PAGES_FILE).exists()  # raw keeps what arrived


def test_a_rerun_with_good_data_clears_the_old_quarantine(tmp_path):
    lake, _ = land_pages(tmp_path, [rows(campaign_id=None)])
    meta_ads.clean(lake, DS)
    lake, _ = land_pages(tmp_path, [INSIGHTS_PAGE])
    assert meta_ads.clean(lake, DS)["quarantined"] == 0
    assert lake.quarantine("campaign_metrics").read_days([DS]).empty
