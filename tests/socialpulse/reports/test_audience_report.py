"""The audience report reads as a marketer expects: formatted numbers, the promotion as it happened, segments by what
sets them apart, the fit at each k, recommendations per group."""

from __future__ import annotations

import pandas as pd

from socialpulse.reports.audience_report import render

SEGMENTS = pd.DataFrame(
    {
        "segment_id": [0, 3],
        "size": [29950, 1204],
        "share": [0.9614, 0.0386],
        "description": ["18-24 (3.0x) · JP (1.7x)", "BR (4.0x) · news (2.5x)"],
        "conversion_rate": [0.519, 0.0104],
        "avg_order_value": [1250.5, 34.72],
        "best_platform": ["x", "unknown"],
        "best_hour": [8, 21],
    }
)
QUALITY = {"hit_rate_at_3": 0.8, "ndcg_at_3": 0.567, "people": 1896}
RECOMMENDATIONS = {
    "blend": {"half_life_days": 30.0, "prior_weight": 16.0, "item_weight": 0.3},
    "model": {**QUALITY, "history": QUALITY, "cold_start": {**QUALITY, "people": 163}},
    "popularity": {**QUALITY, "history": QUALITY, "cold_start": QUALITY},
}
CRITERIA = {"k": 4, "criteria": {str(k): {"bic": 3.4e5 - k * 1e3, "icl": 3.5e5, "silhouette": 0.12} for k in (2, 4)}}
DECISION = "promoted propensity-2026-11-03 over propensity-2026-11-02: ROC AUC +0.0010 against propensity-2026-11-02"


def test_the_report_formats_numbers_for_people_and_says_what_happened():
    targets = pd.DataFrame({"brief": ["us_loyalty"], "size": [29950], "expected_value": [12862.951], "reason": [None]})
    page = render("2026-11-03", {}, SEGMENTS, CRITERIA, {}, DECISION, RECOMMENDATIONS, targets, "EUR")
    assert "e+0" not in page and "29,950" in page and "96.1%" in page and "1.0%" in page
    assert "1,250.50 EUR" in page and "12,862.95 EUR" in page and "21:00" in page
    assert DECISION in page and "18-24 (3.0x) · JP (1.7x)" in page and "what sets it apart" in page
    assert "<td>4 (declared)</td>" in page and "338,000" in page  # the fit at each k, the declared one marked
    assert "halves every 30 days" in page and "cold start" in page and "<td>163</td>" in page
    assert "held out" not in page and "holdout_size" not in page  # columns named for people
