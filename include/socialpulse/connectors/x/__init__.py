"""X API v2 connector: the public surface."""

from socialpulse.connectors.x.client import XClient
from socialpulse.connectors.x.errors import (
    XApiError,
    XAuthError,
    XRateLimitedError,
    XRequestError,
    XRetriesExhaustedError,
    XTransientError,
    XUsageCapError,
    classify,
)
from socialpulse.connectors.x.streams import engaged_users, rfc3339, user_posts

__all__ = [
    "XApiError",
    "XAuthError",
    "XClient",
    "XRateLimitedError",
    "XRequestError",
    "XRetriesExhaustedError",
    "XTransientError",
    "XUsageCapError",
    "classify",
    "engaged_users",
    "rfc3339",
    "user_posts",
]
