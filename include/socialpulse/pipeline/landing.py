"""Staging one account's pages and landing a run's staged accounts as a raw partition, for every source."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime

from socialpulse import lake as lake_zone
from socialpulse.lake import files as lake_files
from socialpulse.typing_aliases import JsonObject

log = logging.getLogger(__name__)


def stage_account(
    lake: lake_zone.Lake,
    platform: str,
    entity: str,
    ds: str,
    run_id: str,
    account_id: str,
    pages: Iterable[JsonObject],
    manifest: JsonObject,
) -> JsonObject:
    """Stream an account's pages into the run's staging area; returns a small summary for XCom."""
    directory = lake.staging(platform, entity, ds, run_id) / f"account_id={account_id}"
    written = lake_files.write_raw_pages(
        directory,
        pages,
        {
            "platform": platform,
            "entity": entity,
            "ds": ds,
            "account_id": account_id,
            "extracted_at": datetime.now(UTC).isoformat(),
            **manifest,
        },
    )
    log.info(
        "%s/%s %s: %d pages, %d rows, %d bytes",
        platform,
        entity,
        account_id,
        written["pages"],
        written["rows"],
        written["bytes"],
    )
    return {k: written[k] for k in ("platform", "entity", "account_id", "pages", "rows", "bytes")}


def land(
    lake: lake_zone.Lake, platform: str, entity: str, ds: str, run_id: str, extracted: list[JsonObject]
) -> JsonObject:
    """Publish the run's staged accounts as the date's raw partition, replacing it whole."""
    staging = lake.staging(platform, entity, ds, run_id)
    mine = [e for e in extracted if (e.get("platform", platform), e.get("entity", entity)) == (platform, entity)]
    expected = {f"account_id={e['account_id']}" for e in mine}
    staged = {p.name for p in staging.iterdir() if p.is_dir()} if staging.exists() else set()
    if expected - staged:
        raise FileNotFoundError(f"accounts {sorted(expected - staged)} are not staged under {staging}")
    if not expected:
        raise FileNotFoundError(f"nothing was extracted for {platform}/{entity} on {ds}")
    for stale in staged - expected:  # left by an earlier try with another account list
        lake_files.remove_tree(staging / stale)
    summary = {
        "ds": ds,
        "run_id": run_id,
        "accounts": sorted(e["account_id"] for e in mine),
        "pages": sum(e["pages"] for e in mine),
        "rows": sum(e["rows"] for e in mine),
        "bytes": sum(e["bytes"] for e in mine),
    }
    lake_files.write_manifest(staging, summary)
    partition = lake.raw_partition(platform, entity, ds)
    lake_files.publish_partition(staging, partition)
    log.info(
        "landed %s/%s: %d accounts, %d pages, %d rows at %s",
        platform,
        entity,
        len(expected),
        summary["pages"],
        summary["rows"],
        partition,
    )
    return {"raw_path": str(partition), "pages": summary["pages"], "rows": summary["rows"]}
