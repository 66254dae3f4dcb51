"""The run's pseudonymiser: platform ids resolve to the CRM person behind them, by the newest drop before ds."""

from __future__ import annotations

import logging

from socialpulse import lake as lake_zone
from socialpulse.lake import files as lake_files
from socialpulse.lake import storage as lake_storage
from socialpulse.transforms.privacy import Pseudonymizer

CRM_USERS = ("crm", "users", "users.csv")  # the raw zone's platform and entity, and the drop's file
log = logging.getLogger(__name__)


def latest_crm_users(lake: lake_zone.Lake, ds: str) -> lake_storage.LakePath | None:
    """The newest landed raw CRM users partition dated before ds.

    Strictly before: crm_daily lands the day's own drop on its own schedule, so a
    link from the drop of ds itself might or might not be there when ds is cleaned,
    and a rerun would give a person other pseudonyms. The drop of the day before
    landed a day earlier; a link made on ds applies from the run of ds + 1.
    """
    platform, entity, _ = CRM_USERS
    earlier = [p for p in lake.raw_partitions(platform, entity) if p.name.removeprefix("ds=") < ds]
    return earlier[-1] if earlier else None


def pseudonymizer(lake: lake_zone.Lake, ds: str, secret: str) -> Pseudonymizer:
    """A pseudonymiser that resolves platform ids through the CRM links of the newest drop before ds."""
    from socialpulse.transforms.crm import read_csv
    from socialpulse.transforms.privacy import LINKED_ID_COLUMNS, links_from_users

    partition = latest_crm_users(lake, ds)
    if partition is None:
        log.info("no CRM users drop before %s: platform ids get platform pseudonyms", ds)
        return Pseudonymizer(secret)
    wanted = {"user_id", *LINKED_ID_COLUMNS.values()}  # not the rest of a million people's profile
    users = read_csv(lake_files.read_raw_file(partition, CRM_USERS[2]), usecols=lambda column: column in wanted)
    links = links_from_users(users)
    log.info("pseudonyms resolve %d platform ids through the CRM links of %s", len(links), partition.name)
    return Pseudonymizer(secret, links)
