"""The CRM drop, step by step: land the day's files, type them, keep the matching keys, credit orders to campaigns.

The drop is personal data: its headers are checked with messages that quote no cell, and
cleaning runs under `withholding_values`, so an error of any kind names a file, column
or line, never a cell.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from socialpulse import lake as lake_zone
from socialpulse.connectors.crm import DROP_FILES, copy_drop_file
from socialpulse.errors import RetryableError, withholding_values
from socialpulse.lake import files as lake_files
from socialpulse.typing_aliases import JsonObject

if TYPE_CHECKING:
    import pandas as pd

    from socialpulse.lake.tables import Table
    from socialpulse.transforms.privacy import Pseudonymizer
    from socialpulse.transforms.validation import Validated

PLATFORM = "crm"
MATCH_KEYS = "match_keys"
KEEP_MATCH_KEYS_DAYS = 7  # each day's keys are a full copy; activation reads the newest
CRM_PART_ROWS = 100_000  # rows of a drop's file read, validated and written at a time
log = logging.getLogger(__name__)


def _entity(name: str) -> str:
    return name.removesuffix(".csv")


def extract(source: str, lake: lake_zone.Lake, ds: str, run_id: str) -> JsonObject:
    """Land users.csv and orders.csv of the day as exact gzipped files, each copied as it comes and checked as it
    is (connectors.crm.copy_drop_file), and published once both are: each partition replaced whole."""
    extracted_at = datetime.now(UTC).isoformat()
    counts, staged = {}, {}
    try:
        for name in DROP_FILES:
            staged[name] = staging = lake.staging(PLATFORM, _entity(name), ds, run_id)
            manifest = lake_files.write_raw_stream(
                staging,
                name,
                partial(copy_drop_file, source, ds, name),  # its errors name files and columns, never a cell
                {"platform": PLATFORM, "entity": _entity(name), "ds": ds, "extracted_at": extracted_at},
            )
            counts[_entity(name)] = manifest["rows"]
            log.info("CRM %s of %s copied: %d rows, %d bytes", name, ds, manifest["rows"], manifest["bytes"])
    except BaseException:
        for staging in staged.values():
            lake_files.remove_tree(staging)
        raise
    for name, staging in staged.items():
        lake_files.publish_partition(staging, lake.raw_partition(PLATFORM, _entity(name), ds))
    log.info("CRM drop of %s landed: %s", ds, counts)
    return counts


def clean(
    lake: lake_zone.Lake, ds: str, secret: str, rates_source: str | None = None, reporting: str = "USD"
) -> JsonObject:
    """Validated, pseudonymised users and orders of the day into the clean zone; bad rows quarantined; the consenting
    users' matching keys into the restricted zone (transforms.match_keys).

    Each file is read, validated and written CRM_PART_ROWS rows at a time (CrmFile), and the days are committed
    once both files are through, so a file that stops the step (a column that looks personal throughout) leaves
    the day as it was. When an erasure began meanwhile, the day is cleaned again without its people.
    """
    from socialpulse.pipeline import quality
    from socialpulse.pipeline.rates import rates_for_run
    from socialpulse.transforms.crm import clean_users, in_reporting_currency, validate_orders
    from socialpulse.transforms.privacy import Pseudonymizer

    rates, reporting = rates_for_run(lake, ds, rates_source, reporting)
    pseudonymizer = Pseudonymizer(secret)
    for name in DROP_FILES:
        raw = lake.raw_partition(PLATFORM, _entity(name), ds)
        if not lake_files.partition_exists(raw):
            raise FileNotFoundError(f"no raw CRM {_entity(name)} at {raw}: run extract_crm for {ds} first")
    while True:
        erased = lake.erased()
        users, orders = CrmFile(lake, ds, "users", pseudonymizer), CrmFile(lake, ds, "orders", pseudonymizer)
        users.clean(partial(clean_users, pseudonymizer=pseudonymizer, erased=erased))
        orders.clean(
            partial(validate_orders, pseudonymizer=pseudonymizer, rates=rates, erased=erased),
            partial(in_reporting_currency, rates=rates, reporting=reporting),
        )
        validated = {file.entity: (file, file.commit()) for file in (users, orders)}
        if lake.erased() <= erased:
            break
        log.info("CRM drop of %s: an erasure began meanwhile; it is cleaned again without its people", ds)
    result, audit, findings = {}, [], []
    for entity, (file, checked) in validated.items():
        audit.append(file.day.audit(checked, file.stats))
        findings += quality.empty_input(f"crm_{entity}", f"{entity}.csv", ds, checked)
        result[entity] = {
            "clean_path": audit[-1]["clean_path"],
            "rows": audit[-1]["rows_clean"],
            "quarantined": len(checked.quarantined),
        }
    audit.append(match_keys_kept(lake, ds, users))
    result["match_keys"] = {"people": audit[-1]["rows_clean"], "dropped": dict(users.dropped)}
    return {**result, "audit": audit, "findings": findings}


def _as_is(part: Validated) -> Validated:
    return part


class CrmFile:
    """One file of the drop cleaned CRM_PART_ROWS rows at a time into its clean day (quality.CleanDay), never held
    whole; for users.csv, the matching keys are computed and written along.

    Rows sharing a key (a user, an order) may sit in different parts: the keys more than one row carries are found
    first, reading only the key column, and those rows' clean versions are held until the end, where the last one
    of each key is kept, as validate keeps it within a part. A drop repeats few keys, so little is held.
    """

    def __init__(self, lake: lake_zone.Lake, ds: str, entity: str, pseudonymizer: Pseudonymizer) -> None:
        from socialpulse.pipeline.quality import CleanDay, raw_stats

        self.entity, self.name, self.ds = entity, f"{entity}.csv", ds
        self.raw, self.pseudonymizer = lake.raw_partition(PLATFORM, entity, ds), pseudonymizer
        self.stats = raw_stats(self.raw)
        self.day = CleanDay(lake, f"crm_{entity}", ds)
        self.keys = lake.restricted(MATCH_KEYS).day_writer(ds) if entity == "users" else None
        self.consenting, self.dropped = 0, Counter[str]()

    def clean(
        self, validated: Callable[[pd.DataFrame], Validated], finished: Callable[[Validated], Validated] = _as_is
    ) -> None:
        """Each part of the file `validated` (its repeats dropped), then `finished` (what may quarantine a row after
        its repeats were dropped: the currency conversion), and written; then the rows held for repeated keys."""
        import numpy as np
        import pandas as pd

        from socialpulse.pipeline.quality import raw_stats
        from socialpulse.transforms.crm import read_csv_parts
        from socialpulse.transforms.repeats import among
        from socialpulse.transforms.validation import Validated

        repeated, held_clean, held_raw = self._repeated_keys(), [], []
        with lake_files.open_raw_file(self.raw, self.name) as stream:
            for raw in read_csv_parts(stream, CRM_PART_ROWS, self.name):
                with withholding_values(f"cleaning {self.name} of {self.ds}"):
                    part = validated(raw)
                    held = among(part.clean[self._key], repeated)
                    held_clean.append(part.clean[held])
                    part = finished(replace(part, clean=part.clean[~held]))
                    if self.keys is not None:
                        no_repeats = np.zeros(len(raw), dtype=bool)  # most days: no ids pseudonymised again
                        raw_held = among(self._keys_of(raw), repeated) if len(repeated) else no_repeats
                        held_raw.append(raw[raw_held])
                        self._write_keys(raw[~raw_held], part.clean)
                self.day.write(self._stamped(part))
        with withholding_values(f"cleaning {self.name} of {self.ds}"):
            repeats = pd.concat(held_clean, ignore_index=True)
            last = repeats.drop_duplicates(self._key, keep="last").sort_values(self._key, kind="stable")
            quarantined = pd.DataFrame({"reason": [], "original": []}, dtype="string")
            part = finished(Validated(last.reset_index(drop=True), quarantined, 0, len(repeats) - len(last)))
            if self.keys is not None:
                self._write_keys(pd.concat(held_raw, ignore_index=True), part.clean)
        self.day.write(self._stamped(part))
        if raw_stats(self.raw) != self.stats:  # the held rows assumed the file read first
            raise RawFileChangedError(
                f"{self.name} of {self.ds} was landed again while it was cleaned: run clean_crm again"
            )

    def commit(self) -> Validated:
        """Put the clean day, its quarantine and the matching keys in place; what was validated."""
        validated = self.day.commit()
        if self.keys is not None:
            self.keys.commit()
        return validated

    @property
    def _key(self) -> str:
        return "person_id" if self.entity == "users" else "order_id"

    def _keys_of(self, raw: pd.DataFrame) -> pd.Series:
        """Each raw row's key as its clean row has it: the user's pseudonym, the order's id."""
        from socialpulse.transforms.privacy import pseudonymize_text_ids

        if self.entity == "users":
            return pseudonymize_text_ids(self.pseudonymizer, "crm", raw["user_id"])
        return raw["order_id"]

    def _repeated_keys(self) -> pd.Index:
        """The hashes of the keys more than one row of the file carries, reading the key column only (a row without
        one is quarantined for it, and not held)."""
        from socialpulse.transforms.crm import read_csv_parts
        from socialpulse.transforms.repeats import repeated_keys

        column = "user_id" if self.entity == "users" else "order_id"
        with lake_files.open_raw_file(self.raw, self.name) as stream:
            parts = read_csv_parts(stream, CRM_PART_ROWS, self.name, usecols=[column])
            return repeated_keys(self._keys_of(part) for part in parts)

    def _stamped(self, part: Validated) -> Validated:
        import pandas as pd

        return replace(part, clean=part.clean.assign(extracted_at=pd.Timestamp(self.stats["extracted_at"])))

    def _write_keys(self, raw: pd.DataFrame, users: pd.DataFrame) -> None:
        from socialpulse.transforms.match_keys import match_keys

        assert self.keys is not None  # users.csv's
        with withholding_values(f"computing the matching keys of users.csv of {self.ds}"):
            keys = match_keys(raw, self.pseudonymizer, users)
        self.keys.write(keys.keys)
        self.consenting += keys.consenting
        self.dropped.update(keys.dropped)


