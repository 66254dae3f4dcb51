"""Facebook Pages and Instagram streams against the simulator, over real HTTP, on Meta's current contracts.

Each contract is pinned to the documentation (connectors/meta/facebook_fields.py and
instagram_fields.py quote it): the deprecated impressions metrics refused, views in
their place, `shares` absent when nobody shared, comments counted by summary.total_count,
stories on their own edge for 24 hours, refusals that cost only the refused metric.
"""

from datetime import UTC, date, datetime, timedelta

import pytest

from socialpulse.connectors.meta import GraphClient, MetaApiError, MetaAuthError, MetaRequestError
from socialpulse.connectors.meta import facebook_fields as facebook
from socialpulse.connectors.meta import instagram_fields as instagram
from socialpulse.connectors.meta.connection import GraphConnection
from socialpulse.connectors.meta.organic import (
    Refusals,
    ig_media,
    ig_stories,
    insight_values,
    insights,
    page_posts,
    post_comments,
)
from socialpulse.connectors.meta.versions import DEFAULT_API_VERSION
from socialpulse_dev.simulator import graph_organic
from socialpulse_dev.simulator.audience import audience
from socialpulse_dev.simulator.graph_organic import IG_USER_IDS, PAGE_IDS
from socialpulse_dev.simulator.server import DEFAULT_TOKEN

AS_OF = date(2026, 11, 5)
SINCE, UNTIL = datetime(2026, 10, 20, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC)


@pytest.fixture
def graph(simulator):
    return GraphClient(simulator(as_of=AS_OF), DEFAULT_TOKEN, DEFAULT_API_VERSION)


def rows(pages) -> list[dict]:
    return [row for page in pages for row in page["data"]]


def media_insights(graph, media: dict, metrics=instagram.MEDIA_METRICS, refusals=None):
    scope = f"instagram {media.get('media_type')}/{media.get('media_product_type')}"
    return insights(graph, media["id"], metrics, refusals or Refusals(), scope)


def test_page_posts_are_paged_within_the_window(graph):
    posts = rows(page_posts(graph, PAGE_IDS[0], SINCE, UNTIL, limit=5))
    assert len(posts) > 10 and len({p["id"] for p in posts}) == len(posts)
    assert all("2026-10-20" <= p["created_time"][:10] < "2026-11-03" for p in posts)
    assert set(posts[0]) <= {"id", "message", "created_time", "permalink_url", "shares"}


def test_a_post_nobody_shared_has_no_shares_field(graph):
    """ "shares: The shares count of this post", {"count": n}; Graph leaves it out at zero."""
    posts = rows(page_posts(graph, PAGE_IDS[0], SINCE, UNTIL))
    shared = [p for p in posts if "shares" in p]
    assert shared and len(shared) < len(posts)
    assert all(isinstance(p["shares"]["count"], int) and p["shares"]["count"] > 0 for p in shared)


def test_views_replace_the_deprecated_impressions_metrics(graph):
    """ "we're deprecating the impressions metric. This metric will be replaced by the views metric on all
    API versions ... the API will return an invalid metric error when calling any of these metrics"."""
    post = rows(page_posts(graph, PAGE_IDS[0], SINCE, UNTIL))[0]
    values = insight_values(insights(graph, post["id"], facebook.POST_METRICS, Refusals(), "facebook post")[0])
    assert set(values) == set(facebook.POST_METRICS)
    assert values["post_media_view"] >= values["post_total_media_view_unique"] > 0
    with pytest.raises(MetaApiError) as refused:
        graph.request("GET", graph.url(f"{post['id']}/insights"), {"metric": "post_impressions,post_clicks"})
    assert (refused.value.code, refused.value.args[0]) == (100, "(#100) The value must be a valid insights metric")


def test_a_refused_metric_costs_only_that_metric_and_is_asked_once_per_run(graph):
    posts = rows(page_posts(graph, PAGE_IDS[0], SINCE, UNTIL))[:3]
    refusals, wanted = Refusals(), ("post_impressions", *facebook.POST_METRICS)
    calls = graph.calls
    for post in posts:
        body, dropped = insights(graph, post["id"], wanted, refusals, "facebook post")
        assert set(insight_values(body)) == set(facebook.POST_METRICS)
        assert dropped == {"post_impressions": "(#100) The value must be a valid insights metric"}
    # the first post: the refused call, one call per metric to find which, the rest; then one call per post
    assert graph.calls - calls == (1 + len(wanted) + 1) + (len(posts) - 1)


