"""A lake holding one CRM drop, landed and cleaned, for the privacy and erasure steps."""

from __future__ import annotations

from datetime import date

import pytest

from socialpulse import lake as lake_zone
from socialpulse.jobs import crm
from socialpulse_dev.simulator.audience import audience
from socialpulse_dev.simulator.crm_drop import write_drop

KEY = "a-test-key-of-enough-bytes"
DS = "2026-11-02"


@pytest.fixture
def lake(tmp_path) -> lake_zone.Lake:
    """A lake with the CRM drop of DS landed and cleaned (some people quarantined, for an impossible age)."""
    write_drop(tmp_path / "crm", date.fromisoformat(DS))
    root = lake_zone.Lake.at(tmp_path / "lake")
    crm.extract(str(tmp_path / "crm"), root, DS, "run-1")
    crm.clean(root, DS, KEY)
    return root


def linked_member():
    return next(m for m in audience(7) if m.facebook_id and m.x_id and m.signup_date <= date.fromisoformat(DS))
