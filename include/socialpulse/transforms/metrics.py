"""Rates derived from campaign counts, identical for every platform."""

from __future__ import annotations

import pandas as pd

# rate -> (numerator, denominator, scale)
RATE_DEFINITIONS: dict[str, tuple[str | tuple[str, ...], str, float]] = {
    "ctr": ("clicks", "impressions", 1.0),
    "cpc": ("spend", "clicks", 1.0),
    "cpm": ("spend", "impressions", 1000.0),
    "engagement_rate": (("likes", "comments", "shares"), "impressions", 1.0),
    "conversion_rate": ("conversions", "clicks", 1.0),
    "cost_per_conversion": ("spend", "conversions", 1.0),
    "roas": ("conversion_value", "spend", 1.0),
}


def derive_rates(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every rate added; a zero or missing denominator gives null, not inf."""
    out = frame.copy()
    for rate, (numerator, denominator, scale) in RATE_DEFINITIONS.items():
        if isinstance(numerator, tuple):
            top = out[list(numerator)].astype("Float64").sum(axis=1, min_count=len(numerator))
        else:
            top = out[numerator].astype("Float64")
        bottom = out[denominator].astype("Float64")
        out[rate] = (top * scale / bottom.where(bottom != 0)).astype("Float64")
    return out
