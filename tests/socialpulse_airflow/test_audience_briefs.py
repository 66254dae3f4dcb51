"""The campaign briefs a task reads: the file the variable names (or ./audiences.yaml), then the YAML variable."""

from __future__ import annotations

import pytest

from socialpulse.audience.briefs import BriefError
from socialpulse_airflow.audience import declared_briefs, running_controls
from socialpulse_dev.devenv import PROJECT_ROOT
from socialpulse_dev.simulator import meta_data
from socialpulse_dev.simulator.experiments import PLANTED_FILE

MORE = """audiences:
  - name: extra
    account_id: "1001"
    campaign_ids: ["99"]
    goal: prospect
    max_size: 500
  - name: broken
    account_id: "1001"
    campaign_ids: ["98"]
    goal: prospects
    max_size: 500
"""


def test_the_file_and_the_variable_add_up_and_a_wrong_brief_is_reported_beside_the_valid_ones(monkeypatch):
    monkeypatch.setenv("AIRFLOW_VAR_SOCIALPULSE_AUDIENCES_FILE", str(meta_data.BRIEFS_FILE))
    monkeypatch.setenv("AIRFLOW_VAR_SOCIALPULSE_AUDIENCES", MORE)
    briefs, errors = declared_briefs()
    campaigns = [c for a in meta_data.ACCOUNTS for c, _ in meta_data.campaigns(7, a)]
    assert [b.campaign_ids[0] for b in briefs] == [*campaigns, "99"]
    assert [str(e) for e in errors] == [
        "variable socialpulse_audiences:10: brief 'broken' field 'goal': expected one of "
        "[retarget, win_back, loyalty, prospect]"
    ]


def test_the_checkouts_file_declares_none_and_a_file_named_but_missing_stops(monkeypatch, tmp_path):
    monkeypatch.chdir(PROJECT_ROOT)
    assert declared_briefs() == ((), ())
    monkeypatch.setenv("AIRFLOW_VAR_SOCIALPULSE_AUDIENCES_FILE", str(tmp_path / "nowhere.yaml"))
    with pytest.raises(
        BriefError, match=r"variable socialpulse_audiences_file names .*nowhere\.yaml, which is not a file"
    ):
        declared_briefs()


def test_only_running_experiments_on_crm_groups_hold_their_control_out(monkeypatch):
    monkeypatch.setenv("AIRFLOW_VAR_SOCIALPULSE_EXPERIMENTS_FILE", str(PLANTED_FILE))
    assert running_controls("2026-11-03") == [("experiment_retargeting", "holdout")]
    assert running_controls("2026-10-01") == []  # before it started
