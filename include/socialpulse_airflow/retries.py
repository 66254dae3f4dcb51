"""Which failures a retry can change, read from the error itself; the others fail the task at once.

Throttling, 5xx, timeouts and broken bodies are retried inside the clients; when those
retries run out, Airflow's own retries (minutes apart) may still help. What no retry can
change (a refused token, a missing permission, X's monthly cap, a wrong request, a bad
connection, variable, drop file or rates answer, a raw file that cannot be read, a malformed
declaration) raises AirflowFailException on the first try, with the library's message,
which says what to fix. The library says which is which once, in socialpulse.errors: every
error it raises on purpose is a RetryableError or a FatalError, and carries `retryable`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def permanent(error: BaseException) -> bool:
    """Whether retrying the task cannot change the outcome: the error says `retryable = False`.

    An error that says nothing (a bug, a dropped connection) is left to Airflow's retries.
    """
    return getattr(error, "retryable", True) is False


def fail_fast(function: F) -> F:
    """Run a task's function; a failure no retry can change fails the task now, with its message."""

    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except Exception as error:
            if not permanent(error):
                raise
            from airflow.sdk.exceptions import AirflowFailException

            raise AirflowFailException(
                f"{type(error).__name__}: {error} (not retried: no retry can change this)"
            ) from error

    return run  # type: ignore[return-value]
