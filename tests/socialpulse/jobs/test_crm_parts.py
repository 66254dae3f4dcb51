"""The CRM drop cleaned a part at a time: the same days as cleaned whole, keys repeated across parts kept last."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from socialpulse import lake as lake_zone
from socialpulse.connectors.crm import CrmDropError
from socialpulse.jobs import crm
from socialpulse.lake.tables import Table
from socialpulse_dev.simulator.crm_drop import write_drop
from tests.socialpulse.jobs.conftest import DS, KEY


def _repeat_rows(path: Path, changes: list[tuple[int, dict[str, str]]]) -> None:
    """Append copies of rows (by position) with some cells changed: a drop that repeats keys far apart."""
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    with path.open("a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        for position, cells in changes:
            writer.writerow({**rows[position], **cells})


def _cleaned(tmp_path: Path, drop: Path, name: str) -> tuple[lake_zone.Lake, dict]:
    lake = lake_zone.Lake.at(tmp_path / name)
    crm.extract(str(drop), lake, DS, "run-1")
    return lake, crm.clean(lake, DS, KEY)


def _day(table: Table, key: str) -> pd.DataFrame:
    """The day's rows in the key's order, without the time each lake landed its drop."""
    day = table.read_days([DS])
    return day.drop(columns=["extracted_at"], errors="ignore").sort_values(key).reset_index(drop=True)


def test_a_drop_cleaned_in_parts_equals_it_cleaned_whole(tmp_path, monkeypatch):
    drop = tmp_path / "crm"
    folder = write_drop(drop, date.fromisoformat(DS))
    _repeat_rows(folder / "users.csv", [(0, {"city": "Firstcopy"}), (1, {"age": "7"}), (0, {"city": "Lastcopy"})])
    late = {"ordered_at": "2001-01-01T00:00:00Z"}  # valid, and no rate of its day: quarantined when converted
    _repeat_rows(folder / "orders.csv", [(0, {"amount": "12.50"}), (1, {"amount": "abc"}), (2, {}), (3, late)])
    whole, cleaned_whole = _cleaned(tmp_path, drop, "whole")
    monkeypatch.setattr(crm, "CRM_PART_ROWS", 40)  # several parts; the repeats far from their first rows
    parts, cleaned_parts = _cleaned(tmp_path, drop, "parts")

    users = _day(parts.clean("crm_users"), "person_id")
    assert len(pd.read_csv(folder / "users.csv")) > 3 * crm.CRM_PART_ROWS
    pd.testing.assert_frame_equal(users, _day(whole.clean("crm_users"), "person_id"))
    assert "Lastcopy" in set(users["city"]) and "Firstcopy" not in set(users["city"])  # the last row of a repeated user
    orders = _day(parts.clean("crm_orders"), "order_id")
    pd.testing.assert_frame_equal(orders, _day(whole.clean("crm_orders"), "order_id"))
    assert 12.5 in set(orders["amount"])  # the last row of a repeated order
    for entity in ("crm_users", "crm_orders"):
        pd.testing.assert_frame_equal(
            _day(parts.quarantine(entity), "original"), _day(whole.quarantine(entity), "original")
        )
    pd.testing.assert_frame_equal(
        _day(parts.restricted(crm.MATCH_KEYS), "person_id"),
        _day(whole.restricted(crm.MATCH_KEYS), "person_id"),
    )
    counted = ["rows_in", "rows_clean", "rows_quarantined", "duplicates_dropped", "top_reasons"]
    assert [{k: e[k] for k in counted} for e in cleaned_parts["audit"]] == [
        {k: e[k] for k in counted} for e in cleaned_whole["audit"]
    ]
    assert [e["duplicates_dropped"] for e in cleaned_parts["audit"][:2]] == [2, 3]
    assert cleaned_parts["orders"]["quarantined"] == 2  # the repeat with a wrong amount, and the one of 2001


def test_a_drop_with_a_refused_file_lands_neither(tmp_path):
    drop = tmp_path / "crm"
    folder = write_drop(drop, date.fromisoformat(DS))
    (folder / "orders.csv").write_text("order_id,user_id\no1,u1\n")  # lacks columns: refused once users.csv is copied
    lake = lake_zone.Lake.at(tmp_path / "lake")
    with pytest.raises(CrmDropError, match=r"orders\.csv of 2026-11-02 lacks columns"):
        crm.extract(str(drop), lake, DS, "run-1")
    assert not [p for p in lake.root.rglob("*") if p.is_file()]  # nothing landed, nothing left staged