def test_comments_count_every_comment_not_every_commenter(graph):
    """summary=true: "if filter is stream then total_count will be a count of all comments (including replies)"."""
    post = max(
        rows(page_posts(graph, PAGE_IDS[0], SINCE, UNTIL)), key=lambda p: len(rows(post_comments(graph, p["id"])))
    )
    graph_organic._comments.cache_clear()
    pages = list(post_comments(graph, post["id"], limit=10))
    comments = rows(pages)
    assert len(pages) > 1 and graph_organic._comments.cache_info().misses == 1  # built once, not once a page
    assert {page["summary"]["total_count"] for page in pages} == {len(comments)}
    commenters = {c["from"]["id"] for c in comments}
    assert len(comments) > len(commenters) > 0
    assert commenters <= {m.facebook_id for m in audience(7) if m.facebook_id}


def test_stories_are_not_media_and_come_from_their_own_edge_while_live(simulator):
    """ "Stories are only available for 24 hours": /stories lists those posted in the last 24 hours."""
    url = simulator(as_of=AS_OF)
    media = rows(ig_media(GraphClient(url, DEFAULT_TOKEN, DEFAULT_API_VERSION), IG_USER_IDS[0], SINCE, UNTIL))
    assert media and all(m["media_product_type"] != "STORY" for m in media)
    for day in (date(2026, 11, 1) + timedelta(days=n) for n in range(10)):  # a day someone posted stories
        graph = GraphClient(simulator(as_of=day), DEFAULT_TOKEN, DEFAULT_API_VERSION)
        stories = rows(ig_stories(graph, IG_USER_IDS[0]))
        if stories:
            break
    assert stories and {s["media_product_type"] for s in stories} == {"STORY"}
    assert all(s["timestamp"].startswith(day.isoformat()) for s in stories)  # the simulator's now: the day's end
    later = GraphClient(simulator(as_of=day + timedelta(days=1)), DEFAULT_TOKEN, DEFAULT_API_VERSION)
    assert not {s["id"] for s in rows(ig_stories(later, IG_USER_IDS[0]))} & {s["id"] for s in stories}
    for story in stories:
        body, dropped = media_insights(graph, story, instagram.STORY_METRICS)
        assert set(insight_values(body)) | set(dropped) == set(instagram.STORY_METRICS)


def test_instagram_refusals_drop_only_the_refused_metrics(graph):
    media = rows(ig_media(graph, IG_USER_IDS[0], SINCE, UNTIL))
    kinds = {(m["media_type"], m["media_product_type"]) for m in media}
    assert ("CAROUSEL_ALBUM", "FEED") in kinds
    refusals = Refusals()
    for item in media:
        body, dropped = media_insights(graph, item, refusals=refusals)
        kept = insight_values(body)
        if (item["media_type"], item["media_product_type"]) == ("CAROUSEL_ALBUM", "FEED") and kept:
            assert set(dropped) == {"views"} and "does not support the views metric" in dropped["views"]
            assert set(kept) == set(instagram.MEDIA_METRICS) - {"views"}
            assert kept["likes"] == item["like_count"]
        elif not kept:
            assert set(dropped) >= {"reach"} and "Not enough viewers" in dropped["reach"]
        assert set(kept) | set(dropped) == set(instagram.MEDIA_METRICS)
    assert set(refusals.refused) == {("instagram CAROUSEL_ALBUM/FEED", "views")}  # remembered per media type


def test_a_bad_token_stops_organic_pulls_too_naming_meta_graph(simulator):
    graph = GraphConnection.from_fields(
        "meta_graph", simulator(as_of=AS_OF), None, None, "wrong", {"page_ids": list(PAGE_IDS)}
    ).client()
    with pytest.raises(MetaAuthError, match="connection 'meta_graph'"):
        rows(page_posts(graph, PAGE_IDS[0], SINCE, UNTIL))
    with pytest.raises(ValueError, match="before it starts"):
        rows(ig_media(graph, IG_USER_IDS[0], UNTIL, SINCE))


