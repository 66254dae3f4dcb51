"""X streams: a user's posts in a time window, and who liked or reposted a post."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from socialpulse.connectors.x.client import XClient
from socialpulse.typing_aliases import JsonObject

TWEET_FIELDS = "created_at,public_metrics"
ENGAGEMENT_EDGES = {"like": "liking_users", "repost": "retweeted_by"}


def rfc3339(moment: datetime) -> str:
    """UTC RFC 3339 with a Z, as X expects; a naive time is taken as UTC."""
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def user_posts(
    client: XClient, user_id: str, start: datetime, end: datetime, max_results: int = 100
) -> Iterator[JsonObject]:
    """Pages of GET /2/users/:id/tweets created in [start, end)."""
    if not str(user_id).isdigit():
        raise ValueError(f"X user id {user_id!r} must be numeric (the id, not the @handle)")
    params = {
        "start_time": rfc3339(start),
        "end_time": rfc3339(end),
        "max_results": max_results,
        "tweet.fields": TWEET_FIELDS,
    }
    yield from client.pages(f"users/{user_id}/tweets", params)


def engaged_users(client: XClient, post_id: str, kind: str, max_results: int = 100) -> Iterator[JsonObject]:
    """Pages of the users who liked (kind='like') or reposted (kind='repost') a post."""
    if kind not in ENGAGEMENT_EDGES:
        raise ValueError(f"engagement kind {kind!r} is not one of {sorted(ENGAGEMENT_EDGES)}")
    yield from client.pages(f"tweets/{post_id}/{ENGAGEMENT_EDGES[kind]}", {"max_results": max_results})
