"""Alerts reach a local SMTP server (aiosmtpd): a failed task once, with its log's link; a missed freshness deadline."""

from __future__ import annotations

import json
import socket
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller

from socialpulse_airflow.alerts import FRESHNESS_HOURS
from tests.dags.conftest import causes, failed_tries

AS_OF, DAY = date(2026, 11, 5), date(2026, 11, 2)
LOGICAL_DATE = datetime(2026, 11, 3, tzinfo=UTC)
RECIPIENTS = ["marketing-data@example.com", "oncall@example.com"]


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's handler hook
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((envelope.rcpt_tos, message))
        return "250 OK"


@pytest.fixture
def inbox(monkeypatch):
    """An SMTP server on localhost, and the alerts connection pointing at it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv(
        "AIRFLOW_CONN_SOCIALPULSE_ALERTS",
        json.dumps(
            {
                "conn_type": "smtp",
                "host": "127.0.0.1",
                "port": port,
                "extra": {
                    "from_email": "socialpulse@example.com",
                    "to": RECIPIENTS,
                    "disable_ssl": True,
                    "disable_tls": True,
                },
            }
        ),
    )
    yield handler
    controller.stop()


def body(message) -> str:
    return "".join(part.get_content() for part in message.walk() if part.get_content_type() == "text/html")


def test_a_failed_task_sends_one_message_naming_dag_date_task_and_log(dags, pipeline, inbox, tmp_path):
    pipeline(DAY, AS_OF)
    (tmp_path / "crm" / f"ds={DAY}" / "orders.csv").write_text("order_id,user_id\no1,u1\n")
    run = dags["crm_daily"].test(logical_date=LOGICAL_DATE)
    assert run.state == "failed"
    assert len(inbox.messages) == 1  # from the run's summary: extract_crm failed, the rest were skipped or upstream
    recipients, message = inbox.messages[0]
    assert recipients == RECIPIENTS
    assert message["Subject"] == f"SocialPulse: crm_daily failed for {DAY} in extract_crm"
    text = body(message)
    assert f"/dags/crm_daily/runs/{quote(run.run_id)}/tasks/extract_crm?try_number=1" in text
    assert "orders.csv" in text  # the cause, in the library's words


def test_a_run_with_several_failed_tasks_sends_one_message_naming_each(dags, pipeline, inbox):
    pipeline(DAY, AS_OF, x_token="another-token")  # X refuses the token: both X accounts' extracts fail
    run = dags["organic_social_daily"].test(logical_date=LOGICAL_DATE)
    assert run.state == "failed" and len(inbox.messages) == 1
    _, message = inbox.messages[0]
    first = "extract_organic[x:1597000000000000001]"
    assert message["Subject"] == f"SocialPulse: organic_social_daily failed for {DAY} in {first} and 1 more"
    text = body(message)
    assert text.count("<li>") == 2 and text.count("connection &#39;x_api&#39;") == 2
    assert text.count(f"<li>{first}: ") == 1 and text.count(first) == 1  # each task named once, by its cause
    failed = [
        ti.map_index for ti in run.get_task_instances() if ti.task_id == "extract_organic" and ti.state == "failed"
    ]
    assert len(failed) == 2 and all(f"/tasks/extract_organic/mapped/{i}?try_number=1" in text for i in failed)


def test_without_the_alerts_connection_a_failure_is_only_logged(dags, pipeline, tmp_path, monkeypatch, caplog):
    from socialpulse_airflow.alerts import alerts_configured

    monkeypatch.delenv("AIRFLOW_CONN_SOCIALPULSE_ALERTS", raising=False)
    assert not alerts_configured()
    pipeline(DAY, AS_OF)
    (tmp_path / "crm" / f"ds={DAY}" / "orders.csv").write_text("order_id,user_id\no1,u1\n")
    with caplog.at_level("INFO", logger="socialpulse_airflow.alerts"):
        assert dags["crm_daily"].test(logical_date=LOGICAL_DATE).state == "failed"
    said = [r.getMessage() for r in caplog.records if r.name == "socialpulse_airflow.alerts"]
    assert said == ["connection 'socialpulse_alerts' is not set: no e-mail about this failure"]


def test_a_run_without_a_data_interval_is_named_by_its_logical_date_or_when_it_was_due():
    from types import SimpleNamespace

    from socialpulse_airflow.alerts import alert_day

    due = SimpleNamespace(run_after=datetime(2026, 11, 4, 0, 5, tzinfo=UTC))
    assert alert_day({"data_interval_start": datetime(2026, 11, 2, tzinfo=UTC), "dag_run": due}) == "2026-11-02"
    assert alert_day({"data_interval_start": None, "logical_date": LOGICAL_DATE, "dag_run": due}) == "2026-11-03"
    assert alert_day({"dag_run": due}) == "2026-11-04"  # an asset-triggered run


def audit_until(warehouse, days: dict[str, str]) -> None:
    """pipeline_audit as the clean steps and loads leave it: each entity's days up to the one given, loaded."""
    import sqlite3

    from socialpulse.warehouse import apply_migrations

    with sqlite3.connect(warehouse) as conn:
        apply_migrations(conn)
        for entity, newest in days.items():
            for back in range(3):
                day = (date.fromisoformat(newest) - timedelta(days=back)).isoformat()
                conn.execute(
                    "INSERT INTO pipeline_audit (ds, entity, run_id, rows_in, loaded_at) "
                    "VALUES (?, ?, 'r', 1, '2026-11-03T01:00:00+00:00')",
                    (day, entity),
                )


