"""HTTP mechanics every connector shares: backoff, a rate budget and secret redaction."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

SECRET_PARAMS = frozenset({"access_token", "appsecret_proof", "client_secret", "bearer_token"})


def strip_secrets(url: str) -> str:
    """The URL without secret query parameters, safe to store or log."""
    split = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(split.query, keep_blank_values=True) if k not in SECRET_PARAMS]
    return urlunsplit(split._replace(query=urlencode(query)))


def redact(text: str, secrets: Iterable[str]) -> str:
    """Text with every secret replaced, for exception messages that quote URLs or bodies."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


@dataclass
class Backoff:
    """Exponential backoff: base * 2**attempt, capped; attempts counts tries, not retries."""

    attempts: int = 6
    base_seconds: float = 1.0
    max_seconds: float = 120.0

    def delay(self, attempt: int) -> float:
        return min(self.max_seconds, self.base_seconds * 2**attempt)


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
    blocked_until: float = field(default=0.0)

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
