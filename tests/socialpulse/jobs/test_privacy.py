"""The CRM links, erasure from the lake and raw retention, on real files."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from socialpulse import lake as lake_zone
from socialpulse.jobs import crm, retention
from socialpulse.pipeline import pseudonyms
from socialpulse.transforms.privacy import Pseudonymizer
from socialpulse_dev.simulator.crm_drop import write_drop
from tests.socialpulse.jobs.conftest import DS, KEY, linked_member


def test_the_newest_crm_drop_links_platform_ids_to_the_person(lake):
    member = linked_member()
    pseudonymizer = pseudonyms.pseudonymizer(lake, "2026-11-09", KEY)  # a later run still finds the drop of DS
    person = Pseudonymizer(KEY).token("crm", member.user_id)
    assert pseudonymizer.token("facebook", member.facebook_id) == person == pseudonymizer.token("x", member.x_id)
    before = pseudonyms.pseudonymizer(lake, "2026-11-01", KEY)  # no drop yet on that day
    assert before.token("x", member.x_id) == Pseudonymizer(KEY).token("x", member.x_id) != person


def test_retention_deletes_raw_and_quarantine_partitions_past_the_period(lake):
    root = lake.root
    old = root / "raw" / "x" / "posts" / "ds=2026-07-01"
    kept = root / "raw" / "x" / "posts" / "ds=2026-08-05"
    another_source = root / "raw" / "meta_ads" / "ads_insights" / "ds=2026-07-01"
    for folder in (old, kept, another_source):
        folder.mkdir(parents=True)
    quarantine = lake.quarantine("crm_users")
    for day in ("2026-06-30", "2026-08-05"):
        quarantine.write_day(pd.DataFrame({"original": ["{}"], "reason": ["r"]}), day)
    result = retention.enforce_retention(lake, DS, 90, ["x", "crm"], ["crm_users"])  # cutoff 2026-08-04
    assert result == {"cutoff": "2026-08-04", "removed": 2, "version_files_removed": 0}  # versions: days young
    assert not old.exists() and kept.exists() and quarantine.snapshot().days() == ["2026-08-05", DS]
    assert another_source.exists()  # each source DAG ages its own partitions
    assert (root / "raw" / "crm" / "users" / f"ds={DS}").exists()
    assert DS in lake.clean("crm_users").snapshot().days()  # not the raw zone's to age
    with pytest.raises(ValueError, match="at least 1 day"):
        retention.enforce_retention(lake, DS, 0, ["x"], [])


def test_retention_also_removes_what_a_crash_left_of_an_old_partition(lake):
    root = lake.root / "raw" / "x" / "posts"
    (root / ".ds=2026-07-01@00000000000000000001-abcd").mkdir(parents=True)  # a version without its link
    (root / ".ds=2026-07-02.0123abcd.tmp").mkdir()  # a staging folder left by a crash
    (root / "ds=2026-07-03").symlink_to(".ds=2026-07-03@gone")  # a dangling link
    (root / ".ds=2026-07-03.lock").touch()  # and the locks of versioned partitions, before Delta
    result = retention.enforce_retention(lake, DS, 90, ["x"], [])
    assert result["removed"] == 4 and list(root.iterdir()) == []


def test_a_drop_with_a_header_and_no_rows_is_a_warning_finding(tmp_path):
    write_drop(tmp_path / "crm", date.fromisoformat(DS))
    orders = tmp_path / "crm" / f"ds={DS}" / "orders.csv"
    orders.write_text(orders.read_text().splitlines()[0] + "\n")
    root = lake_zone.Lake.at(tmp_path / "lake")
    crm.extract(str(tmp_path / "crm"), root, DS, "run-1")
    cleaned = crm.clean(root, DS, KEY)
    (finding,) = cleaned["findings"]
    assert (finding.entity, finding.check_name, finding.severity) == ("crm_orders", "empty_input", "warning")
    assert finding.detail.startswith(f"orders.csv of {DS} has its header and no rows")
