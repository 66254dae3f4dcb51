"""X API v2 errors (RFC 7807 problems) sorted into wait, retry and fail (socialpulse.errors has the two parents)."""

from __future__ import annotations

from typing import Any

from socialpulse.connectors.http import where_to_fix
from socialpulse.errors import FatalError, RetriesExhaustedError, RetryableError, SocialPulseError


class XApiError(SocialPulseError):
    """An error answered by the X API; each member of the family is a RetryableError or a FatalError."""

    def __init__(self, message: str, *, status: int = 0, problem_type: str | None = None):
        super().__init__(message)
        self.status, self.problem_type = status, problem_type

    def __str__(self) -> str:
        return f"{self.args[0]} (HTTP {self.status}, {self.problem_type})"


class XRequestError(XApiError, FatalError):
    """X refused the request (a parameter, a user id, the plan's access): fix it, then run again."""


class XAuthError(XApiError, FatalError):
    """The bearer token was refused: a person must fix the connection."""

    def __init__(self, message: str, conn_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(
            f"X refused the bearer token ({message}). Put a valid app bearer token in the password "
            f"of {where_to_fix(conn_id)}",
            **kwargs,
        )


class XUsageCapError(XApiError, FatalError):
    """The monthly post cap is spent: waiting for a rate-limit reset never clears it."""

    def __init__(self, message: str, **kwargs: Any) -> None:
        super().__init__(
            f"X monthly usage cap reached ({message}). No retry helps until the cap resets or the "
            "plan is upgraded; lower the look-back or the number of user_ids",
            **kwargs,
        )


class XRateLimitedError(XApiError, RetryableError):
    """429 Too Many Requests: wait for x-rate-limit-reset, then retry."""


class XTransientError(XApiError, RetryableError):
    """5xx: retry with backoff."""


class XRetriesExhaustedError(XApiError, RetriesExhaustedError):
    """Retryable failures went on past the retry budget."""


def classify(status: int, body: object, conn_id: str | None = None) -> XApiError:
    """The exception for an error answer from its status and problem document; `conn_id` as in Meta's."""
    problem = body if isinstance(body, dict) else {}
    title, detail = str(problem.get("title", "")), str(problem.get("detail", body))[:300]
    kwargs: dict[str, Any] = {"status": status, "problem_type": problem.get("type")}
    if status in (401, 403):
        return XAuthError(detail or title, conn_id, **kwargs)
    if status == 429 and (title == "UsageCapExceeded" or "usage-capped" in str(problem.get("type", ""))):
        return XUsageCapError(detail, **kwargs)
    if status == 429:
        return XRateLimitedError(detail or title, **kwargs)
    if status >= 500:
        return XTransientError(detail or title, **kwargs)
    return XRequestError(f"{title}: {detail}", **kwargs)
