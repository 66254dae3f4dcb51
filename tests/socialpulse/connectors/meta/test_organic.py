"""Facebook Pages and Instagram streams against the simulator, over real HTTP."""

from datetime import UTC, date, datetime, timedelta

import pytest

from socialpulse.connectors.meta import GraphClient, MetaAuthError
from socialpulse.connectors.meta.connection import GraphSettings
from socialpulse.connectors.meta.organic import (
    IG_METRICS,
    ig_media,
    ig_media_insights,
    insight_values,
    page_post_insights,
    page_posts,
    post_comments,
)
from socialpulse_dev.simulator.audience import audience
from socialpulse_dev.simulator.graph_organic import IG_USER_IDS, PAGE_IDS
from socialpulse_dev.simulator.server import DEFAULT_TOKEN

AS_OF = date(2026, 11, 5)
SINCE, UNTIL = datetime(2026, 10, 20, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC)


@pytest.fixture
def graph(simulator):
    return GraphClient(simulator(as_of=AS_OF), DEFAULT_TOKEN, "v21.0")


def rows(pages) -> list[dict]:
    return [row for page in pages for row in page["data"]]


def test_page_posts_are_paged_within_the_window(graph):
    posts = rows(page_posts(graph, PAGE_IDS[0], SINCE, UNTIL, limit=5))
    assert len(posts) > 10 and len({p["id"] for p in posts}) == len(posts)
    assert all("2026-10-20" <= p["created_time"][:10] < "2026-11-03" for p in posts)
    assert set(posts[0]) == {"id", "message", "created_time", "permalink_url"}


def test_page_post_insights_and_comments_come_from_the_audience(graph):
    post = rows(page_posts(graph, PAGE_IDS[0], SINCE, UNTIL))[0]
    values = insight_values(page_post_insights(graph, post["id"]))
    assert set(values) == {"post_impressions", "post_impressions_unique", "post_clicks",
                           "post_reactions_by_type_total"}
    assert values["post_impressions"] >= values["post_impressions_unique"] > 0
    commenters = {c["from"]["id"] for c in rows(post_comments(graph, post["id"], limit=10))}
    facebook_ids = {m.facebook_id for m in audience(7) if m.facebook_id}
    assert commenters and commenters <= facebook_ids


def test_instagram_refusals_drop_only_the_refused_metrics(graph):
    media = rows(ig_media(graph, IG_USER_IDS[0], SINCE, UNTIL))
    kinds = {(m["media_type"], m["media_product_type"]) for m in media}
    assert ("CAROUSEL_ALBUM", "FEED") in kinds
    for item in media:
        body, dropped = ig_media_insights(graph, item["id"])
        kept = insight_values(body)
        if (item["media_type"], item["media_product_type"]) == ("CAROUSEL_ALBUM", "FEED") and kept:
            assert set(dropped) == {"views"} and "does not support the views metric" in dropped["views"]
            assert set(kept) == set(IG_METRICS) - {"views"}
            assert kept["likes"] == item["like_count"]
        elif not kept:
            assert set(dropped) >= {"reach"} and "Not enough viewers" in dropped["reach"]
        assert set(kept) | set(dropped) == set(IG_METRICS)


def test_a_bad_token_stops_organic_pulls_too_naming_meta_graph(simulator):
    graph = GraphSettings.from_fields("meta_graph", simulator(as_of=AS_OF), None, None, "wrong",
                                      {"page_ids": list(PAGE_IDS)}).client()
    with pytest.raises(MetaAuthError, match="connection 'meta_graph'"):
        rows(page_posts(graph, PAGE_IDS[0], SINCE, UNTIL))
    with pytest.raises(ValueError, match="before it starts"):
        rows(ig_media(graph, IG_USER_IDS[0], UNTIL, SINCE))


def test_media_with_too_few_viewers_has_no_insights_and_says_why(graph, monkeypatch):
    from socialpulse_dev.simulator import graph_organic

    monkeypatch.setattr(graph_organic, "MIN_VIEWERS", 10**9)
    item = next(m for m in rows(ig_media(graph, IG_USER_IDS[0], SINCE, UNTIL))
                if (m["media_type"], m["media_product_type"]) == ("VIDEO", "REELS"))
    body, dropped = ig_media_insights(graph, item["id"])
    assert body == {"data": []}
    assert set(dropped) == set(IG_METRICS)
    assert all("Not enough viewers" in reason for reason in dropped.values())


def test_organic_pulls_ride_out_throttling_and_5xx(simulator):
    from socialpulse.connectors.http import Backoff, RateBudget
    from tests.fakes import RecordedTime

    fake = RecordedTime()
    graph = GraphClient(simulator(as_of=AS_OF, throttle_every=4, error_rate=0.2), DEFAULT_TOKEN, "v21.0",
                        backoff=Backoff(), budget=RateBudget(clock=fake.clock), sleep=fake.sleep)
    clean = GraphClient(simulator(as_of=AS_OF), DEFAULT_TOKEN, "v21.0")
    assert rows(page_posts(graph, PAGE_IDS[0], SINCE, UNTIL, limit=5)) == \
        rows(page_posts(clean, PAGE_IDS[0], SINCE, UNTIL, limit=5))
    assert graph.retries > 0 and fake.sleeps


def test_album_children_have_no_insights_and_say_why(graph):
    album = next(m for m in rows(ig_media(graph, IG_USER_IDS[0], SINCE, UNTIL))
                 if m["media_type"] == "CAROUSEL_ALBUM")
    children = graph.request("GET", graph.url(f"{album['id']}/children"))["data"]
    assert len(children) == 3
    body, dropped = ig_media_insights(graph, children[0]["id"])
    assert body == {"data": []} and set(dropped) == set(IG_METRICS)
    assert all("album children" in reason for reason in dropped.values())


def test_an_empty_edge_answers_an_empty_list_as_meta_does(graph):
    quiet = list(page_posts(graph, PAGE_IDS[0], SINCE, SINCE + timedelta(seconds=1)))
    assert quiet == [{"data": []}]
