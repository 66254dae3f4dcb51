"""Meta ads insights, step by step: extract per account, land, clean, load."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from socialpulse import lake as lake_zone
from socialpulse.connectors.meta import GraphClient, insights_pages, normalize_account_id
from socialpulse.jobs import landing

PLATFORM, ENTITY = "meta_ads", "ads_insights"
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
    """Pull one account's insights for the window into the run's staging area."""
    account = normalize_account_id(account_id)
    log.info("act_%s: pulling %s..%s (%s report)", account, window.since, window.until, mode)
    pages = insights_pages(client, account, window.since, window.until, mode=mode)
    summary = landing.stage_account(lake_root, PLATFORM, ENTITY, ds, run_id, account, pages, {
        "mode": mode, "api_version": client.api_version,
        "window": {"since": window.since.isoformat(), "until": window.until.isoformat()}})
    log.info("act_%s: %d calls (%d retries)", account, client.calls, client.retries)
    return summary


def land(lake_root: str, ds: str, run_id: str, extracted: list[dict]) -> dict:
    """Publish the run's staged accounts as the date's raw partition, replacing it whole."""
    return landing.land(lake_root, PLATFORM, ENTITY, ds, run_id, extracted)


def clean(lake_root: str, ds: str, rates_source: str | None = None, reporting: str = "USD") -> dict:
    """Validate the date's raw partition into the clean zone; rows breaking the schema go to quarantine."""
    from socialpulse.jobs import quality
    from socialpulse.jobs.rates import rates_for_run
    from socialpulse.transforms.meta_insights import clean_insights

    lake = lake_zone.Lake.at(lake_root)
    raw = lake.raw_partition(PLATFORM, ENTITY, ds)
    if not lake_zone.partition_exists(raw):
        raise FileNotFoundError(f"no raw partition at {raw}: run the extract and land tasks for {ds} first")
    raw = lake_zone.current(raw)  # one version throughout, whatever another run publishes meanwhile
    rates, reporting = rates_for_run(lake_root, ds, rates_source, reporting)
    result = clean_insights(lake_zone.read_raw_pages(raw), rates, reporting)
    audit = quality.publish(lake, CLEAN_ENTITY, ds, result, quality.raw_stats(raw))
    dates = result.clean["metric_date"]
    return {"clean_path": audit["clean_path"], "rows": len(result.clean), "quarantined": audit["rows_quarantined"],
            "since": str(dates.min()) if len(dates) else ds, "until": str(dates.max()) if len(dates) else ds,
            "audit": [audit]}


def load(conn: Any, clean_path: str, run_id: str) -> dict:
    """Upsert a clean partition into campaign_metrics_daily, each changed day also into campaign_metrics_history."""

    from socialpulse.warehouse import CAMPAIGN_METRICS_DAILY, upsert_frame
    from socialpulse.warehouse.schema import CAMPAIGN_METRICS_HISTORY

    frame = lake_zone.read_parquet(lake_zone.lake_path(clean_path))
    result = upsert_frame(conn, CAMPAIGN_METRICS_DAILY, frame, run_id, history=CAMPAIGN_METRICS_HISTORY)
    log.info("campaign_metrics_daily: %d rows, %d inserted, %d updated, %d unchanged", result.rows,
             result.inserted, result.updated, result.unchanged)
    return {"rows": result.rows, "inserted": result.inserted, "updated": result.updated,
            "unchanged": result.unchanged}
