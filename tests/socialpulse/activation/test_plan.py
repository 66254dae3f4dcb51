"""Activation's plan: the diff to the intended rows from every row that may be on the platform, or a replace."""

from __future__ import annotations

import pandas as pd

from socialpulse.activation.plan import needs_approval, plan


def rows(*people: tuple[str, str | None, str | None]) -> pd.DataFrame:
    return pd.DataFrame(people, columns=["person_id", "email_sha256", "phone_sha256"])


def ids(frame: pd.DataFrame) -> list[tuple]:
    return sorted(tuple("" if pd.isna(v) else v for v in r) for r in frame.itertuples(index=False))


def test_adds_and_removes_and_a_changed_key_is_a_remove_and_an_add():
    same = [("a", "ea", "pa"), ("e", "ee", None), ("f", None, "pf")]
    there = rows(*same, ("b", "eb", None), ("c", "ec", "pc"))
    wanted = rows(*same, ("b", "eb2", None), ("d", None, "pd"))
    made = plan(wanted, there)
    assert ids(made.adds) == [("b", "eb2", ""), ("d", "", "pd")]
    assert ids(made.removes) == [("b", "eb", ""), ("c", "ec", "pc")]
    assert not made.replace and made.rows_to_send == 4 and made.change_share == 4 / 5


def test_a_full_replace_when_it_sends_fewer_rows_than_the_diff():
    there = rows(*[(f"p{i}", f"e{i}", None) for i in range(10)])
    wanted = rows(*[(f"q{i}", f"f{i}", None) for i in range(4)])
    made = plan(wanted, there)
    assert made.replace and made.rows_to_send == 4 and (len(made.adds), len(made.removes)) == (4, 10)
    first = plan(wanted, rows())  # nothing there yet: adds, never a replace
    assert not first.replace and len(first.adds) == 4 and first.change_share == 1.0


def test_rows_an_unfinished_sync_may_have_added_are_removed_if_unwanted_and_added_again_if_wanted():
    synced = rows(("a", "ea", None))
    pending = rows(("x", "ex", None), ("y", "ey", None))  # recorded before a sync that then crashed
    made = plan(rows(("a", "ea", None), ("y", "ey", None)), synced, pending)
    assert ids(made.removes) == [("x", "ex", "")]
    assert ids(made.adds) == [("y", "ey", "")]  # y may not have arrived: sent again, which changes nothing if it did


def test_approval_for_a_new_audience_or_a_large_change():
    there = rows(*[(f"p{i}", f"e{i}", None) for i in range(10)])
    small = plan(rows(*[(f"p{i}", f"e{i}", None) for i in range(9)]), there)  # one removed of ten
    assert not needs_approval(small, created=False, max_change_share=0.2)
    assert needs_approval(small, created=True, max_change_share=0.2)
    assert needs_approval(small, created=False, max_change_share=0.05)
