"""E-mail alerts through the SMTP provider's notifier: a task that failed, a source later than its freshness target.

Everything comes from the Airflow connection `socialpulse_alerts` (type smtp): the server,
its login, and in its extras `from_email` and `to` (one address or a list), so no DAG
names an address. Without the connection, failures are only logged, as before.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from airflow.providers.smtp.notifications.smtp import SmtpNotifier

from socialpulse.config import ALERTS_CONN_ID

log = logging.getLogger(__name__)

# Freshness targets: data for day D loaded by this UTC hour of D+1. A scheduled run is queued at 00:00 of
# D+1, so its deadline is this many hours after it was queued (a backfilled run gets as long from its queueing).
FRESHNESS_HOURS = {"meta_ads_daily": 6, "organic_social_daily": 6, "crm_daily": 8}

FAILURE_SUBJECT = ("SocialPulse: {{ ti.dag_id }} failed for {{ data_interval_start.strftime('%Y-%m-%d') }} "
                   "in {{ ti.task_id }}")
FAILURE_BODY = (
    "<p>DAG <b>{{ ti.dag_id }}</b>, data date <b>{{ data_interval_start.strftime('%Y-%m-%d') }}</b> "
    "(run {{ ti.run_id }}): task <b>{{ ti.task_id }}</b>{% if ti.map_index is not none and ti.map_index >= 0 %}"
    " [{{ ti.map_index }}]{% endif %} failed after {{ ti.try_number }} tries.</p>"
    "<p>{{ exception | e }}</p><p>Its log: <a href=\"{{ ti.log_url }}\">{{ ti.log_url }}</a></p>")
# A deadline's context is what the scheduler sends the triggerer: the run (as the REST API shows it) and the deadline.
LATE_SUBJECT = ("SocialPulse: {{ dag_run.dag_id }} has not loaded {{ dag_run.data_interval_start[:10] }} "
                "by its freshness target")
LATE_BODY = (
    "<p>DAG <b>{{ dag_run.dag_id }}</b>: the run for data date <b>{{ dag_run.data_interval_start[:10] }}</b> "
    "({{ dag_run.dag_run_id }}, {{ dag_run.state }}) had not finished at {{ deadline.deadline_time }}, its "
    "freshness target. Its tasks and logs: <a href=\"{run_url}\">{run_url}</a></p>")


class PipelineAlert(SmtpNotifier):
    """The SMTP provider's notifier, sending to the `to` of the alerts connection's extras."""

    def __init__(self, subject: str, html_content: str, **kwargs) -> None:
        super().__init__(to=[], subject=subject, html_content=html_content, smtp_conn_id=ALERTS_CONN_ID, **kwargs)

    def _build_email_content(self, smtp, context) -> None:
        # Where SmtpNotifier itself takes from_email from the connection, the recipients come from there too.
        if not self.to:
            self.to = smtp.conn.extra_dejson.get("to")
            if not self.to:
                raise ValueError(f"connection '{ALERTS_CONN_ID}' has no recipients: set \"to\" in its extras")
        super()._build_email_content(smtp, context)


def alerts_configured() -> bool:
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        BaseHook.get_connection(ALERTS_CONN_ID)
    except AirflowNotFoundException:
        return False
    return True


def alert_failure(context) -> None:
    """on_failure_callback of every task: one e-mail per failed task (after its last retry)."""
    if not alerts_configured():
        log.info("connection '%s' is not set: no e-mail about this failure", ALERTS_CONN_ID)
        return
    PipelineAlert(FAILURE_SUBJECT, FAILURE_BODY)(context)


def freshness_deadline(dag_id: str):
    """The deadline alert of a source DAG: an e-mail when a run has not finished by its freshness target."""
    from airflow.configuration import conf
    from airflow.sdk import AsyncCallback, DeadlineAlert, DeadlineReference

    base_url = conf.get("api", "base_url", fallback="http://localhost:8080/").rstrip("/")
    run_url = f"{base_url}/dags/{{{{ dag_run.dag_id }}}}/runs/{{{{ dag_run.dag_run_id }}}}"
    return DeadlineAlert(reference=DeadlineReference.DAGRUN_QUEUED_AT,
                         interval=timedelta(hours=FRESHNESS_HOURS[dag_id]),
                         callback=AsyncCallback(PipelineAlert, kwargs={
                             "subject": LATE_SUBJECT, "html_content": LATE_BODY.replace("{run_url}", run_url)}))
