"""Which failures a retry can change, decided in one place; the others fail the task at once.

Throttling, 5xx, timeouts and broken bodies are retried inside the clients; when
those retries run out, Airflow's own retries (minutes apart) may still help. What
no retry can change (a refused token, a missing permission, X's monthly cap, a
wrong request, a bad connection, variable, drop file or rates answer, a raw file
that cannot be read) raises AirflowFailException on the first try, with the
library's message, which says what to fix. The library stays free of Airflow:
its errors say `retryable = False`, or are of a class listed here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def permanent(error: BaseException) -> bool:
    """Whether retrying the task cannot change the outcome."""
    from socialpulse.connectors.connection import ConnectionSettingsError
    from socialpulse.connectors.crm import CrmDropError
    from socialpulse.connectors.http import RetriesExhaustedError
    from socialpulse.jobs.quality import QualityGateError
    from socialpulse.lake import RawPayloadError
    from socialpulse.transforms.currency import RatesError
    from socialpulse.transforms.privacy import PseudonymizationKeyError

    if isinstance(error, RetriesExhaustedError):
        return False  # the platform stayed busy or down: a retry minutes later may find it back
    if getattr(error, "retryable", None) is False:
        return True  # a platform error its client classified: auth, permission, cap, bad request
    return isinstance(error, ConnectionSettingsError | CrmDropError | QualityGateError | RawPayloadError
                      | RatesError | PseudonymizationKeyError)


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
