"""Meta ads insights, step by step: extract per account, land, clean, load."""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from socialpulse import lake as lake_zone
from socialpulse.connectors.meta import GraphClient, insights_pages, normalize_account_id

PLATFORM, ENTITY = "meta_marketing", "ads_insights"
CLEAN_ENTITY = "campaign_metrics"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Window:
    """The report dates a run pulls: its own date and the look-back before it."""

    since: date
    until: date

    @classmethod
    def for_run(cls, ds: str, lookback_days: int) -> Window:
        if lookback_days < 0:
            raise ValueError(f"lookback_days must be 0 or more, got {lookback_days}")
        until = date.fromisoformat(ds)
        return cls(until - timedelta(days=lookback_days), until)


def extract_account(client: GraphClient, account_id: str, window: Window, lake_root: str, ds: str,
                    run_id: str, mode: str = "async") -> dict:
    """Pull one account's insights for the window into the run's staging area; returns its manifest."""
    account = normalize_account_id(account_id)
    lake = lake_zone.Lake.at(lake_root)
    directory = lake.staging(PLATFORM, ENTITY, ds, run_id) / f"account_id={account}"
    manifest = {
        "platform": PLATFORM, "entity": ENTITY, "ds": ds, "account_id": account, "mode": mode,
        "window": {"since": window.since.isoformat(), "until": window.until.isoformat()},
        "extracted_at": datetime.now(UTC).isoformat(), "api_version": client.api_version,
    }
    log.info("act_%s: pulling %s..%s (%s report)", account, window.since, window.until, mode)
    pages = insights_pages(client, account, window.since, window.until, mode=mode)
    manifest = lake_zone.write_raw_pages(directory, pages, manifest)
    log.info("act_%s: %d pages, %d rows, %d bytes in %d calls (%d retries)", account, manifest["pages"],
             manifest["rows"], manifest["bytes"], client.calls, client.retries)
    return {k: manifest[k] for k in ("account_id", "pages", "rows", "bytes")}


def land(lake_root: str, ds: str, run_id: str, extracted: list[dict]) -> dict:
    """Publish the run's staged accounts as the date's raw partition, replacing it whole."""
    lake = lake_zone.Lake.at(lake_root)
    staging = lake.staging(PLATFORM, ENTITY, ds, run_id)
    expected = {f"account_id={e['account_id']}" for e in extracted}
    staged = {p.name for p in staging.iterdir() if p.is_dir()} if staging.is_dir() else set()
    if expected - staged:
        raise FileNotFoundError(f"accounts {sorted(expected - staged)} are not staged under {staging}")
    for stale in staged - expected:  # left by an earlier try with another account list
        shutil.rmtree(staging / stale)
    summary = {"ds": ds, "run_id": run_id, "accounts": sorted(e["account_id"] for e in extracted),
               "pages": sum(e["pages"] for e in extracted), "rows": sum(e["rows"] for e in extracted),
               "bytes": sum(e["bytes"] for e in extracted)}
    lake_zone.write_manifest(staging, summary)
    partition = lake.raw_partition(PLATFORM, ENTITY, ds)
    lake_zone.publish_partition(staging, partition)
    log.info("landed %d accounts, %d pages, %d rows at %s", len(expected), summary["pages"], summary["rows"],
             partition)
    return {"raw_path": str(partition), "pages": summary["pages"], "rows": summary["rows"]}


def clean(lake_root: str, ds: str) -> dict:
    """Type the date's raw partition into the clean zone; untypeable rows go to quarantine."""
    from socialpulse.transforms.meta_insights import clean_insights

    lake = lake_zone.Lake.at(lake_root)
    raw = lake.raw_partition(PLATFORM, ENTITY, ds)
    if not raw.is_dir():
        raise FileNotFoundError(f"no raw partition at {raw}: run the extract and land tasks for {ds} first")
    frame, quarantined = clean_insights(lake_zone.read_raw_pages(raw))
    clean_path = lake_zone.write_clean_partition(frame, lake.clean_partition(CLEAN_ENTITY, ds))
    quarantine_dir = lake.root / "quarantine" / CLEAN_ENTITY / f"ds={ds}"
    if len(quarantined):
        lake_zone.write_clean_partition(quarantined, quarantine_dir)
        log.warning("%d rows quarantined at %s; top reasons: %s", len(quarantined), quarantine_dir,
                    quarantined["reason"].value_counts().head(3).to_dict())
    else:
        shutil.rmtree(quarantine_dir, ignore_errors=True)
    dates = frame["metric_date"]
    result = {"clean_path": str(clean_path), "rows": len(frame), "quarantined": len(quarantined),
              "since": str(dates.min()) if len(frame) else ds, "until": str(dates.max()) if len(frame) else ds}
    log.info("clean: %d rows (%s..%s), %d quarantined", result["rows"], result["since"], result["until"],
             result["quarantined"])
    return result


def load(conn: Any, clean_path: str, run_id: str) -> dict:
    """Upsert a clean partition into campaign_metrics_daily."""
    import pandas as pd

    from socialpulse.warehouse import CAMPAIGN_METRICS_DAILY, upsert_frame

    frame = pd.read_parquet(Path(clean_path))
    result = upsert_frame(conn, CAMPAIGN_METRICS_DAILY, frame, run_id)
    log.info("campaign_metrics_daily: %d rows, %d inserted, %d updated, %d unchanged", result.rows,
             result.inserted, result.updated, result.unchanged)
    return {"rows": result.rows, "inserted": result.inserted, "updated": result.updated,
            "unchanged": result.unchanged}
