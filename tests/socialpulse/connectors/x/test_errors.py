"""X API v2 problem documents as X documents them, sorted into wait, retry and fail."""

from datetime import datetime, timedelta, timezone

import pytest

from socialpulse.connectors.x import (
    XAuthError,
    XRateLimitedError,
    XRequestError,
    XTransientError,
    XUsageCapError,
    classify,
    rfc3339,
)

TOO_MANY = {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429}
USAGE_CAP = {
    "title": "UsageCapExceeded",
    "detail": "Usage cap exceeded: Monthly product cap",
    "type": "https://api.twitter.com/2/problems/usage-capped",
    "period": "Monthly",
    "scope": "Product",
}
UNAUTHORIZED = {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}
INVALID = {
    "errors": [
        {
            "parameters": {"max_results": ["1000"]},
            "message": "The `max_results` query parameter value [1000] is not between 5 and 100",
        }
    ],
    "title": "Invalid Request",
    "detail": "One or more parameters to your request was invalid.",
    "type": "https://api.twitter.com/2/problems/invalid-request",
}


def test_plain_429_waits_for_the_reset():
    error = classify(429, TOO_MANY)
    assert isinstance(error, XRateLimitedError) and error.retryable


def test_monthly_cap_stops_at_once_and_says_waiting_will_not_help():
    error = classify(429, USAGE_CAP)
    assert isinstance(error, XUsageCapError) and not error.retryable
    assert "No retry helps" in str(error) and "Monthly product cap" in str(error)


def test_refused_token_names_the_connection():
    error = classify(401, UNAUTHORIZED, "x_api")
    assert isinstance(error, XAuthError) and "x_api" in str(error)


def test_5xx_retries_and_4xx_fails():
    assert isinstance(classify(503, {"title": "Service Unavailable"}), XTransientError)
    error = classify(400, INVALID)
    assert type(error) is XRequestError and not error.retryable
    assert "Invalid Request" in str(error)


def test_rfc3339_is_utc_with_z():
    berlin = timezone(timedelta(hours=1))
    assert rfc3339(datetime(2026, 11, 2, 1, 30, tzinfo=berlin)) == "2026-11-02T00:30:00Z"
    assert rfc3339(datetime(2026, 11, 2)) == "2026-11-02T00:00:00Z"


def test_handles_are_refused_as_user_ids():
    from socialpulse.connectors.x import XClient, user_posts

    with pytest.raises(ValueError, match="numeric"):
        next(user_posts(XClient("http://127.0.0.1:1", "t"), "@socialpulse", datetime(2026, 1, 1), datetime(2026, 1, 2)))