class RawFileChangedError(RetryableError):
    """A drop's file was landed again while it was cleaned: a run of its own reads it whole again."""


def match_keys_kept(lake: lake_zone.Lake, ds: str, users: CrmFile) -> JsonObject:
    """Keep KEEP_MATCH_KEYS_DAYS days of keys; the audit entry of the day's.

    The audit counts people with a key (rows_clean) among the consenting (rows_in), and the values dropped by
    reason (top_reasons): none is quarantined, as a quarantined copy would keep the raw value.
    """
    assert users.keys is not None  # users.csv's
    cutoff = (date.fromisoformat(ds) - timedelta(days=KEEP_MATCH_KEYS_DAYS)).isoformat()
    lake.restricted(MATCH_KEYS).delete_days(before=cutoff)
    lake.restricted(MATCH_KEYS).remove_old_versions()  # the versions older than the tables' history, too
    if users.dropped:
        log.warning("matching keys of %s: values that cannot be normalised, not kept: %s", ds, dict(users.dropped))
    log.info("matching keys of %s: %d of %d consenting people have one", ds, users.keys.rows, users.consenting)
    return {
        "ds": ds,
        "entity": f"{PLATFORM}_{MATCH_KEYS}",
        "rows_in": users.consenting,
        "rows_clean": users.keys.rows,
        "rows_quarantined": 0,
        "duplicates_dropped": 0,
        "quarantined_share": 0.0,
        "top_reasons": json.dumps(dict(users.dropped)),
        "pages": None,
        "bytes": None,
        "clean_path": lake.restricted(MATCH_KEYS).day_path(ds),
        "quarantine_path": None,
        "extracted_at": users.stats["extracted_at"],
    }


