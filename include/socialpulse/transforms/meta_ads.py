"""Meta ads insights payload rows -> typed campaign-day rows.

Metric strings become numbers, `actions` become columns, a purchase reported
under several action types is counted once, unknown fields are ignored and a
metric Meta did not return stays null. An action carrying the attribution windows
we ask for (ads_fields.ATTRIBUTION_WINDOWS) counts their sum, whatever the ad
set's own setting makes of "value"; one without them (a click, a reaction) counts "value".
Rows that break the declared schema (transforms/entities.py), and pages of the wrong shape, are returned apart with
every reason and the original payload.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from typing import cast

import pandas as pd

from socialpulse.connectors.meta.ads_fields import (
    ACTION_COLUMNS,
    ATTRIBUTION_WINDOWS,
    INSIGHTS_FIELDS,
    PURCHASE_ACTION_PRIORITY,
)
from socialpulse.transforms.currency import DEFAULT_REPORTING_CURRENCY, Rates, convert_or_quarantine
from socialpulse.transforms.entities import CAMPAIGN_METRICS
from socialpulse.transforms.metrics import derive_rates
from socialpulse.transforms.validation import Validated, page_rows, validate
from socialpulse.typing_aliases import JsonObject

PLATFORM = "meta_ads"
AMOUNT_COLUMNS = ("spend", "conversion_value")
CLEAN_COLUMNS = CAMPAIGN_METRICS.input_names


def in_windows(action: JsonObject) -> object:
    """An action's count in our attribution windows: their sum when it carries them, else its "value".

    A window value that is not a number is passed on as it is, for validation to refuse.
    """
    windows = [action[w] for w in ATTRIBUTION_WINDOWS if w in action]
    if not windows:
        return action.get("value")
    numbers = [_decimal(w) for w in windows]
    return windows[numbers.index(None)] if None in numbers else str(sum(cast(list[Decimal], numbers)))


def _decimal(value: object) -> Decimal | None:
    """A finite number written as text or a JSON number, else None (true/false is no number)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _actions(values: object) -> dict[str, object] | None:
    if not isinstance(values, list):
        return None
    return {str(a.get("action_type")): in_windows(a) for a in values if isinstance(a, dict)}


def _first_present(actions: dict[str, object] | None, priority: tuple[str, ...]) -> object:
    if actions is None:
        return None
    return next((actions[kind] for kind in priority if kind in actions), 0)


def flatten(row: JsonObject, extracted_at: str) -> JsonObject:
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
        "attribution_setting": row.get("attribution_setting"),
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


def clean_insights(
    pages: Iterable[tuple[JsonObject, JsonObject]], rates: Rates | None, reporting: str = DEFAULT_REPORTING_CURRENCY
) -> Validated:
    """Clean campaign-day rows (rates derived, amounts also in the reporting currency) and quarantined ones.

    Without rates (`None`: none could be had today) every row is kept with its reporting columns null.
    """
    seen: set[str]
    records, problems, seen = [], [], set()
    for manifest, page in pages:
        rows, problem = page_rows(page)
        if problem:
            records.append({"extracted_at": manifest.get("extracted_at"), "_original": json.dumps(page)[:20_000]})
            problems.append(problem)
        for row in rows:
            if not isinstance(row, dict):
                records.append({"extracted_at": manifest.get("extracted_at"), "_original": json.dumps(row)})
                problems.append("row is not a JSON object")
                continue
            seen.update(row)
            records.append(flatten(row, manifest["extracted_at"]))
            problems.append(
                "; ".join(
                    f"{name} is not a list"
                    for name in ("actions", "action_values")
                    if row.get(name) is not None and not isinstance(row[name], list)
                )
            )
    frame = pd.DataFrame.from_records(records, columns=[*CLEAN_COLUMNS, "_original"])
    frame["platform"] = PLATFORM
    schema = CAMPAIGN_METRICS.restrict("currency", rates.currencies) if rates is not None else CAMPAIGN_METRICS
    result = validate(frame, schema, pd.Series(problems, index=frame.index, dtype=object))
    result = convert_or_quarantine(
        replace(result, clean=derive_rates(result.clean)), AMOUNT_COLUMNS, rates, reporting, "metric_date"
    )
    absent = sorted(set(INSIGHTS_FIELDS) - seen - {"actions", "action_values"}) if seen else []
    return replace(result, missing_fields=tuple(absent), unexpected_fields=tuple(sorted(seen - set(INSIGHTS_FIELDS))))