def test_a_source_late_for_its_target_is_e_mailed_once_in_the_hour_its_target_passes(dags, pipeline, inbox, tmp_path):
    warehouse, _ = pipeline(DAY, AS_OF)
    audit_until(
        warehouse,
        {
            "campaign_metrics": "2026-11-01",
            "post_metrics": "2026-11-02",
            "engagement_events": "2026-11-02",
            "crm_users": "2026-11-02",
        },
    )  # no crm_orders
    dag = dags["source_freshness"]
    sent = {}
    for hour in (6, 7, 8):  # the hours starting at 06:00, 07:00 and 08:00 of 2026-11-03
        run = dag.test(logical_date=datetime(2026, 11, 3, hour + 1, tzinfo=UTC))  # a manual run checks the hour before
        assert run.state == "success" and run.data_interval_start.hour == hour
        sent[hour] = [message for _, message in inbox.messages]
        inbox.messages.clear()
    assert [(h, [m["Subject"] for m in sent[h]]) for h in sorted(sent)] == [
        (6, ["SocialPulse: meta_ads_daily has not loaded 2026-11-02 by its freshness target"]),
        (7, []),
        (8, ["SocialPulse: crm_daily has not loaded 2026-11-02 by its freshness target"]),
    ]
    meta = body(sent[6][0])
    assert "data date <b>2026-11-02</b> was due by 2026-11-03 06:00 (UTC)" in meta
    assert "the newest day loaded is 2026-11-01" in meta and '/dags/meta_ads_daily"' in meta
    assert "the newest day loaded is none" in body(sent[8][0])  # crm_orders never loaded


def test_targets_passed_while_no_check_ran_are_named_by_the_next_one(dags, pipeline, inbox):
    warehouse, _ = pipeline(DAY, AS_OF)
    audit_until(
        warehouse,
        {
            "campaign_metrics": "2026-11-02",
            "post_metrics": "2026-11-03",
            "engagement_events": "2026-11-03",
            "crm_users": "2026-11-03",
            "crm_orders": "2026-11-02",
        },
    )
    dag = dags["source_freshness"]
    assert dag.test(logical_date=datetime(2026, 11, 4, 5, tzinfo=UTC)).state == "success"  # checks 04:00-05:00
    assert inbox.messages == []
    # No check ran from 05:00 to 09:00 (the scheduler was down): both targets passed meanwhile.
    assert dag.test(logical_date=datetime(2026, 11, 4, 10, tzinfo=UTC)).state == "success"
    assert sorted(message["Subject"] for _, message in inbox.messages) == [
        "SocialPulse: crm_daily has not loaded 2026-11-03 by its freshness target",
        "SocialPulse: meta_ads_daily has not loaded 2026-11-03 by its freshness target",
    ]


def test_the_variable_moves_a_target_and_a_wrong_one_fails_the_check_at_once(dags, pipeline, inbox, monkeypatch):
    warehouse, _ = pipeline(DAY, AS_OF)
    audit_until(
        warehouse,
        {
            "campaign_metrics": "2026-11-01",
            "post_metrics": "2026-11-02",
            "engagement_events": "2026-11-02",
            "crm_users": "2026-11-02",
            "crm_orders": "2026-11-02",
        },
    )
    monkeypatch.setenv("AIRFLOW_VAR_SOCIALPULSE_FRESHNESS_HOURS", '{"meta_ads_daily": 7}')
    dag = dags["source_freshness"]
    sent = {}
    for hour in (6, 7):
        assert dag.test(logical_date=datetime(2026, 11, 3, hour + 1, tzinfo=UTC)).state == "success"
        sent[hour] = [message["Subject"] for _, message in inbox.messages]
        inbox.messages.clear()
    assert sent == {6: [], 7: ["SocialPulse: meta_ads_daily has not loaded 2026-11-02 by its freshness target"]}

    monkeypatch.setenv("AIRFLOW_VAR_SOCIALPULSE_FRESHNESS_HOURS", '{"meta_ads": 7}')
    assert all(task.retries == 3 for task in dag.tasks)  # dag.test would wait minutes if it were retried
    run = dag.test(logical_date=datetime(2026, 11, 3, 9, tzinfo=UTC))
    assert run.state == "failed" and failed_tries(run, "check_source_freshness") == {"-1": 1}
    assert (
        len(causes(run)) == 1
        and "variable 'socialpulse_freshness_hours' names 1 key that is not a source DAG "
        "(text of 8 characters, did you mean meta_ads_daily?)"
        in causes(run)[0]
    )
    assert [message["Subject"] for _, message in inbox.messages] == [
        "SocialPulse: source_freshness failed for 2026-11-03 in check_source_freshness"
    ]


def test_every_source_dag_has_a_target_and_its_entities(dags):
    from socialpulse_airflow.warehouse import SOURCE_ENTITIES

    sources = {"meta_ads_daily", "organic_social_daily", "crm_daily"}
    assert set(FRESHNESS_HOURS) == set(SOURCE_ENTITIES) == sources and sources <= set(dags)
