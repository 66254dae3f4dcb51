"""What a retry can change is decided in one place: the rest fails the task at once."""

import pytest
from airflow.sdk.exceptions import AirflowFailException

from socialpulse.connectors.crm import CrmDropError, CrmDropMissingError
from socialpulse.connectors.files import FileRefusedError, FileServerBusyError
from socialpulse.connectors.meta import MetaAuthError, MetaRetriesExhaustedError, classify
from socialpulse.connectors.x import XAuthError, XUsageCapError
from socialpulse.errors import ConnectionConfigError
from socialpulse.jobs.propensity import NothingToLearnError
from socialpulse.lake.files import RawPayloadError
from socialpulse.pipeline.quality import QualityGateError
from socialpulse.transforms.currency import RatesError, RatesUnavailableError
from socialpulse_airflow.retries import fail_fast, permanent

PERMANENT = [
    MetaAuthError("Session has expired", "meta_marketing"),
    classify(400, {"error": {"message": "(#200) Requires ads_read permission", "code": 200}}, "meta_marketing"),
    classify(
        400,
        {"error": {"message": "(#2635) You are calling a deprecated version of the Ads API", "code": 2635}},
        "meta_marketing",
    ),
    XAuthError("Unauthorized", "x_api"),
    XUsageCapError("Monthly product cap"),
    ConnectionConfigError("connection 'x_api' lists no users"),
    CrmDropError("users.csv lacks columns"),
    FileRefusedError("HTTP 403"),
    QualityGateError("too much quarantined"),
    RawPayloadError("truncated"),
    RatesError("no rates"),
    ConnectionConfigError("short key"),
    NothingToLearnError("0 buyers in 4984 people: has the CRM drop's order history landed?"),
]
RETRYABLE = [
    classify(500, {"error": {"message": "An unexpected error has occurred", "code": 2}}),
    classify(400, {"error": {"message": "User request limit reached", "code": 17}}),
    MetaRetriesExhaustedError("gave up after 6 attempts"),
    FileServerBusyError("HTTP 503"),
    ConnectionError("reset by peer"),
    RuntimeError("a bug: let Airflow's retries and the log show it"),
    CrmDropMissingError("no CRM file: has the day's drop arrived?"),
    RatesUnavailableError("none published yet"),
]


@pytest.mark.parametrize("error", PERMANENT, ids=lambda e: type(e).__name__)
def test_what_no_retry_can_change_fails_at_once_with_its_message(error):
    assert permanent(error)

    @fail_fast
    def task():
        raise error

    with pytest.raises(AirflowFailException) as caught:
        task()
    assert str(error) in str(caught.value) and caught.value.__cause__ is error


@pytest.mark.parametrize("error", RETRYABLE, ids=lambda e: type(e).__name__)
def test_what_a_retry_may_change_is_left_to_airflow_s_retries(error):
    assert not permanent(error)

    @fail_fast
    def task():
        raise error

    with pytest.raises(type(error)):
        task()


class SummaryTi:
    """What summarize asks of its task instance: the run's task states, the kept causes, its own log link."""

    log_url = "http://ui/dags/d/runs/r/tasks/summarize_failures?try_number=1"

    def get_task_states(self, dag_id: str, run_ids: list[str]) -> dict:
        return {"r": {"a": "failed", "b": "failed", "c": "success"}}

    def xcom_pull(self, task_ids: list[str], key: str) -> list[dict]:
        return [{"task": "a", "cause": "a: boom"}]  # kept before label and log_url existed


def test_the_summary_fails_the_run_even_when_its_e_mail_cannot_be_sent(monkeypatch):
    from socialpulse_airflow import alerts
    from socialpulse_airflow.failures import summarize

    sent = []

    def mail_server_down(context, failures: list[dict]) -> None:
        sent.append(failures)
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(alerts, "alert_failure", mail_server_down)
    with pytest.raises(AirflowFailException, match=r"^2 failed in this run: a: boom; b: failed, see its log$"):
        summarize(SummaryTi(), "d", "r", ["a", "b", "c"], {})
    run_page = "http://ui/dags/d/runs/r"
    assert sent == [
        [
            {"task": "a", "label": "a", "cause": "a: boom", "log_url": run_page},
            {"label": "b", "cause": "b: failed, see its log", "log_url": run_page},
        ]
    ]
