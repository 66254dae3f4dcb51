"""What every clean step shares: publishing the quarantine, the audit record, and the quarantine gate."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, date, datetime

import pandas as pd

from socialpulse import lake as lake_zone
from socialpulse.errors import FatalError
from socialpulse.lake import files as lake_files
from socialpulse.lake import storage as lake_storage
from socialpulse.lake.tables import no_rows
from socialpulse.transforms.privacy import erased_in_originals, erased_rows
from socialpulse.transforms.validation import Validated, combined
from socialpulse.typing_aliases import JsonObject
from socialpulse.warehouse.findings import Finding

DEFAULT_MAX_QUARANTINE_SHARE = 0.05
log = logging.getLogger(__name__)


class QualityGateError(FatalError):
    """Too much of an entity was quarantined for its rows to be trusted: not worth retrying."""


def without_erased(lake: lake_zone.Lake, result: Validated) -> Validated | None:
    """The result without the people on the suppression list as it is now, or None when it holds none of them."""
    erased = lake.erased()
    if not erased:
        return None
    clean = (
        erased_rows(result.clean["person_id"], erased)
        if "person_id" in result.clean
        else pd.Series(False, index=result.clean.index)
    )
    quarantined = (
        erased_in_originals(result.quarantined["original"], erased)
        if len(result.quarantined)
        else pd.Series(False, index=result.quarantined.index)
    )
    if not clean.any() and not quarantined.any():
        return None
    return replace(
        result,
        clean=result.clean.loc[~clean].reset_index(drop=True),
        quarantined=result.quarantined.loc[~quarantined].reset_index(drop=True),
    )


def publish(
    lake: lake_zone.Lake, entity: str, ds: str, result: Validated, source: JsonObject | None = None
) -> JsonObject:
    """Write the day of the clean table and of the quarantine table; returns the audit entry.

    Once published, the suppression list is read again: an erasure that began while this
    step ran may have passed these partitions already, so its people are dropped and the
    partitions published again, until the list holds none of theirs.
    """
    clean, quarantine = lake.clean(entity), lake.quarantine(entity)
    while True:
        clean.write_day(result.clean, ds)
        quarantine.write_day(result.quarantined, ds)  # none: the day's stale quarantine goes
        fresher = without_erased(lake, result)
        if fresher is None:
            break
        log.info("%s %s: an erasure began meanwhile; its people are dropped and the day published again", entity, ds)
        result = fresher
    return _audited(lake, entity, ds, result, len(result.clean), source)


class CleanDay:
    """One entity's clean day written a part at a time as it is cleaned (DayWriter), its quarantine and counts kept
    until it is committed; nothing of it is seen before."""

    def __init__(self, lake: lake_zone.Lake, entity: str, ds: str) -> None:
        self.lake, self.entity, self.ds = lake, entity, ds
        self.writer = lake.clean(entity).day_writer(ds)
        self.kept: list[Validated] = []  # each part without its clean rows
        self.rows = 0
        self.started = time.monotonic()

    def write(self, part: Validated) -> None:
        """A part's clean rows to a file of the day; logs the progress: parts done, rows so far, rows per second."""
        self.writer.write(part.clean)
        self.kept.append(replace(part, clean=no_rows(part.clean)))
        self.rows += len(part.clean)
        rows = sum(p.rows_in for p in self.kept)
        elapsed = max(time.monotonic() - self.started, 1e-9)
        log.info(
            "%s %s: part %d cleaned, %d rows in so far (%.0f rows/s)",
            self.entity,
            self.ds,
            len(self.kept),
            rows,
            rows / elapsed,
        )

    def commit(self) -> Validated:
        """Put the parts in place of the day, and the quarantine; what was validated, without its clean rows."""
        self.writer.commit()
        result = combined(self.kept)
        self.lake.quarantine(self.entity).write_day(result.quarantined, self.ds)  # none: the day's stale one goes
        return result

    def audit(self, result: Validated, source: JsonObject | None = None) -> JsonObject:
        """The audit entry of the committed day."""
        return _audited(self.lake, self.entity, self.ds, result, self.rows, source)


