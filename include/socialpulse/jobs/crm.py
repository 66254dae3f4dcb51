"""The CRM drop, step by step: land the day's files, type them, credit orders to campaigns.

The drop is personal data: its headers are checked with messages that quote no cell, and
cleaning runs under `withholding_values`, so an error of any kind names a file, column
or line, never a cell.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from typing import Any

from socialpulse import lake as lake_zone
from socialpulse.connectors.crm import DROP_FILES, fetch_drop
from socialpulse.errors import withholding_values
from socialpulse.typing_aliases import JsonObject

PLATFORM = "crm"
log = logging.getLogger(__name__)


def _entity(name: str) -> str:
    return name.removesuffix(".csv")


def extract(source: str, lake_root: str, ds: str, run_id: str) -> JsonObject:
    """Land users.csv and orders.csv of the day as exact gzipped files, each partition replaced whole."""
    lake = lake_zone.Lake.at(lake_root)
    drop = fetch_drop(source, ds)  # each header checked: its errors name files and columns, never a cell
    extracted_at = datetime.now(UTC).isoformat()
    counts = {}
    for name in DROP_FILES:
        staging = lake.staging(PLATFORM, _entity(name), ds, run_id)
        manifest = lake_zone.write_raw_file(
            staging,
            name,
            drop[name],
            {"platform": PLATFORM, "entity": _entity(name), "ds": ds, "extracted_at": extracted_at},
        )
        lake_zone.publish_partition(staging, lake.raw_partition(PLATFORM, _entity(name), ds))
        counts[_entity(name)] = manifest["rows"]
    log.info("CRM drop of %s landed: %s", ds, counts)
    return counts


def clean(lake_root: str, ds: str, secret: str, rates_source: str | None = None, reporting: str = "USD") -> JsonObject:
    """Validated, pseudonymised users and orders of the day into the clean zone; bad rows quarantined.

    Both files are validated before either is written, so a file that stops the step (a
    column that looks personal throughout) leaves the day's clean zone as it was.
    """
    import pandas as pd

    from socialpulse.pipeline import quality
    from socialpulse.pipeline.rates import rates_for_run
    from socialpulse.transforms.crm import clean_orders, clean_users
    from socialpulse.transforms.privacy import Pseudonymizer

    lake = lake_zone.Lake.at(lake_root)
    rates, reporting = rates_for_run(lake_root, ds, rates_source, reporting)
    pseudonymizer, erased = Pseudonymizer(secret), lake.erased()
    cleaners = {
        "users": lambda payload: clean_users(payload, pseudonymizer, erased),
        "orders": lambda payload: clean_orders(payload, pseudonymizer, rates, reporting, erased),
    }
    validated, stats = {}, {}
    for name in DROP_FILES:
        entity = _entity(name)
        raw = lake.raw_partition(PLATFORM, entity, ds)
        if not lake_zone.partition_exists(raw):
            raise FileNotFoundError(f"no raw CRM {entity} at {raw}: run extract_crm for {ds} first")
        raw = lake_zone.current(raw)  # one version throughout
        with withholding_values(f"cleaning {name} of {ds}"):
            validated[entity] = cleaners[entity](lake_zone.read_raw_file(raw, name))
        stats[entity] = quality.raw_stats(raw)
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
    return {**result, "audit": audit, "findings": findings}


def credit(conn: Any, orders_path: str, ds: str) -> JsonObject:
    """Credit the day's orders to campaign_metrics_daily by utm_campaign."""

    from socialpulse.transforms.crm import attribution
    from socialpulse.warehouse.attribution import credit_orders

    orders = lake_zone.read_parquet(lake_zone.lake_path(orders_path))
    result = credit_orders(conn, date.fromisoformat(ds), attribution(orders))
    if result.unmatched_campaigns:
        log.warning("orders name campaigns with no row on %s: %s", ds, list(result.unmatched_campaigns))
    log.info("credited %d campaigns (%d rows changed)", result.campaigns_credited, result.rows_changed)
    return {
        "campaigns_credited": result.campaigns_credited,
        "rows_changed": result.rows_changed,
        "unmatched_campaigns": list(result.unmatched_campaigns),
    }
