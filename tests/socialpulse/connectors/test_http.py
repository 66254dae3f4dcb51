import pytest
import requests

from socialpulse.connectors.http import ApiClient, Backoff, RateBudget
from socialpulse.connectors.meta.client import _usage_pct, with_query
from socialpulse.errors import NotLandedError, RetriesExhaustedError
from socialpulse.secrets import redact, strip_secrets


def test_strip_secrets_removes_token_and_keeps_the_rest():
    url = "https://graph.facebook.com/v21.0/act_1/insights?access_token=EAAB&fields=a%2Cb&after=MQ&appsecret_proof=p"
    assert strip_secrets(url) == "https://graph.facebook.com/v21.0/act_1/insights?fields=a%2Cb&after=MQ"


def test_redact_hides_every_secret():
    assert redact("GET /x?access_token=tok123 failed: tok123", ["tok123", ""]) == "GET /x?access_token=*** failed: ***"


class DownSession:
    """A session whose every call fails in transport, quoting its URL and token as requests does."""

    def __init__(self):
        self.calls = 0

    def request(self, method, url, params=None, data=None, timeout=None):
        self.calls += 1
        raise requests.ConnectionError(f"cannot reach {url} with token tok123")


def test_backoff_doubles_and_caps_then_gives_up_naming_the_last_failure_without_secrets():
    sleeps, session = [], DownSession()
    client = ApiClient(
        session=session,
        backoff=Backoff(attempts=5, base_seconds=1.0, max_seconds=5.0),
        sleep=sleeps.append,
        secrets=["tok123"],
    )
    with pytest.raises(RetriesExhaustedError) as gave_up:
        client.request("GET", "https://api.example.com/v1/items?access_token=tok123")
    assert sleeps == [1.0, 2.0, 4.0, 5.0] and session.calls == client.calls == 5 and client.retries == 4
    assert "gave up after 5 attempts on https://api.example.com/v1/items: ConnectionError: cannot reach" in str(
        gave_up.value
    )
    assert "tok123" not in str(gave_up.value)


def test_what_has_not_landed_is_not_asked_again_within_seconds():
    class Missing(ApiClient):
        def classify(self, response, body):
            return NotLandedError("nothing there yet")

    class Answers404:
        def request(self, method, url, params=None, data=None, timeout=None):
            response = requests.Response()
            response.status_code, response._content = 404, b"{}"
            return response

    sleeps = []
    with pytest.raises(NotLandedError):
        Missing(session=Answers404(), sleep=sleeps.append).request("GET", "https://files.example.com/day.csv")
    assert sleeps == []


def test_with_query_replaces_limit():
    assert with_query("http://h/p?limit=500&after=X", limit=250) == "http://h/p?limit=250&after=X"


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_rate_budget_waits_for_regain_then_not():
    clock = FakeClock()
    budget = RateBudget(clock=clock)
    budget.observe(usage_pct=10, regain_seconds=120)
    assert budget.pause_seconds() == pytest.approx(120)
    clock.now += 120
    assert budget.pause_seconds() == 0


def test_rate_budget_slows_down_near_the_limit():
    budget = RateBudget(slow_down_at=75)
    budget.observe(usage_pct=50)
    assert budget.pause_seconds() == 0
    budget.observe(usage_pct=87.5)
    assert budget.pause_seconds() == pytest.approx(30)
    budget.observe(usage_pct=100)
    assert budget.pause_seconds() == pytest.approx(60)


def test_rate_budget_never_pauses_past_its_cap():
    budget = RateBudget(max_pause_seconds=5)
    budget.observe(usage_pct=100, regain_seconds=3600)
    assert budget.pause_seconds() == 5


def test_usage_headers_parsed_to_highest_share_and_regain():
    headers = {
        "X-App-Usage": '{"call_count": 12, "total_time": 30, "total_cputime": 5}',
        "X-Business-Use-Case-Usage": '{"1001": [{"type": "ads_insights", "call_count": 96, "total_cputime": 20,'
        ' "total_time": 40, "estimated_time_to_regain_access": 3}]}',
    }
    assert _usage_pct(headers) == (96.0, 180.0)
    assert _usage_pct({"X-App-Usage": "not json"}) == (None, None)


def test_signed_file_urls_lose_their_signature_and_password_when_shown():
    url = "https://u:pw@bucket.s3.amazonaws.com/rates.csv?X-Amz-Credential=AK&X-Amz-Signature=abc&versionId=3"
    assert strip_secrets(url) == "https://bucket.s3.amazonaws.com/rates.csv?versionId=3"
