"""What every clean step shares: publishing the quarantine, the audit record, and the quarantine gate."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

from socialpulse import lake as lake_zone
from socialpulse.transforms.validation import Validated

DEFAULT_MAX_QUARANTINE_SHARE = 0.05
log = logging.getLogger(__name__)


class QualityGateError(Exception):
    """Too much of an entity was quarantined for its rows to be trusted: not worth retrying."""


def publish(lake: lake_zone.Lake, entity: str, ds: str, result: Validated, source: dict | None = None) -> dict:
    """Write the clean partition and the quarantine (or remove a stale one); returns the audit entry."""
    clean_path = lake_zone.write_clean_partition(result.clean, lake.clean_partition(entity, ds))
    quarantine = lake.quarantine_partition(entity, ds)
    quarantined = len(result.quarantined)
    if quarantined:
        lake_zone.write_clean_partition(result.quarantined, quarantine)
        log.warning("%s: %d of %d rows quarantined at %s; top reasons %s", entity, quarantined, result.rows_in,
                    quarantine, result.top_reasons())
    else:
        lake_zone.remove_partition(quarantine)
    if result.missing_fields:
        log.warning("%s: fields absent from every row (null throughout): %s", entity, list(result.missing_fields))
    if result.unexpected_fields:
        log.warning("%s: fields nobody declared, ignored: %s", entity, list(result.unexpected_fields))
    source = source or {}
    entry = {
        "ds": ds, "entity": entity, "rows_in": result.rows_in, "rows_clean": len(result.clean),
        "rows_quarantined": quarantined, "duplicates_dropped": result.duplicates_dropped,
        "quarantined_share": quarantined / result.rows_in if result.rows_in else 0.0,
        "top_reasons": json.dumps(result.top_reasons()), "pages": source.get("pages"), "bytes": source.get("bytes"),
        "clean_path": str(clean_path), "quarantine_path": str(quarantine) if quarantined else None,
        "extracted_at": source.get("extracted_at") or datetime.now(UTC).isoformat(),
    }
    log.info("%s %s: %d in, %d clean, %d quarantined, %d duplicates dropped", entity, ds, entry["rows_in"],
             entry["rows_clean"], quarantined, result.duplicates_dropped)
    return entry


def check_quarantine_share(entries: list[dict], max_share: float) -> None:
    """Raise naming each entity whose quarantined share passes max_share, its top reasons and where to look."""
    over = [e for e in entries if e["quarantined_share"] > max_share]
    if over:
        raise QualityGateError("; ".join(
            f"{e['entity']} {e['ds']}: {e['rows_quarantined']} of {e['rows_in']} rows quarantined "
            f"({e['quarantined_share']:.1%} > {max_share:.1%}), top reasons {json.loads(e['top_reasons'])}, "
            f"rows and originals at {e['quarantine_path']}" for e in over))


def raw_stats(partition: Path) -> dict:
    """Pages, bytes and extraction time a landed raw partition records in its manifest."""
    manifest = lake_zone.read_manifest(partition)
    return {key: manifest.get(key) for key in ("pages", "bytes", "extracted_at")}
