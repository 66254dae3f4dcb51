"""The CRM drop, step by step: land the day's files, type them, keep the matching keys, credit orders to campaigns.

The drop is personal data: its headers are checked with messages that quote no cell, and
cleaning runs under `withholding_values`, so an error of any kind names a file, column
or line, never a cell.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from socialpulse import lake as lake_zone
from socialpulse.connectors.crm import DROP_FILES, fetch_drop
from socialpulse.errors import withholding_values
from socialpulse.lake import files as lake_files
from socialpulse.typing_aliases import JsonObject

if TYPE_CHECKING:
    import pandas as pd

    from socialpulse.transforms.match_keys import MatchKeys

PLATFORM = "crm"
MATCH_KEYS = "match_keys"
KEEP_MATCH_KEYS_DAYS = 7  # each day's keys are a full copy; activation reads the newest
log = logging.getLogger(__name__)


def _entity(name: str) -> str:
    return name.removesuffix(".csv")


def extract(source: str, lake: lake_zone.Lake, ds: str, run_id: str) -> JsonObject:
    """Land users.csv and orders.csv of the day as exact gzipped files, each partition replaced whole."""
    drop = fetch_drop(source, ds)  # each header checked: its errors name files and columns, never a cell
    extracted_at = datetime.now(UTC).isoformat()
    counts = {}
    for name in DROP_FILES:
        staging = lake.staging(PLATFORM, _entity(name), ds, run_id)
        manifest = lake_files.write_raw_file(
            staging,
            name,
            drop[name],
            {"platform": PLATFORM, "entity": _entity(name), "ds": ds, "extracted_at": extracted_at},
        )
        lake_files.publish_partition(staging, lake.raw_partition(PLATFORM, _entity(name), ds))
        counts[_entity(name)] = manifest["rows"]
    log.info("CRM drop of %s landed: %s", ds, counts)
    return counts


def clean(
    lake: lake_zone.Lake, ds: str, secret: str, rates_source: str | None = None, reporting: str = "USD"
) -> JsonObject:
    """Validated, pseudonymised users and orders of the day into the clean zone; bad rows quarantined; the consenting
    users' matching keys into the restricted zone (transforms.match_keys).

    Both files are validated, and the keys computed, before anything is written, so a file that
    stops the step (a column that looks personal throughout) leaves the day as it was.
    """
    import pandas as pd

    from socialpulse.pipeline import quality
    from socialpulse.pipeline.rates import rates_for_run
    from socialpulse.transforms.crm import clean_orders, clean_users
    from socialpulse.transforms.match_keys import match_keys
    from socialpulse.transforms.privacy import Pseudonymizer

    rates, reporting = rates_for_run(lake, ds, rates_source, reporting)
    pseudonymizer, erased = Pseudonymizer(secret), lake.erased()
    cleaners = {
        "users": lambda payload: clean_users(payload, pseudonymizer, erased),
        "orders": lambda payload: clean_orders(payload, pseudonymizer, rates, reporting, erased),
    }
    payloads, validated, stats = {}, {}, {}
    for name in DROP_FILES:
        entity = _entity(name)
        raw = lake.raw_partition(PLATFORM, entity, ds)
        if not lake_files.partition_exists(raw):
            raise FileNotFoundError(f"no raw CRM {entity} at {raw}: run extract_crm for {ds} first")
        payloads[entity] = lake_files.read_raw_file(raw, name)
        with withholding_values(f"cleaning {name} of {ds}"):
            validated[entity] = cleaners[entity](payloads[entity])
        stats[entity] = quality.raw_stats(raw)
    with withholding_values(f"computing the matching keys of users.csv of {ds}"):
        keys = match_keys(payloads.pop("users"), pseudonymizer, validated["users"].clean)
    result, audit, findings = {}, [], []
    for entity, checked in validated.items():
        checked.clean["extracted_at"] = pd.Timestamp(stats[entity]["extracted_at"])
        audit.append(quality.publish(lake, f"crm_{entity}", ds, checked, stats[entity]))
        findings += quality.empty_input(f"crm_{entity}", f"{entity}.csv", ds, checked)
        result[entity] = {
            "clean_path": audit[-1]["clean_path"],
            "rows": len(checked.clean),
            "quarantined": len(checked.quarantined),
        }
    audit.append(publish_match_keys(lake, ds, keys, stats["users"]["extracted_at"]))
    result["match_keys"] = {"people": audit[-1]["rows_clean"], "dropped": keys.dropped}
    return {**result, "audit": audit, "findings": findings}


def publish_match_keys(lake: lake_zone.Lake, ds: str, keys: MatchKeys, extracted_at: str) -> JsonObject:
    """Write the day's keys to the restricted zone, keep KEEP_MATCH_KEYS_DAYS of them; the audit entry.

    Like every publish, the suppression list is read again afterwards, so an erasure that ran
    meanwhile leaves no key behind. The audit counts people with a key (rows_clean) among the
    consenting (rows_in), and the values dropped by reason (top_reasons): none is quarantined,
    as a quarantined copy would keep the raw value.
    """
    from socialpulse.transforms.privacy import erased_rows

    frame = keys.keys
    while True:
        lake.restricted(MATCH_KEYS).write_day(frame, ds)
        gone = erased_rows(frame["person_id"], lake.erased())
        if not gone.any():
            break
        frame = frame[~gone].reset_index(drop=True)
    cutoff = (date.fromisoformat(ds) - timedelta(days=KEEP_MATCH_KEYS_DAYS)).isoformat()
    lake.restricted(MATCH_KEYS).delete_days(before=cutoff)
    lake.restricted(MATCH_KEYS).remove_old_versions()  # the versions older than the tables' history, too
    if keys.dropped:
        log.warning("matching keys of %s: values that cannot be normalised, not kept: %s", ds, keys.dropped)
    log.info("matching keys of %s: %d of %d consenting people have one", ds, len(frame), keys.consenting)
    return {
        "ds": ds,
        "entity": f"{PLATFORM}_{MATCH_KEYS}",
        "rows_in": keys.consenting,
        "rows_clean": len(frame),
        "rows_quarantined": 0,
        "duplicates_dropped": 0,
        "quarantined_share": 0.0,
        "top_reasons": json.dumps(keys.dropped),
        "pages": None,
        "bytes": None,
        "clean_path": lake.restricted(MATCH_KEYS).day_path(ds),
        "quarantine_path": None,
        "extracted_at": extracted_at,
    }


def read_match_keys(lake: lake_zone.Lake, ds: str) -> pd.DataFrame:
    """The matching keys of the newest CRM drop up to ds (person_id, email_sha256, phone_sha256); none: no rows."""
    import pandas as pd

    keys = lake.restricted(MATCH_KEYS).read_until(ds, newest_only=True)
    if keys is None:
        return pd.DataFrame({"person_id": [], "email_sha256": [], "phone_sha256": []}, dtype="string")
    return keys


def credit(conn: Any, lake: lake_zone.Lake, orders_path: str, ds: str) -> JsonObject:
    """Credit the day's orders to campaign_metrics_daily by utm_campaign."""

    from socialpulse.transforms.crm import attribution
    from socialpulse.warehouse.attribution import credit_orders

    orders = lake.read_day(orders_path)
    result = credit_orders(conn, date.fromisoformat(ds), attribution(orders))
    if result.unmatched_campaigns:
        log.warning("orders name campaigns with no row on %s: %s", ds, list(result.unmatched_campaigns))
    log.info("credited %d campaigns (%d rows changed)", result.campaigns_credited, result.rows_changed)
    return {
        "campaigns_credited": result.campaigns_credited,
        "rows_changed": result.rows_changed,
        "unmatched_campaigns": list(result.unmatched_campaigns),
    }
