"""Organic Graph streams: Facebook Page posts, their insights and comments; Instagram media and insights.

Instagram refuses some metrics for some media types and all metrics for media
with too few viewers. The connector drops what is refused, keeps the rest and
says what it dropped, instead of failing the run.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

from socialpulse.connectors.meta.client import GraphClient
from socialpulse.connectors.meta.errors import MetaApiError

PAGE_POST_FIELDS = "id,message,created_time,permalink_url"
PAGE_POST_METRICS = ("post_impressions", "post_impressions_unique", "post_clicks", "post_reactions_by_type_total")
COMMENT_FIELDS = "id,from,created_time"
IG_MEDIA_FIELDS = "id,caption,media_type,media_product_type,timestamp,permalink,like_count,comments_count"
IG_METRICS = ("reach", "views", "likes", "comments", "saved", "shares", "total_interactions")
_UNSUPPORTED = re.compile(r"does not support the (\w+) metric")
_NO_INSIGHTS = re.compile(r"not available for album children|Not enough viewers")


def _window(since: datetime, until: datetime) -> dict:
    if until <= since:
        raise ValueError(f"window ends ({until}) before it starts ({since})")
    return {"since": int(since.timestamp()), "until": int(until.timestamp())}


def page_posts(client: GraphClient, page_id: str, since: datetime, until: datetime,
               limit: int = 100) -> Iterator[dict]:
    """Pages of a Facebook Page's posts created in [since, until)."""
    yield from client.pages(f"{page_id}/posts", {"fields": PAGE_POST_FIELDS, **_window(since, until)}, limit)


def page_post_insights(client: GraphClient, post_id: str) -> dict:
    """Lifetime insights of one Page post, in Meta's {"data": [{"name", "period", "values"}]} shape."""
    return client.request("GET", client.url(f"{post_id}/insights"), {"metric": ",".join(PAGE_POST_METRICS)})


def post_comments(client: GraphClient, post_id: str, limit: int = 100) -> Iterator[dict]:
    """Pages of a post's comments with `from.id`, the commenter's page-scoped id."""
    yield from client.pages(f"{post_id}/comments", {"fields": COMMENT_FIELDS}, limit)


def ig_media(client: GraphClient, ig_user_id: str, since: datetime, until: datetime,
             limit: int = 50) -> Iterator[dict]:
    """Pages of an Instagram account's media created in [since, until)."""
    yield from client.pages(f"{ig_user_id}/media", {"fields": IG_MEDIA_FIELDS, **_window(since, until)}, limit)


def ig_media_insights(client: GraphClient, media_id: str,
                      metrics: tuple[str, ...] = IG_METRICS) -> tuple[dict, dict[str, str]]:
    """(insights body, {dropped metric: Instagram's reason}) for one media.

    A metric refused for the media's type is dropped and the rest asked again;
    media with too few viewers, and a carousel's children, have no insights at all, and say so.
    """
    remaining, dropped = list(metrics), {}
    while remaining:
        try:
            return client.request("GET", client.url(f"{media_id}/insights"), {"metric": ",".join(remaining)}), dropped
        except MetaApiError as error:
            message = str(error.args[0])
            unsupported = _UNSUPPORTED.search(message)
            if error.code == 100 and unsupported and unsupported.group(1) in remaining:
                remaining.remove(unsupported.group(1))
                dropped[unsupported.group(1)] = message
            elif _NO_INSIGHTS.search(message):  # too few viewers, or a carousel's child media
                return {"data": []}, {**dropped, **dict.fromkeys(remaining, message)}
            else:
                raise
    return {"data": []}, dropped


def insight_values(body: dict) -> dict[str, object]:
    """{metric name: lifetime value} from an insights body."""
    return {item["name"]: (item.get("values") or [{}])[-1].get("value") for item in body.get("data", [])
            if isinstance(item, dict) and "name" in item}
