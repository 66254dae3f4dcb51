import pytest

from socialpulse.connectors.meta import (
    MetaAuthError,
    MetaReduceDataError,
    MetaRequestError,
    MetaThrottledError,
    MetaTransientError,
    classify,
)
from tests.payloads import EXPIRED_TOKEN, REDUCE_DATA, THROTTLE_80000


def _body(code: int, message: str = "x", **extra) -> dict:
    return {"error": {"message": message, "type": "OAuthException", "code": code, **extra}}


@pytest.mark.parametrize("code", [4, 17, 32, 613, 80000, 80004, 80014])
def test_throttling_codes_retry(code):
    error = classify(400, _body(code))
    assert isinstance(error, MetaThrottledError)
    assert error.retryable


def test_documented_ads_throttle_keeps_its_ids():
    error = classify(400, THROTTLE_80000)
    assert isinstance(error, MetaThrottledError)
    assert (error.code, error.subcode, error.fbtrace_id) == (80000, 2446079, "AbCdEfGh123")


def test_expired_token_fails_at_once_and_says_what_to_renew():
    error = classify(400, EXPIRED_TOKEN, "meta_graph")
    assert isinstance(error, MetaAuthError)
    assert not error.retryable
    assert "connection 'meta_graph'" in str(error) and "Session has expired" in str(error)
    assert "meta_marketing" not in str(error)  # the connection that failed, not another one


def test_reduce_the_amount_of_data_is_its_own_kind():
    error = classify(500, REDUCE_DATA)
    assert isinstance(error, MetaReduceDataError)
    assert not error.retryable  # the pager halves the limit instead of retrying as is


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, _body(2, "An unexpected error has occurred.")),
        (500, _body(1, "An unknown error occurred")),
        (400, _body(100, "temporary", is_transient=True)),
        (502, "<html>Bad Gateway</html>"),
        (503, {"unexpected": "shape"}),
    ],
)
def test_transient_errors_retry(status, body):
    assert isinstance(classify(status, body), MetaTransientError)


@pytest.mark.parametrize("body", [_body(100, "(#100) Invalid parameter"), _body(200, "Permissions error")])
def test_request_errors_are_fatal(body):
    error = classify(400, body)
    assert type(error) is MetaRequestError
    assert not error.retryable
