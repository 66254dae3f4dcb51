"""A run's failures, kept as they happen and told once at the end: the `summarize_failures` task and its e-mail.

Whether a failure is retried at all is decided in socialpulse_airflow.retries.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


FAILURE_KEY = "failure"


def remember_failure(context) -> None:
    """on_failure_callback of every task: keep what failed and why, in the user's words, for the run's summary."""
    from airflow.sdk.exceptions import AirflowFailException

    ti, error = context["ti"], context.get("exception")
    mapped = ti.map_index is not None and ti.map_index >= 0
    shown = getattr(ti, "rendered_map_index", None) or (ti.map_index if mapped else None)
    if isinstance(error, AirflowFailException) and isinstance(error.__cause__, Exception):
        error = error.__cause__  # fail_fast's wrapper: the library's own error says it best
    label = f"{ti.task_id}[{shown}]" if shown is not None else ti.task_id
    ti.xcom_push(
        key=FAILURE_KEY,
        value={
            "task": f"{ti.task_id}_{ti.map_index}" if mapped else ti.task_id,  # as get_task_states names it
            "label": label,
            "cause": f"{label}: {error or 'see its log'}",
            "log_url": ti.log_url,
        },
    )


def summarize(ti, dag_id: str, run_id: str, task_ids: list[str], context) -> None:
    """Fail naming every task of the run that failed and why, in one alert e-mail; a run whose sources were only
    skipped passes.

    A cause counts only while its task is failed (one marked success later does not fail
    the run again); a failed task whose callback kept nothing is still named, with the run's page.
    """
    from airflow.sdk.exceptions import AirflowFailException

    from socialpulse_airflow.alerts import alert_failure

    states = ti.get_task_states(dag_id=dag_id, run_ids=[run_id]).get(run_id, {})
    failed = sorted(task for task, state in states.items() if state == "failed")
    kept = {c["task"]: c for c in ti.xcom_pull(task_ids=task_ids, key=FAILURE_KEY) or [] if isinstance(c, dict)}
    run_page = ti.log_url.split("/tasks/")[0]
    # What a callback kept goes over the defaults: one kept before label and log_url existed still reads.
    named = [
        {"label": task, "cause": f"{task}: failed, see its log", "log_url": run_page, **kept.get(task, {})}
        for task in failed
    ]
    if named:
        try:
            alert_failure(context, named)
        except Exception:  # a mail server down must not hide the run's summary, nor retry it into more mails
            log.exception("the failure e-mail of this run could not be sent")
        raise AirflowFailException(f"{len(named)} failed in this run: " + "; ".join(n["cause"] for n in named))
