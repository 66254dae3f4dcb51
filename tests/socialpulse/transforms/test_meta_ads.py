import json

import pandas as pd
import pytest

from socialpulse.transforms.meta_ads import CLEAN_COLUMNS
from socialpulse.transforms.metrics import derive_rates
from tests.payloads import INSIGHTS_PAGE, insights

MANIFEST = {"extracted_at": "2026-11-02T06:00:00+00:00"}


def _clean(*rows, manifest=MANIFEST):
    return insights([(manifest, {"data": list(rows)})])


def test_documented_page_is_typed_with_actions_as_columns():
    clean, quarantined = insights([(MANIFEST, INSIGHTS_PAGE)])
    assert len(quarantined) == 0
    assert list(clean.columns[: len(CLEAN_COLUMNS)]) == list(CLEAN_COLUMNS)
    row = clean.iloc[0]
    assert (row.impressions, row.reach, row.clicks, row.link_clicks, row.landing_page_views) == (2466, 1980, 51, 40, 31)
    assert (row.likes, row.comments, row.shares) == (22, 1, 3)
    assert row.spend == pytest.approx(18.37)
    assert str(row.metric_date) == "2026-11-01"
    assert row.platform == "meta_ads" and row.currency == "USD"


def test_purchases_reported_three_ways_count_once():
    clean, _ = insights([(MANIFEST, INSIGHTS_PAGE)])
    assert clean.iloc[0].conversions == 2
    assert clean.iloc[0].conversion_value == pytest.approx(59.90)


def test_missing_metrics_are_null_not_zero():
    clean, _ = insights([(MANIFEST, INSIGHTS_PAGE)])
    second = clean.iloc[1]
    assert pd.isna(second.reach)  # not returned
    assert pd.isna(second.link_clicks)  # no actions field at all: unknown
    assert pd.isna(second.conversions)
    assert second.clicks == 0  # returned as "0"


def test_unknown_fields_are_ignored():
    clean, _ = insights([(MANIFEST, INSIGHTS_PAGE)])
    assert "quality_ranking" not in clean.columns


def test_rates_derived_with_null_for_zero_denominators():
    clean, _ = insights([(MANIFEST, INSIGHTS_PAGE)])
    first, second = clean.iloc[0], clean.iloc[1]
    assert first.ctr == pytest.approx(51 / 2466)
    assert first.cpm == pytest.approx(18.37 / 2466 * 1000)
    assert first.engagement_rate == pytest.approx((22 + 1 + 3) / 2466)
    assert first.conversion_rate == pytest.approx(2 / 51)
    assert first.cost_per_conversion == pytest.approx(18.37 / 2)
    assert first.roas == pytest.approx(59.90 / 18.37)
    assert pd.isna(second.cpc)  # zero clicks
    assert pd.isna(second.roas)  # zero spend


def test_untypeable_rows_are_quarantined_with_reason_and_original():
    good = INSIGHTS_PAGE["data"][0]
    bad_number = {**good, "campaign_id": "9", "impressions": "12k"}
    no_key = {k: v for k, v in good.items() if k != "campaign_id"}
    negative = {**good, "campaign_id": "8", "spend": "-1.00"}
    bad_date = {**good, "campaign_id": "7", "date_start": "11/01/2026"}
    clean, quarantined = _clean(good, bad_number, no_key, negative, bad_date)
    assert len(clean) == 1
    assert list(quarantined.reason) == [
        "impressions is not a whole number",
        "campaign_id missing",
        "spend below 0",
        "metric_date is not a YYYY-MM-DD date",
    ]
    assert json.loads(quarantined.original.iloc[0])["impressions"] == "12k"


def test_duplicate_keys_keep_the_latest_extraction():
    row = INSIGHTS_PAGE["data"][0]
    older = ({"extracted_at": "2026-11-02T00:00:00+00:00"}, {"data": [{**row, "impressions": "1"}]})
    newer = ({"extracted_at": "2026-11-03T00:00:00+00:00"}, {"data": [{**row, "impressions": "2"}]})
    clean, _ = insights([newer, older])
    assert list(clean.impressions) == [2]


def test_empty_input_gives_an_empty_typed_frame():
    clean, quarantined = insights([])
    assert len(clean) == 0 and len(quarantined) == 0
    assert "roas" in clean.columns


def test_derive_rates_engagement_needs_all_parts():
    frame = pd.DataFrame(
        {
            "impressions": [100, 100],
            "clicks": [5, 0],
            "spend": [1.0, 0.0],
            "likes": [1, None],
            "comments": [1, 1],
            "shares": [1, 1],
            "conversions": [1, 0],
            "conversion_value": [3.0, 0.0],
        }
    )
    rates = derive_rates(frame)
    assert rates.engagement_rate.iloc[0] == pytest.approx(0.03)
    assert pd.isna(rates.engagement_rate.iloc[1])