def read_match_keys(lake: lake_zone.Lake, ds: str) -> pd.DataFrame:
    """The matching keys of the newest CRM drop up to ds (person_id, email_sha256, phone_sha256); none: no rows."""
    import pandas as pd

    keys = lake.restricted(MATCH_KEYS).read_until(ds, newest_only=True)
    if keys is None:
        return pd.DataFrame({"person_id": [], "email_sha256": [], "phone_sha256": []}, dtype="string")
    return keys


def credit(conn: Any, orders: Table, ds: str) -> JsonObject:
    """Credit the day's clean orders (a day `orders` holds) to campaign_metrics_daily by utm_campaign, summed a batch
    of orders at a time."""
    from socialpulse.transforms.crm import ATTRIBUTION_COLUMNS, attribution_in_parts
    from socialpulse.warehouse.attribution import credit_orders

    snapshot = orders.snapshot()
    assert snapshot is not None  # the caller found the day
    attributed = attribution_in_parts(snapshot.batches([ds], ATTRIBUTION_COLUMNS))
    result = credit_orders(conn, date.fromisoformat(ds), attributed)
    if result.unmatched_campaigns:
        log.warning("orders name campaigns with no row on %s: %s", ds, list(result.unmatched_campaigns))
    log.info("credited %d campaigns (%d rows changed)", result.campaigns_credited, result.rows_changed)
    return {
        "campaigns_credited": result.campaigns_credited,
        "rows_changed": result.rows_changed,
        "unmatched_campaigns": list(result.unmatched_campaigns),
    }
