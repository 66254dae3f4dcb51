"""The X API v2 connector against the simulator, over real HTTP."""

import time
from datetime import UTC, date, datetime, timedelta

import pytest

from socialpulse.connectors.http import Backoff, RateBudget
from socialpulse.connectors.x import (
    XAuthError,
    XClient,
    XRetriesExhaustedError,
    XUsageCapError,
    engaged_users,
    user_posts,
)
from socialpulse_dev.simulator import x_data
from socialpulse_dev.simulator.server import DEFAULT_X_TOKEN
from tests.fakes import RecordedTime

AS_OF = date(2026, 11, 5)
START, END = datetime(2026, 10, 20, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC)
BRAND = x_data.X_ACCOUNTS[0]


def client(url: str, token: str = DEFAULT_X_TOKEN, attempts: int = 6) -> tuple[XClient, list[float]]:
    fake = RecordedTime()
    return XClient(
        url,
        token,
        conn_id="x_api",
        backoff=Backoff(attempts=attempts),
        budget=RateBudget(clock=fake.clock),
        sleep=fake.sleep,
    ), fake.sleeps


def expected_posts() -> list[str]:
    days = [START.date() + timedelta(days=d) for d in range((END - START).days)]
    return sorted(p.id for d in days for p in x_data.posts_on(7, BRAND, d))


def post_ids(pages) -> list[str]:
    return sorted(t["id"] for page in pages for t in page.get("data", []))


def test_pulls_every_post_of_the_window_across_pages(simulator):
    x, _ = client(simulator(as_of=AS_OF))
    pages = list(user_posts(x, BRAND.user_id, START, END, max_results=5))
    assert len(pages) > 2
    assert post_ids(pages) == expected_posts()
    first = pages[0]["data"][0]
    assert set(first["public_metrics"]) >= {
        "like_count",
        "retweet_count",
        "reply_count",
        "quote_count",
        "impression_count",
    }


def test_engaged_users_match_the_public_counts(simulator):
    x, _ = client(simulator(as_of=AS_OF))
    post = next(t for page in user_posts(x, BRAND.user_id, START, END) for t in page["data"])
    likers = [u["id"] for page in engaged_users(x, post["id"], "like", max_results=50) for u in page.get("data", [])]
    reposters = [u["id"] for page in engaged_users(x, post["id"], "repost") for u in page.get("data", [])]
    assert len(likers) == post["public_metrics"]["like_count"] == len(set(likers))
    assert len(reposters) == post["public_metrics"]["retweet_count"]


def test_no_call_left_in_the_window_waits_for_its_reset(simulator):
    x = XClient(simulator(as_of=AS_OF, x_rate_limit=3, x_window_seconds=1), DEFAULT_X_TOKEN)
    started = time.monotonic()
    pages = list(user_posts(x, BRAND.user_id, START, END, max_results=10))
    assert post_ids(pages) == expected_posts()
    assert x.calls == len(pages) == 4  # it waited when x-rate-limit-remaining hit 0, so no call got a 429
    assert time.monotonic() - started >= 1.0


def test_a_429_waits_for_the_reset_then_repeats_the_call(simulator):
    url = simulator(as_of=AS_OF, x_rate_limit=1, x_window_seconds=1)
    other = XClient(url, DEFAULT_X_TOKEN)
    next(user_posts(other, BRAND.user_id, START, END))  # another worker spends the window
    x = XClient(url, DEFAULT_X_TOKEN, backoff=Backoff(base_seconds=0.01))
    first = next(user_posts(x, BRAND.user_id, START, END))
    assert first["data"] and x.calls == 2 and x.retries == 1


def test_monthly_cap_stops_at_once(simulator):
    x, sleeps = client(simulator(as_of=AS_OF, x_monthly_cap=6))
    with pytest.raises(XUsageCapError, match="monthly usage cap"):
        list(user_posts(x, BRAND.user_id, START, END, max_results=5))
    assert x.retries == 0 and sleeps == []


def test_bad_token_fails_at_once_without_leaking_it(simulator):
    x, _ = client(simulator(as_of=AS_OF), token="not-the-token")
    with pytest.raises(XAuthError, match="x_api") as caught:
        list(user_posts(x, BRAND.user_id, START, END))
    assert x.calls == 1 and "not-the-token" not in str(caught.value)


def test_5xx_and_truncated_answers_are_retried(simulator):
    x, _ = client(simulator(as_of=AS_OF, error_rate=0.3, truncate_every=4))
    assert post_ids(user_posts(x, BRAND.user_id, START, END, max_results=5)) == expected_posts()
    assert x.retries > 0


def test_gives_up_after_its_attempts(simulator):
    x, sleeps = client(simulator(as_of=AS_OF, error_rate=1.0), attempts=3)
    with pytest.raises(XRetriesExhaustedError):
        list(user_posts(x, BRAND.user_id, START, END))
    assert sleeps == [1.0, 2.0]


def test_nothing_to_return_is_a_page_without_data_as_x_answers_it(simulator):
    x, _ = client(simulator(as_of=AS_OF))
    quiet = list(user_posts(x, BRAND.user_id, START, START + timedelta(seconds=1)))
    assert quiet == [{"meta": {"result_count": 0}}]
    listing = [post for page in user_posts(x, BRAND.user_id, START, END) for post in page.get("data", [])]
    unshared = next(p for p in listing if p["public_metrics"]["retweet_count"] == 0)
    assert list(engaged_users(x, unshared["id"], "repost")) == [{"meta": {"result_count": 0}}]