def test_media_with_too_few_viewers_has_no_insights_and_says_why(graph, monkeypatch):
    from socialpulse_dev.simulator import graph_organic

    monkeypatch.setattr(graph_organic, "MIN_VIEWERS", 10**9)
    item = next(
        m
        for m in rows(ig_media(graph, IG_USER_IDS[0], SINCE, UNTIL))
        if (m["media_type"], m["media_product_type"]) == ("VIDEO", "REELS")
    )
    body, dropped = media_insights(graph, item)
    assert body == {"data": []}
    assert set(dropped) == set(instagram.MEDIA_METRICS)
    assert all("Not enough viewers" in reason for reason in dropped.values())


def test_organic_pulls_ride_out_throttling_and_5xx(simulator):
    from socialpulse.connectors.http import Backoff, RateBudget
    from tests.fakes import RecordedTime

    fake = RecordedTime()
    graph = GraphClient(
        simulator(as_of=AS_OF, throttle_every=4, error_rate=0.2),
        DEFAULT_TOKEN,
        DEFAULT_API_VERSION,
        backoff=Backoff(),
        budget=RateBudget(clock=fake.clock),
        sleep=fake.sleep,
    )
    clean = GraphClient(simulator(as_of=AS_OF), DEFAULT_TOKEN, DEFAULT_API_VERSION)
    assert rows(page_posts(graph, PAGE_IDS[0], SINCE, UNTIL, limit=5)) == rows(
        page_posts(clean, PAGE_IDS[0], SINCE, UNTIL, limit=5)
    )
    assert graph.retries > 0 and fake.sleeps


def test_album_children_have_no_insights_and_say_why(graph):
    album = next(m for m in rows(ig_media(graph, IG_USER_IDS[0], SINCE, UNTIL)) if m["media_type"] == "CAROUSEL_ALBUM")
    children = graph.request("GET", graph.url(f"{album['id']}/children"))["data"]
    assert len(children) == 3
    body, dropped = media_insights(graph, children[0])
    assert body == {"data": []} and set(dropped) == set(instagram.MEDIA_METRICS)
    assert all("album children" in reason for reason in dropped.values())


def test_an_empty_edge_answers_an_empty_list_as_meta_does(graph):
    quiet = list(page_posts(graph, PAGE_IDS[0], SINCE, SINCE + timedelta(seconds=1)))
    assert quiet == [{"data": []}]


def test_a_metric_instagram_does_not_know_at_all_costs_only_that_metric(graph):
    """ "(#100) metric[0] must be one of the following values: ..." names none of the metrics asked."""
    item = next(
        m
        for m in rows(ig_media(graph, IG_USER_IDS[0], SINCE, UNTIL))
        if (m["media_type"], m["media_product_type"]) == ("IMAGE", "FEED")
    )
    body, dropped = media_insights(graph, item, ("reach", "retired_metric", "likes"))
    if insight_values(body):  # enough viewers
        assert set(insight_values(body)) == {"reach", "likes"}
    assert "must be one of the following values" in dropped["retired_metric"]


class RefusingClient:
    """A client whose every insights call answers one Meta error."""

    def __init__(self, code: int, message: str):
        self.error = MetaRequestError(message, http_status=400, code=code)

    def url(self, path: str) -> str:
        return path

    def request(self, method: str, url: str, params: dict | None = None) -> dict:
        raise self.error


def test_a_permission_error_is_not_mistaken_for_too_few_viewers():
    client = RefusingClient(10, "(#10) Application does not have permission for this action")
    with pytest.raises(MetaApiError, match="permission"):
        insights(client, "1790", instagram.MEDIA_METRICS, Refusals(), "instagram IMAGE/FEED")
    body, dropped = insights(
        RefusingClient(10, "(#10) Not enough viewers for the media to show insights"),
        "1790",
        ("reach",),
        Refusals(),
        "instagram IMAGE/FEED",
    )
    assert body == {"data": []} and list(dropped) == ["reach"]
