"""The Meta insights connector against the simulator, over real HTTP."""

from datetime import date

import pytest

from socialpulse.connectors.http import Backoff, RateBudget
from socialpulse.connectors.meta import (
    GraphClient,
    MetaAuthError,
    MetaRetriesExhaustedError,
    insights_pages,
)
from socialpulse.connectors.meta.versions import DEFAULT_API_VERSION
from socialpulse_dev.simulator import meta_data
from socialpulse_dev.simulator.server import DEFAULT_TOKEN
from tests.fakes import RecordedTime

SINCE, UNTIL, AS_OF = date(2026, 10, 6), date(2026, 11, 3), date(2026, 11, 5)


def client(url: str, token: str = DEFAULT_TOKEN, attempts: int = 6) -> tuple[GraphClient, list[float]]:
    time = RecordedTime()
    return GraphClient(
        url,
        token,
        DEFAULT_API_VERSION,
        conn_id="meta_marketing",
        backoff=Backoff(attempts=attempts, base_seconds=1.0),
        budget=RateBudget(clock=time.clock),
        sleep=time.sleep,
    ), time.sleeps


def expected_rows(account_id: str) -> list[dict]:
    return meta_data.insight_rows(7, meta_data.account(account_id), SINCE, UNTIL, AS_OF)


def rows_of(pages) -> list[dict]:
    return [row for page in pages for row in page["data"]]


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_pulls_every_row_across_pages(simulator, mode):
    graph, _ = client(simulator(as_of=AS_OF, async_seconds=0.05))
    pages = list(insights_pages(graph, "act_1001", SINCE, UNTIL, mode=mode, limit=40, poll_seconds=0.02))
    assert len(pages) > 1
    assert "next" not in pages[-1]["paging"]
    got = rows_of(pages)
    assert [(r["date_start"], r["campaign_id"], r["impressions"]) for r in got] == [
        (r["date_start"], r["campaign_id"], r["impressions"]) for r in expected_rows("1001")
    ]


def test_throttling_is_waited_out_with_backoff(simulator):
    graph, sleeps = client(simulator(as_of=AS_OF, throttle_every=3))
    got = rows_of(insights_pages(graph, "1002", SINCE, UNTIL, mode="sync", limit=30))
    assert len(got) == len(expected_rows("1002"))
    assert graph.retries >= 2
    assert max(sleeps) >= 1.0  # backoff, and the budget's pause after Meta reported 100 % usage


def test_regain_time_from_meta_is_respected(simulator):
    graph, sleeps = client(simulator(as_of=AS_OF, throttle_every=2, regain_minutes=2))
    rows_of(insights_pages(graph, "1001", SINCE, UNTIL, mode="sync", limit=40))
    assert 119 <= max(sleeps) <= 120  # 2 minutes less the backoff already waited


def test_5xx_bursts_and_truncated_bodies_are_retried(simulator):
    graph, _ = client(simulator(as_of=AS_OF, error_rate=0.3, truncate_every=4))
    got = rows_of(insights_pages(graph, "1003", SINCE, UNTIL, mode="sync", limit=25))
    assert len(got) == len(expected_rows("1003"))
    assert graph.retries > 0


def test_reduce_the_amount_of_data_halves_the_page(simulator):
    graph, _ = client(simulator(as_of=AS_OF, max_rows_per_page=30))
    pages = list(insights_pages(graph, "1001", SINCE, UNTIL, mode="sync", limit=100))
    assert max(len(p["data"]) for p in pages) == 25  # 100 -> 50 -> 25
    assert len(rows_of(pages)) == len(expected_rows("1001"))


def test_bad_token_fails_at_once_naming_the_connection(simulator):
    graph, sleeps = client(simulator(as_of=AS_OF), token="wrong-token")
    with pytest.raises(MetaAuthError, match="meta_marketing"):
        list(insights_pages(graph, "1001", SINCE, UNTIL, mode="sync"))
    assert graph.calls == 1 and sleeps == []


def test_expired_token_fails_at_once(simulator):
    graph, _ = client(simulator(as_of=AS_OF, invalid_token=True))
    with pytest.raises(MetaAuthError, match="Session has expired"):
        list(insights_pages(graph, "1001", SINCE, UNTIL, mode="async"))
    assert graph.calls == 1


def test_gives_up_after_its_attempts_without_leaking_the_token(simulator):
    graph, sleeps = client(simulator(as_of=AS_OF, error_rate=1.0), attempts=3)
    with pytest.raises(MetaRetriesExhaustedError) as caught:
        list(insights_pages(graph, "1001", SINCE, UNTIL, mode="sync"))
    assert graph.calls == 3 and sleeps == [1.0, 2.0]
    assert DEFAULT_TOKEN not in str(caught.value)


def test_unreachable_host_is_retried_then_reported():
    graph, sleeps = client("http://127.0.0.1:1", attempts=2)
    with pytest.raises(MetaRetriesExhaustedError, match="ConnectionError"):
        list(insights_pages(graph, "1001", SINCE, UNTIL, mode="sync"))
    assert len(sleeps) == 1
