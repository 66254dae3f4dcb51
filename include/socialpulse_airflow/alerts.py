"""E-mail alerts through the SMTP provider's notifier: a task that failed, a source later than its freshness target.

Everything comes from the Airflow connection `socialpulse_alerts` (type smtp): the server,
its login, and in its extras `from_email` and `to` (one address or a list), so no DAG
names an address. Without the connection, failures and late sources are only logged.

Freshness is checked by the hourly DAG `source_freshness`, not by Airflow's deadline
alerts: in Airflow 3.3.2 a DAG with a deadline fails `dag.test()` / `airflow dags test` on
success (the test's deserialized DAG keeps the encoded alerts where `DagRun.update_state`
expects their ids), and a backfill's runs get deadlines too (docs/alerts.md).
"""

from __future__ import annotations

import logging

from socialpulse.config import ALERTS_CONN_ID, FRESHNESS_HOURS_VARIABLE
from socialpulse_airflow.retries import fail_fast
from socialpulse_airflow.warehouse import SOURCE_ENTITIES

log = logging.getLogger(__name__)

# Freshness targets: data for day D loaded (audited, and its run's load succeeded) by this UTC hour of D+1;
# the variable socialpulse_freshness_hours overrides them per source (freshness_hours).
FRESHNESS_HOURS = {"meta_ads_daily": 6, "organic_social_daily": 6, "crm_daily": 8}

# One e-mail per failed run, sent by its summarize_failures task: every failed task with its cause (which starts
# with the task's label) and log.
FAILURE_SUBJECT = (
    "SocialPulse: {{ dag_run.dag_id }} failed for {{ alert_day }} in {{ failures[0].label }}"
    "{% if failures | length > 1 %} and {{ failures | length - 1 }} more{% endif %}"
)
FAILURE_BODY = (
    "<p>DAG <b>{{ dag_run.dag_id }}</b>, data date <b>{{ alert_day }}</b> (run {{ dag_run.run_id }}): "
    "{{ failures | length }} task{{ 's' if failures | length > 1 }} failed after their last try.</p><ul>"
    "{% for f in failures %}<li>{{ f.cause | e }}<br>"
    'Its log: <a href="{{ f.log_url }}">{{ f.log_url }}</a></li>{% endfor %}</ul>'
)
LATE_SUBJECT = "SocialPulse: {dag_id} has not loaded {day} by its freshness target"
LATE_BODY = (
    "<p>DAG <b>{dag_id}</b>: data date <b>{day}</b> was due by {due} (UTC); the newest day loaded is "
    '{newest}. Its runs and their logs: <a href="{url}">{url}</a></p>'
)


def freshness_hours(configured: str | None) -> dict[str, int]:
    """Each source DAG's target hour: FRESHNESS_HOURS with what the variable's JSON object sets."""
    from socialpulse.freshness import targets

    return targets(FRESHNESS_HOURS, configured, f"variable '{FRESHNESS_HOURS_VARIABLE}'")


def alert_day(context) -> str:
    """The day a failure e-mail names: the data interval's, else the logical date's, else when the run was due.

    Asset-triggered and manual runs without a logical date have no data interval.
    """
    run = context.get("dag_run")
    when = context.get("data_interval_start") or context.get("logical_date") or getattr(run, "run_after", None)
    return when.strftime("%Y-%m-%d") if when is not None else "an unknown date"


def alerts_configured() -> bool:
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        BaseHook.get_connection(ALERTS_CONN_ID)
    except AirflowNotFoundException:
        return False
    return True


def alert_failure(context, failures: list[dict]) -> None:
    """One e-mail for a failed run: each failed task (label, cause, log_url); sent by the run's summary task."""
    if not alerts_configured():
        log.info("connection '%s' is not set: no e-mail about this failure", ALERTS_CONN_ID)
        return
    from socialpulse_airflow.alert_mail import PipelineAlert

    PipelineAlert(FAILURE_SUBJECT, FAILURE_BODY)({**context, "alert_day": alert_day(context), "failures": failures})


def check_freshness(newest_loaded: dict, hours: dict[str, int], start, end, context) -> list[dict]:
    """Each source whose day fell due in [start, end) without being loaded: logged, and e-mailed when configured.

    Run once per hour, each missed day is named once, in the hour its target passed.
    """
    from airflow.configuration import conf

    from socialpulse.freshness import due_at, missed_between, newest_day

    base_url = conf.get("api", "base_url", fallback="http://localhost:8080/").rstrip("/")
    send = alerts_configured()
    late = []
    for dag_id, hour in sorted(hours.items()):
        newest = newest_day(newest_loaded, SOURCE_ENTITIES[dag_id])
        day = missed_between(newest, hour, start, end)
        if day is None:
            continue
        facts = {
            "dag_id": dag_id,
            "day": day.isoformat(),
            "due": due_at(day, hour).strftime("%Y-%m-%d %H:%M"),
            "newest": newest.isoformat() if newest else "none",
            "url": f"{base_url}/dags/{dag_id}",
        }
        log.warning(
            "%s has not loaded %s by its freshness target %s; newest day loaded: %s",
            dag_id,
            facts["day"],
            facts["due"],
            facts["newest"],
        )
        late.append(facts)
        if send:
            from socialpulse_airflow.alert_mail import PipelineAlert

            # Already plain text: the notifier's template rendering leaves it as it is.
            PipelineAlert(LATE_SUBJECT.format(**facts), LATE_BODY.format(**facts))(context)
    if late and not send:
        log.info("connection '%s' is not set: no e-mail about the late sources", ALERTS_CONN_ID)
    return late


@fail_fast
def check_sources(start, end, last_checked=None) -> list[dict]:
    """The task of `source_freshness`: the warehouse's audit against each source's target, for [start, end).

    The window reaches back to the end of the last successful check (`last_checked`): targets that
    passed while the scheduler was down or the checks failed are still named, once.
    """
    from airflow.sdk import get_current_context

    from socialpulse.freshness import newest_loaded_days
    from socialpulse_airflow.lookups import variable
    from socialpulse_airflow.warehouse import in_warehouse

    hours = freshness_hours(variable(FRESHNESS_HOURS_VARIABLE))
    if last_checked and last_checked < start:  # a lazy proxy from the context: `is not None` is always true
        start = last_checked
    return check_freshness(in_warehouse(newest_loaded_days), hours, start, end, get_current_context())
