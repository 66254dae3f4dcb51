"""Alerts reach a local SMTP server (aiosmtpd): a failed task once, with its log's link; a missed freshness deadline."""

from __future__ import annotations

import asyncio
import json
import socket
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller

from socialpulse_airflow.alerts import FRESHNESS_HOURS

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
    monkeypatch.setenv("AIRFLOW_CONN_SOCIALPULSE_ALERTS", json.dumps({
        "conn_type": "smtp", "host": "127.0.0.1", "port": port,
        "extra": {"from_email": "socialpulse@example.com", "to": RECIPIENTS, "disable_ssl": True,
                  "disable_tls": True}}))
    yield handler
    controller.stop()


def body(message) -> str:
    return "".join(part.get_content() for part in message.walk() if part.get_content_type() == "text/html")


def test_a_failed_task_sends_one_message_naming_dag_date_task_and_log(dags, pipeline, inbox, tmp_path):
    pipeline(DAY, AS_OF)
    (tmp_path / "crm" / f"ds={DAY}" / "orders.csv").write_text("order_id,user_id\no1,u1\n")
    run = dags["crm_daily"].test(logical_date=LOGICAL_DATE)
    assert run.state == "failed"
    assert len(inbox.messages) == 1  # extract_crm only: skipped and upstream-failed tasks and the summary send none
    recipients, message = inbox.messages[0]
    assert recipients == RECIPIENTS
    assert message["Subject"] == f"SocialPulse: crm_daily failed for {DAY} in extract_crm"
    text = body(message)
    assert f"/dags/crm_daily/runs/{quote(run.run_id)}/tasks/extract_crm?try_number=1" in text
    assert "orders.csv" in text  # the cause, in the library's words


def test_without_the_alerts_connection_a_failure_is_only_logged(dags, pipeline, tmp_path, monkeypatch):
    from socialpulse_airflow.alerts import alerts_configured

    monkeypatch.delenv("AIRFLOW_CONN_SOCIALPULSE_ALERTS", raising=False)
    assert not alerts_configured()
    pipeline(DAY, AS_OF)
    (tmp_path / "crm" / f"ds={DAY}" / "orders.csv").write_text("order_id,user_id\no1,u1\n")
    assert dags["crm_daily"].test(logical_date=LOGICAL_DATE).state == "failed"


@pytest.mark.parametrize("dag_id", sorted(FRESHNESS_HOURS))
def test_each_source_has_a_freshness_deadline_sending_through_the_alerts_connection(dags, dag_id):
    (alert,) = dags[dag_id].deadline if isinstance(dags[dag_id].deadline, list) else [dags[dag_id].deadline]
    assert alert.interval == timedelta(hours=FRESHNESS_HOURS[dag_id])
    assert type(alert.reference).__name__ == "DagRunQueuedAtDeadline"
    assert alert.callback.path == "socialpulse_airflow.alerts.PipelineAlert"


def test_a_missed_deadline_sends_its_message_as_the_triggerer_runs_it(dags, inbox):
    from airflow.triggers.callback import CallbackTrigger

    alert = dags["meta_ads_daily"].deadline
    alert = alert[0] if isinstance(alert, list) else alert
    # The context the scheduler gives the triggerer on a miss (Deadline.handle_miss): the run as the API shows it.
    context = {"dag_run": {"dag_id": "meta_ads_daily", "dag_run_id": "scheduled__2026-11-02T00:00:00+00:00",
                           "data_interval_start": "2026-11-02T00:00:00Z", "state": "running"},
               "deadline": {"id": "d1", "deadline_time": "2026-11-03T06:00:00+00:00"}}
    trigger = CallbackTrigger(alert.callback.path, {**alert.callback.kwargs, "context": context})

    async def run() -> list:
        return [event async for event in trigger.run()]

    events = asyncio.run(run())
    assert events[-1].payload["state"] == "success", events
    (recipients, message), = inbox.messages
    assert recipients == RECIPIENTS
    assert message["Subject"] == "SocialPulse: meta_ads_daily has not loaded 2026-11-02 by its freshness target"
    assert "/dags/meta_ads_daily/runs/scheduled__2026-11-02T00:00:00+00:00" in body(message)
    assert "2026-11-03T06:00:00+00:00" in body(message)
