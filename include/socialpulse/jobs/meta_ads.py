"""Meta ads insights, step by step: extract per account, land, clean, load."""

from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from socialpulse import lake as lake_zone
from socialpulse.connectors.meta import GraphClient, insights_pages, normalize_account_id
from socialpulse.lake import files as lake_files
from socialpulse.pipeline import landing
from socialpulse.typing_aliases import JsonObject

PLATFORM, ENTITY = "meta_ads", "ads_insights"
CLEAN_ENTITY = "campaign_metrics"
# Meta keeps ads insights for 37 months: an older start is refused with error #3018 ("The start date of the time
# range cannot be beyond 37 months from the current date").
INSIGHTS_RETENTION_MONTHS = 37

log = logging.getLogger(__name__)


def retention_start(today: date, months: int = INSIGHTS_RETENTION_MONTHS) -> date:
    """The oldest day Meta still reports: `months` before today, plus a day for the account's own timezone."""
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    day = min(today.day, calendar.monthrange(year, month + 1)[1])
    return date(year, month + 1, day) + timedelta(days=1)


@dataclass(frozen=True)
class Window:
    """The report dates a run pulls: its own date and the look-back before it, within Meta's retention."""

    since: date
    until: date
    clamped_from: date | None = None  # the start asked for, when Meta no longer keeps it

    @classmethod
    def for_run(cls, ds: str, lookback_days: int, today: date | None = None) -> Window:
        """The run's window; days older than Meta keeps are cut off (`clamped_from` says from where)."""
        if lookback_days < 0:
            raise ValueError(f"lookback_days must be 0 or more, got {lookback_days}")
        until = date.fromisoformat(ds)
        since = until - timedelta(days=lookback_days)
        oldest = retention_start(today or datetime.now(UTC).date())
        return cls(oldest, until, since) if since < oldest else cls(since, until)

    @property
    def empty(self) -> bool:
        """Nothing of it is still kept: a backfill older than Meta's retention."""
        return self.until < self.since


def extract_account(
    client: GraphClient,
    account_id: str,
    window: Window,
    lake: lake_zone.Lake,
    ds: str,
    run_id: str,
    mode: str = "async",
) -> JsonObject:
    """Pull one account's insights for the window into the run's staging area."""
    account = normalize_account_id(account_id)
    if window.clamped_from is not None:
        log.warning(
            "act_%s: Meta keeps insights for %d months: the days from %s to %s are no longer reported, so this run %s",
            account,
            INSIGHTS_RETENTION_MONTHS,
            window.clamped_from,
            min(window.since - timedelta(days=1), window.until),
            "pulls nothing" if window.empty else f"pulls {window.since}..{window.until} only",
        )
    log.info("act_%s: pulling %s..%s (%s report)", account, window.since, window.until, mode)
    pages = iter(()) if window.empty else insights_pages(client, account, window.since, window.until, mode=mode)
    summary = landing.stage_account(
        lake,
        PLATFORM,
        ENTITY,
        ds,
        run_id,
        account,
        pages,
        {
            "mode": mode,
            "api_version": client.api_version,
            "window": {"since": window.since.isoformat(), "until": window.until.isoformat()},
            **({"clamped_from": window.clamped_from.isoformat()} if window.clamped_from else {}),
        },
    )
    log.info("act_%s: %d calls (%d retries)", account, client.calls, client.retries)
    return summary


def land(lake: lake_zone.Lake, ds: str, run_id: str, extracted: list[JsonObject]) -> JsonObject:
    """Publish the run's staged accounts as the date's raw partition, replacing it whole."""
    return landing.land(lake, PLATFORM, ENTITY, ds, run_id, extracted)


def clean(lake: lake_zone.Lake, ds: str, rates_source: str | None = None, reporting: str = "USD") -> JsonObject:
    """Validate the date's raw partition into the clean zone; rows breaking the schema go to quarantine."""
    from socialpulse.pipeline import quality
    from socialpulse.pipeline.rates import rates_if_available
    from socialpulse.transforms.meta_ads import clean_insights
    from socialpulse.warehouse.findings import Finding

    raw = lake.raw_partition(PLATFORM, ENTITY, ds)
    if not lake_files.partition_exists(raw):
        raise FileNotFoundError(f"no raw partition at {raw}: run the extract and land tasks for {ds} first")
    rates, reporting, unavailable = rates_if_available(lake, ds, rates_source, reporting)
    result = clean_insights(lake_files.read_raw_pages(raw), rates, reporting)
    audit = quality.publish(lake, CLEAN_ENTITY, ds, result, quality.raw_stats(raw))
    dates = result.clean["metric_date"]
    findings = (
        [
            Finding(
                CLEAN_ENTITY,
                date.fromisoformat(ds),
                "spend_reporting",
                "exchange_rates_unavailable",
                None,
                None,
                None,
                "warning",
                f"{unavailable}: spend and conversion value loaded in each account's "
                "currency, the reporting columns null; the next run's look-back fills them",
            )
        ]
        if unavailable
        else []
    )
    return {
        "clean_path": audit["clean_path"],
        "rows": len(result.clean),
        "quarantined": audit["rows_quarantined"],
        "since": str(dates.min()) if len(dates) else ds,
        "until": str(dates.max()) if len(dates) else ds,
        "audit": [audit],
        "findings": findings,
    }


def load(conn: Any, lake: lake_zone.Lake, clean_path: str, run_id: str) -> JsonObject:
    """Upsert a clean partition into campaign_metrics_daily, each changed day also into campaign_metrics_history."""

    from socialpulse.transforms.entities import CAMPAIGN_METRICS_DAILY, CAMPAIGN_METRICS_HISTORY
    from socialpulse.warehouse import upsert_frame

    frame = lake.read_day(clean_path)
    result = upsert_frame(conn, CAMPAIGN_METRICS_DAILY, frame, run_id, history=CAMPAIGN_METRICS_HISTORY)
    log.info(
        "campaign_metrics_daily: %d rows, %d inserted, %d updated, %d unchanged",
        result.rows,
        result.inserted,
        result.updated,
        result.unchanged,
    )
    return {"rows": result.rows, "inserted": result.inserted, "updated": result.updated, "unchanged": result.unchanged}
