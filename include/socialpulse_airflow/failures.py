"""Which failures a retry can change, decided in one place; the others fail the task at once.

Throttling, 5xx, timeouts and broken bodies are retried inside the clients; when
those retries run out, Airflow's own retries (minutes apart) may still help. What
no retry can change (a refused token, a missing permission, X's monthly cap, a
wrong request, a bad connection, variable, drop file or rates answer, a raw file
that cannot be read, a malformed experiment declaration) raises AirflowFailException
on the first try, with the library's message, which says what to fix. The library stays free of Airflow:
its errors say `retryable = False`, or are of a class listed here.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger(__name__)


def permanent(error: BaseException) -> bool:
    """Whether retrying the task cannot change the outcome."""
    from socialpulse.connectors.connection import ConnectionSettingsError
    from socialpulse.connectors.http import RetriesExhaustedError
    from socialpulse.errors import SocialPulseError
    from socialpulse.jobs.quality import QualityGateError
    from socialpulse.lake import RawPayloadError
    from socialpulse.transforms.privacy import PseudonymizationKeyError

    if isinstance(error, RetriesExhaustedError) or getattr(error, "retryable", None) is True:
        return False  # busy, down, or not there yet: a retry minutes later may find it back
    if getattr(error, "retryable", None) is False or isinstance(error, SocialPulseError):
        return True  # classified: a platform's auth, permission, cap, bad request; a declaration; a drop
    return isinstance(error, ConnectionSettingsError | QualityGateError | RawPayloadError | PseudonymizationKeyError)


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
    ti.xcom_push(key=FAILURE_KEY, value={
        "task": f"{ti.task_id}_{ti.map_index}" if mapped else ti.task_id,  # as get_task_states names it
        "label": label, "cause": f"{label}: {error or 'see its log'}", "log_url": ti.log_url})


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
    named = [{"label": task, "cause": f"{task}: failed, see its log", "log_url": run_page, **kept.get(task, {})}
             for task in failed]
    if named:
        try:
            alert_failure(context, named)
        except Exception:  # a mail server down must not hide the run's summary, nor retry it into more mails
            log.exception("the failure e-mail of this run could not be sent")
        raise AirflowFailException(f"{len(named)} failed in this run: " + "; ".join(n["cause"] for n in named))


def fail_fast(function: F) -> F:
    """Run a task's function; a failure no retry can change fails the task now, with its message."""

    @functools.wraps(function)
    def run(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except Exception as error:
            if not permanent(error):
                raise
            from airflow.sdk.exceptions import AirflowFailException

            raise AirflowFailException(f"{type(error).__name__}: {error} (not retried: no retry can change "
                                       "this)") from error

    return run  # type: ignore[return-value]
