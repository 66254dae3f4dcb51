"""The quarantine gate: a clean step stops when too much of an entity was quarantined, saying why and where."""

import pytest

from socialpulse.pipeline.quality import QualityGateError, check_quarantine_share
from tests.socialpulse.warehouse.test_audit import audit_entry


def test_quarantine_gate_passes_at_the_threshold_and_stops_just_over_it():
    check_quarantine_share([audit_entry("crm_users", 5)], 0.05)  # 5 of 100: at the threshold, no error
    with pytest.raises(QualityGateError, match=r"crm_users 2026-11-02: 6 of 100 rows quarantined"):
        check_quarantine_share([audit_entry("crm_users", 5), audit_entry("crm_users", 6)], 0.05)


def test_quarantine_gate_names_reasons_and_path():
    entry = {**audit_entry("crm_users", 20), "quarantine_path": "/lake/quarantine/crm_users/ds=x"}
    with pytest.raises(
        QualityGateError,
        match=r"crm_users 2026-11-02: 20 of 100 rows quarantined \(20.0% > 5.0%\), "
        r"top reasons \{'age outside 13-100': 1\}, rows and originals at "
        r"/lake/quarantine/crm_users/ds=x",
    ):
        check_quarantine_share([entry], 0.05)
