"""Meta ads insights payload rows -> typed campaign-day rows.

Metric strings become numbers, `actions` become columns, a purchase reported
under several action types is counted once, unknown fields are ignored and a
metric Meta did not return stays null. Rows that cannot be typed are returned
apart with a reason.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import pandas as pd

from socialpulse.connectors.meta.settings import ACTION_COLUMNS, PURCHASE_ACTION_PRIORITY
from socialpulse.transforms.metrics import derive_rates

PLATFORM = "meta_ads"
KEY_COLUMNS = ("metric_date", "platform", "account_id", "campaign_id")
COUNT_COLUMNS = ("impressions", "reach", "clicks", *ACTION_COLUMNS.values(), "conversions")
AMOUNT_COLUMNS = ("spend", "conversion_value")
CLEAN_COLUMNS = (*KEY_COLUMNS, "campaign_name", "currency", *COUNT_COLUMNS, *AMOUNT_COLUMNS, "extracted_at")


def _actions(values: object) -> dict[str, str] | None:
    if not isinstance(values, list):
        return None
    return {str(a.get("action_type")): a.get("value") for a in values if isinstance(a, dict)}


def _first_present(actions: dict[str, str] | None, priority: tuple[str, ...]) -> object:
    if actions is None:
        return None
    return next((actions[kind] for kind in priority if kind in actions), 0)


def flatten(row: dict, extracted_at: str) -> dict:
    """One payload row as flat strings. An action type Meta left out of a present `actions`
    list is 0 (Meta omits zeros); without an `actions` field the action columns are null."""
    actions = _actions(row.get("actions"))
    conversions = _first_present(actions, PURCHASE_ACTION_PRIORITY)
    conversion_value = _first_present(_actions(row.get("action_values")), PURCHASE_ACTION_PRIORITY)
    if conversion_value is None and conversions == 0:
        conversion_value = 0  # Meta leaves out action_values when nothing was bought
    flat = {
        "metric_date": row.get("date_start"),
        "account_id": row.get("account_id"),
        "campaign_id": row.get("campaign_id"),
        "campaign_name": row.get("campaign_name"),
        "currency": row.get("account_currency"),
        "impressions": row.get("impressions"),
        "reach": row.get("reach"),
        "clicks": row.get("clicks"),
        "spend": row.get("spend"),
        "conversions": conversions,
        "conversion_value": conversion_value,
        "extracted_at": extracted_at,
        "_original": json.dumps(row, sort_keys=True),
    }
    for action_type, column in ACTION_COLUMNS.items():
        flat[column] = None if actions is None else actions.get(action_type, 0)
    return flat


def clean_insights(pages: Iterable[tuple[dict, dict]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(clean rows, quarantined rows with `reason` and `original`) from (manifest, page) pairs."""
    records = [flatten(row, manifest["extracted_at"])
               for manifest, page in pages for row in page.get("data") or [] if isinstance(row, dict)]
    frame = pd.DataFrame.from_records(records, columns=[*CLEAN_COLUMNS, "_original"])
    frame["platform"] = PLATFORM
    reasons = pd.Series("", index=frame.index, dtype="object")
    for column in ("metric_date", "account_id", "campaign_id"):
        reasons = reasons.where(frame[column].notna(), reasons + f"{column} missing; ")
    dates = pd.to_datetime(frame["metric_date"], format="%Y-%m-%d", errors="coerce")
    reasons = reasons.where(dates.notna() | frame["metric_date"].isna(), reasons + "date_start is not YYYY-MM-DD; ")
    frame["metric_date"] = dates.dt.date
    for column in (*COUNT_COLUMNS, *AMOUNT_COLUMNS):
        parsed = pd.to_numeric(frame[column].astype("string"), errors="coerce")
        bad = frame[column].notna() & parsed.isna()
        negative = parsed < 0
        reasons = reasons.where(~bad, reasons + f"{column} is not a number; ")
        reasons = reasons.where(~negative.fillna(False), reasons + f"{column} is negative; ")
        frame[column] = parsed.round().astype("Int64") if column in COUNT_COLUMNS else parsed.astype("Float64")
    for column in ("account_id", "campaign_id", "campaign_name", "currency"):
        frame[column] = frame[column].astype("string")
    frame["extracted_at"] = pd.to_datetime(frame["extracted_at"], utc=True)
    bad_rows = reasons != ""
    quarantine = pd.DataFrame({"reason": reasons[bad_rows].str.rstrip("; "),
                               "original": frame.loc[bad_rows, "_original"]})
    clean = frame.loc[~bad_rows, list(CLEAN_COLUMNS)]
    clean = (clean.sort_values("extracted_at", kind="stable")
             .drop_duplicates(list(KEY_COLUMNS), keep="last")
             .sort_values(list(KEY_COLUMNS), kind="stable")
             .reset_index(drop=True))
    return derive_rates(clean), quarantine.reset_index(drop=True)
