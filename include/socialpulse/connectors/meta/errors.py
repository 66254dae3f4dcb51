"""Meta Graph API errors sorted into retry, shrink-the-request and fail (socialpulse.errors has the two parents)."""

from __future__ import annotations

from typing import Any

from socialpulse.connectors.http import where_to_fix
from socialpulse.errors import FatalError, RetriesExhaustedError, RetryableError, SocialPulseError

# Rate limiting: app (4), user (17), page (32), API-specific (613), ads BUC (80000-80014).
THROTTLE_CODES = frozenset({4, 17, 32, 613, *range(80000, 80015)})
# Temporary platform trouble: unknown (1), service (2).
TRANSIENT_CODES = frozenset({1, 2})
AUTH_CODES = frozenset({102, 190})
REDUCE_DATA_HINT = "reduce the amount of data"


class MetaApiError(SocialPulseError):
    """An error answered by the Graph API; each member of the family is a RetryableError or a FatalError."""

    def __init__(
        self,
        message: str,
        *,
        http_status: int = 0,
        code: int | None = None,
        subcode: int | None = None,
        fbtrace_id: str | None = None,
    ):
        super().__init__(message)
        self.http_status, self.code, self.subcode, self.fbtrace_id = http_status, code, subcode, fbtrace_id

    def __str__(self) -> str:
        return (
            f"{self.args[0]} (HTTP {self.http_status}, code {self.code}, "
            f"subcode {self.subcode}, fbtrace_id {self.fbtrace_id})"
        )


class MetaRequestError(MetaApiError, FatalError):
    """Meta refused the request (a permission, a parameter, a deprecated field): fix it, then run again."""


class MetaAuthError(MetaApiError, FatalError):
    """The token is invalid or expired: waiting will not help, a person must renew it."""

    def __init__(self, message: str, conn_id: str | None = None, **kwargs: Any) -> None:
        super().__init__(
            f"Meta rejected the access token: {message}. Renew the token and store it as the "
            f"password of {where_to_fix(conn_id)}",
            **kwargs,
        )


class MetaThrottledError(MetaApiError, RetryableError):
    """Rate limited; the client's rate budget waits Meta's estimated_time_to_regain_access."""


class MetaTransientError(MetaApiError, RetryableError):
    """A 5xx or temporary error that a retry usually clears."""


class MetaReduceDataError(MetaApiError, FatalError):
    """Meta asks for a smaller request: halve the page size and ask again."""


class MetaRetriesExhaustedError(MetaApiError, RetriesExhaustedError):
    """Retryable failures went on past the retry budget."""


def classify(http_status: int, body: object, conn_id: str | None = None) -> MetaApiError:
    """The exception for an error answer, from its status and `{"error": {...}}` body.

    `conn_id` names the Airflow connection whose token a refusal asks to renew.
    """
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        cls = MetaTransientError if http_status >= 500 or http_status == 429 else MetaRequestError
        return cls(f"unexpected error answer: {str(body)[:200]}", http_status=http_status)
    message = str(error.get("message", ""))
    code = error.get("code")
    kwargs: dict[str, Any] = {
        "http_status": http_status,
        "code": code,
        "subcode": error.get("error_subcode"),
        "fbtrace_id": error.get("fbtrace_id"),
    }
    if code in AUTH_CODES:
        return MetaAuthError(message, conn_id, **kwargs)
    if REDUCE_DATA_HINT in message.lower():
        return MetaReduceDataError(message, **kwargs)
    if code in THROTTLE_CODES:
        return MetaThrottledError(message, **kwargs)
    if code in TRANSIENT_CODES or error.get("is_transient") or http_status >= 500:
        return MetaTransientError(message, **kwargs)
    return MetaRequestError(message, **kwargs)
