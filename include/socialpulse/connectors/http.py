"""HTTP mechanics every connector shares: retries with backoff, a rate budget and secret redaction.

The retry loop is tenacity's (stop, exponential wait, which errors to retry); ours are the rate
budget, which no retry library knows (it paces calls by the usage a platform reports), and the
redaction of secrets from every message a retry logs or an error carries.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar, cast

import requests
import tenacity

from socialpulse.errors import NotLandedError, RetriesExhaustedError
from socialpulse.secrets import redact, strip_secrets, url_secrets
from socialpulse.typing_aliases import JsonObject

log = logging.getLogger(__name__)
_T = TypeVar("_T")


def where_to_fix(conn_id: str | None) -> str:
    """How an error names the Airflow connection a person must fix."""
    return f"the Airflow connection '{conn_id}'" if conn_id else "the Airflow connection that holds it"


@dataclass
class Backoff:
    """Exponential backoff: base * 2**retry, capped; attempts counts tries, not retries."""

    attempts: int = 6
    base_seconds: float = 1.0
    max_seconds: float = 120.0


@dataclass
class RateBudget:
    """Pauses calls as the platform's reported usage nears its limit.

    Fed after every answer with the usage share (0-100) the platform reports
    and, when it says so, the seconds until access is regained.
    """

    slow_down_at: float = 75.0
    max_pause_seconds: float = 300.0
    clock: Callable[[], float] = time.monotonic
    usage_pct: float = 0.0
    blocked_until: float = 0.0

    def observe(self, usage_pct: float | None = None, regain_seconds: float | None = None) -> None:
        if usage_pct is not None:
            self.usage_pct = usage_pct
        if regain_seconds:
            self.blocked_until = max(self.blocked_until, self.clock() + regain_seconds)

    def pause_seconds(self) -> float:
        """How long to wait before the next call."""
        wait = max(0.0, self.blocked_until - self.clock())
        if self.usage_pct >= self.slow_down_at:
            # Scale from 0 s at the threshold to 60 s at 100 % usage.
            over = (self.usage_pct - self.slow_down_at) / max(1.0, 100.0 - self.slow_down_at)
            wait = max(wait, 60.0 * min(1.0, over))
        return min(wait, self.max_pause_seconds)


RETRYABLE_TRANSPORT_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


class ApiClient:
    """A requests.Session with retries, backoff and a rate budget; subclasses read their platform's answers.

    Subclasses implement `observe` (feed the budget from response headers) and
    `classify` (turn an error answer into an exception with a `retryable` flag),
    and name the exception raised when retries run out.
    """

    platform = "API"
    exhausted_error: type[Exception] = RetriesExhaustedError
    # Platform APIs take the token in a header: a token echoed into a URL (Meta's paging links) is dropped
    # before the call. A file server may authenticate by the URL itself, which is then sent as given.
    send_url_secrets = False

    def __init__(
        self,
        *,
        session: requests.Session | None = None,
        backoff: Backoff | None = None,
        budget: RateBudget | None = None,
        timeout: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        secrets: Iterable[str] = (),
        conn_id: str | None = None,
    ) -> None:
        self.session = session or requests.Session()
        self.backoff = backoff or Backoff()
        self.budget = budget or RateBudget()
        self.timeout = timeout
        self.sleep = sleep
        self._secrets = tuple(secrets)
        self.conn_id = conn_id  # the Airflow connection this client's credentials come from, for error messages
        self.calls = 0
        self.retries = 0

    def observe(self, response: requests.Response) -> None:
        """Feed the rate budget from an answer's headers."""

    def classify(self, response: requests.Response, body: object) -> Exception:
        raise NotImplementedError

    def request(
        self, method: str, url: str, params: JsonObject | None = None, form: JsonObject | None = None
    ) -> JsonObject:
        """One call with retries; returns the decoded JSON body (a truncated body is retried). `form` goes in the
        body, form-encoded: what is too large for a URL (an upload's rows)."""
        return cast(JsonObject, self._with_retries(method, url, params, lambda response: response.json(), form))

    def request_bytes(self, url: str, params: JsonObject | None = None) -> bytes:
        """One GET with retries; returns the exact bytes of the body."""
        return self._with_retries("GET", url, params, lambda response: response.content)

    def _with_retries(
        self,
        method: str,
        url: str,
        params: JsonObject | None,
        read: Callable[[requests.Response], _T],
        form: JsonObject | None = None,
    ) -> _T:
        shown = strip_secrets(url)
        url = url if self.send_url_secrets else shown
        hidden = (*self._secrets, *url_secrets(url))  # transport errors quote the URL they were sent

        def call() -> _T:
            pause = self.budget.pause_seconds()
            if pause:
                log.info("%s usage at %.0f%%: pausing %.1f s", self.platform, self.budget.usage_pct, pause)
                self.sleep(pause)
            self.calls += 1
            response = self.session.request(method, url, params=params, data=form, timeout=self.timeout)
            body = read(response)  # a body cut short raises ValueError: retried
            self.observe(response)
            if not response.ok:
                raise self.classify(response, body)
            return body

        def reason(error: BaseException | None) -> str:
            return f"{type(error).__name__}: {redact(str(error), hidden)}"

        def log_retry(state: tenacity.RetryCallState) -> None:
            self.retries += 1
            log.warning(
                "%s call failed (%s); retry %d/%d in %.1f s",
                self.platform,
                reason(state.outcome.exception() if state.outcome else None),
                state.attempt_number,
                self.backoff.attempts - 1,
                state.upcoming_sleep,
            )

        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.backoff.attempts),
            wait=tenacity.wait_exponential(multiplier=self.backoff.base_seconds, max=self.backoff.max_seconds),
            retry=tenacity.retry_if_exception(retried_now),
            sleep=self.sleep,
            before_sleep=log_retry,
        )
        try:
            return retrying(call)
        except tenacity.RetryError as gave_up:
            raise self.exhausted_error(
                f"gave up after {self.backoff.attempts} attempts on {shown}: {reason(gave_up.last_attempt.exception())}"
            ) from None


def retried_now(error: BaseException) -> bool:
    """Whether the client tries again in seconds: a transport failure, a broken body, or an answer its platform says
    a retry may clear. What has not landed yet is asked for again by the task's next try, minutes later."""
    if isinstance(error, (*RETRYABLE_TRANSPORT_ERRORS, ValueError)):
        return True
    return bool(getattr(error, "retryable", False)) and not isinstance(error, NotLandedError)