def publish_in_parts(
    lake: lake_zone.Lake,
    entity: str,
    ds: str,
    parts: Callable[[frozenset[str]], Iterable[Validated]],
    source: JsonObject | None = None,
) -> JsonObject:
    """publish for a day cleaned a part at a time by `parts(erased)` (CleanDay).

    Those parts left out the people on the suppression list as it was when they began; when an erasure began
    meanwhile, the day is cleaned and published again without its people too.
    """
    while True:
        erased, day = lake.erased(), CleanDay(lake, entity, ds)
        for part in parts(erased):
            day.write(part)
        result = day.commit()
        if lake.erased() <= erased:
            return day.audit(result, source)
        log.info(
            "%s %s: an erasure began meanwhile; the day is cleaned and published again without its people", entity, ds
        )


def _audited(
    lake: lake_zone.Lake, entity: str, ds: str, result: Validated, rows_clean: int, source: JsonObject | None
) -> JsonObject:
    """The audit entry of a published day, and its log lines: what was quarantined and why."""
    clean, quarantine = lake.clean(entity), lake.quarantine(entity)
    quarantined = len(result.quarantined)
    if quarantined:
        log.warning(
            "%s: %d of %d rows quarantined at %s; top reasons %s",
            entity,
            quarantined,
            result.rows_in,
            quarantine.day_path(ds),
            result.top_reasons(),
        )
    if result.missing_fields:
        log.warning("%s: fields absent from every row (null throughout): %s", entity, list(result.missing_fields))
    if result.unexpected_fields:
        log.warning("%s: fields nobody declared, ignored: %s", entity, list(result.unexpected_fields))
    source = source or {}
    entry = {
        "ds": ds,
        "entity": entity,
        "rows_in": result.rows_in,
        "rows_clean": rows_clean,
        "rows_quarantined": quarantined,
        "duplicates_dropped": result.duplicates_dropped,
        "quarantined_share": quarantined / result.rows_in if result.rows_in else 0.0,
        "top_reasons": json.dumps(result.top_reasons()),
        "pages": source.get("pages"),
        "bytes": source.get("bytes"),
        "clean_path": clean.day_path(ds),
        "quarantine_path": quarantine.day_path(ds) if quarantined else None,
        "extracted_at": source.get("extracted_at") or datetime.now(UTC).isoformat(),
    }
    log.info(
        "%s %s: %d in, %d clean, %d quarantined, %d duplicates dropped",
        entity,
        ds,
        entry["rows_in"],
        rows_clean,
        quarantined,
        result.duplicates_dropped,
    )
    return entry


def empty_input(entity: str, file: str, ds: str, result: Validated) -> list[Finding]:
    """A warning finding, and a log line, for a file that arrived with its header and no rows: cut short?"""
    if result.rows_in:
        return []
    detail = f"{file} of {ds} has its header and no rows: was the export cut short? Nothing of it was loaded"
    log.warning("%s: %s", entity, detail)
    return [Finding(entity, date.fromisoformat(ds), "rows", "empty_input", 0, None, None, "warning", detail)]


def check_quarantine_share(entries: list[JsonObject], max_share: float) -> None:
    """Raise naming each entity whose quarantined share passes max_share, its top reasons and where to look."""
    over = [e for e in entries if e["quarantined_share"] > max_share]
    if over:
        raise QualityGateError(
            "; ".join(
                f"{e['entity']} {e['ds']}: {e['rows_quarantined']} of {e['rows_in']} rows quarantined "
                f"({e['quarantined_share']:.1%} > {max_share:.1%}), top reasons {json.loads(e['top_reasons'])}, "
                f"rows and originals at {e['quarantine_path']}"
                for e in over
            )
        )


def raw_stats(partition: lake_storage.LakePath) -> JsonObject:
    """Pages, bytes and extraction time a landed raw partition records in its manifest."""
    manifest = lake_files.read_manifest(partition)
    return {key: manifest.get(key) for key in ("pages", "bytes", "extracted_at")}
