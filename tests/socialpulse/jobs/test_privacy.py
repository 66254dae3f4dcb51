"""The CRM links, erasure from the lake and raw retention, on real files."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from socialpulse import lake as lake_zone
from socialpulse.jobs import first_party, privacy
from socialpulse.transforms.privacy import Pseudonymizer
from socialpulse_dev.simulator.audience import audience
from socialpulse_dev.simulator.crm_drop import write_drop

KEY = "a-test-key-of-enough-bytes"
DS = "2026-11-02"


@pytest.fixture
def lake(tmp_path) -> str:
    """A lake with the CRM drop of DS landed and cleaned."""
    write_drop(tmp_path / "crm", date.fromisoformat(DS))
    root = str(tmp_path / "lake")
    first_party.extract(str(tmp_path / "crm"), root, DS, "run-1")
    first_party.clean(root, DS, KEY)
    return root


def linked_member():
    return next(m for m in audience(7) if m.facebook_id and m.x_id and m.signup_date <= date.fromisoformat(DS))


def test_the_newest_crm_drop_links_platform_ids_to_the_person(lake):
    member = linked_member()
    pseudonymizer = privacy.pseudonymizer(lake, "2026-11-09", KEY)  # a later run still finds the drop of DS
    person = Pseudonymizer(KEY).token("crm", member.user_id)
    assert pseudonymizer.token("facebook", member.facebook_id) == person == pseudonymizer.token("x", member.x_id)
    before = privacy.pseudonymizer(lake, "2026-11-01", KEY)  # no drop yet on that day
    assert before.token("x", member.x_id) == Pseudonymizer(KEY).token("x", member.x_id) != person


def test_erasure_rewrites_clean_and_features_and_lists_the_person(lake):
    member = linked_member()
    person = Pseudonymizer(KEY).token("crm", member.user_id)
    platform_only = Pseudonymizer(KEY).token("x", member.x_id)  # events seen before the CRM linked them
    features = lake_zone.Lake.at(lake).root / "features" / "profiles" / f"ds={DS}"
    lake_zone.write_clean_partition(pd.DataFrame({"person_id": [person, platform_only, "other"]}), features)
    found, pseudonyms = privacy.person_pseudonyms(lake, KEY, member.user_id)
    assert found == person and {person, platform_only} <= pseudonyms
    clean_rows, feature_rows, files = privacy.erase_from_lake(lake, pseudonyms)
    assert (feature_rows, clean_rows >= 1, files >= 2) == (2, True, True)
    assert list(pd.read_parquet(features).person_id) == ["other"]
    users = pd.read_parquet(lake_zone.Lake.at(lake).clean_partition("crm_users", DS))
    assert person not in set(users.person_id) and len(users) > 1000
    assert person in lake_zone.Lake.at(lake).erased()
    first_party.clean(lake, DS, KEY)  # a rerun of the date does not bring them back
    users = pd.read_parquet(lake_zone.Lake.at(lake).clean_partition("crm_users", DS))
    assert person not in set(users.person_id)


def test_an_erasure_asked_by_platform_id_finds_the_crm_person_behind_it(lake):
    member = linked_member()
    person, pseudonyms = privacy.person_pseudonyms(lake, KEY, member.x_id, "x")
    assert person == Pseudonymizer(KEY).token("crm", member.user_id)
    assert pseudonyms == privacy.person_pseudonyms(lake, KEY, member.user_id)[1]
    stranger, alone = privacy.person_pseudonyms(lake, KEY, "999", "x")  # no drop links this id
    assert alone == {stranger} == {Pseudonymizer(KEY).token("x", "999")}
    with pytest.raises(ValueError, match="id_namespace 'tiktok'"):
        privacy.person_pseudonyms(lake, KEY, "1", "tiktok")


def test_retention_deletes_raw_and_quarantine_partitions_past_the_period(lake):
    root = lake_zone.Lake.at(lake).root
    old = root / "raw" / "x" / "posts" / "ds=2026-07-01"
    kept = root / "raw" / "x" / "posts" / "ds=2026-08-05"
    old_quarantine = root / "quarantine" / "crm_users" / "ds=2026-06-30"
    another_source = root / "raw" / "meta_ads" / "ads_insights" / "ds=2026-07-01"
    for folder in (old, kept, old_quarantine, another_source):
        folder.mkdir(parents=True)
    result = privacy.enforce_retention(lake, DS, 90, ["x", "crm"], ["crm_users"])  # cutoff 2026-08-04
    assert result == {"cutoff": "2026-08-04", "removed": 2}
    assert not old.exists() and not old_quarantine.exists() and kept.exists()
    assert another_source.exists()  # each source DAG ages its own partitions
    assert (root / "raw" / "crm" / "users" / f"ds={DS}").exists()
    assert (root / "clean" / "crm_users" / f"ds={DS}").exists()  # the clean zone is not the raw zone's to age
    with pytest.raises(ValueError, match="at least 1 day"):
        privacy.enforce_retention(lake, DS, 0, ["x"], [])


def test_retention_also_removes_what_a_crash_left_of_an_old_partition(lake):
    root = lake_zone.Lake.at(lake).root / "raw" / "x" / "posts"
    (root / ".ds=2026-07-01@00000000000000000001-abcd").mkdir(parents=True)  # a version without its link
    (root / ".ds=2026-07-02.0123abcd.tmp").mkdir()  # a staging folder left by a crash
    (root / "ds=2026-07-03").symlink_to(".ds=2026-07-03@gone")  # a dangling link
    result = privacy.enforce_retention(lake, DS, 90, ["x"], [])
    assert result["removed"] == 3
    assert sorted(p.name for p in root.iterdir()) == [".ds=2026-07-01.lock", ".ds=2026-07-02.lock",
                                                      ".ds=2026-07-03.lock"]
