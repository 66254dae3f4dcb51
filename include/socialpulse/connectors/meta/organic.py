"""Organic Graph streams: Facebook Page posts, their insights and comments; Instagram media, stories, insights.

Meta refuses metrics: one it deprecated ("(#100) The value must be a valid
insights metric", naming none), one a media type does not support ("(#100) The
Media Insights API does not support the views metric for this media product
type."), or all of them for media with too few viewers ("(#10) ..."). Every
insights call goes through `insights`, which drops what is refused, asks again
for the rest, and says what it dropped, instead of failing the platform.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from socialpulse.connectors.meta import facebook_fields as facebook
from socialpulse.connectors.meta import instagram_fields as instagram
from socialpulse.connectors.meta.client import GraphClient
from socialpulse.connectors.meta.errors import MetaApiError
from socialpulse.typing_aliases import JsonObject

_UNSUPPORTED = re.compile(r"does not support the ([\w, ]+?) metrics? for")
# Refusals that name no metric: a deprecated Page metric, or one Instagram does not know at all.
_UNNAMED = re.compile(r"must be a valid insights metric|must be one of the following values")
# Media without insights at all (too few viewers: code 10, subcode 2108006); not a permission error, also #10.
_NO_INSIGHTS = re.compile(r"not available for album children|Not enough viewers")
log = logging.getLogger(__name__)


@dataclass
class Refusals:
    """Metrics Meta refused during one extraction, per scope (a Page's posts, a media type), asked for once each."""

    refused: dict[tuple[str, str], str] = field(default_factory=dict)  # (scope, metric) -> Meta's message

    def known(self, scope: str, metrics: tuple[str, ...]) -> dict[str, str]:
        return {m: self.refused[(scope, m)] for m in metrics if (scope, m) in self.refused}

    def add(self, scope: str, metric: str, message: str) -> None:
        if (scope, metric) not in self.refused:
            log.warning(
                "Meta refused the %s metric %s (%s): dropped from every request of this run", scope, metric, message
            )
            self.refused[(scope, metric)] = message


def _window(since: datetime, until: datetime) -> dict[str, int]:
    if until <= since:
        raise ValueError(f"window ends ({until}) before it starts ({since})")
    return {"since": int(since.timestamp()), "until": int(until.timestamp())}


def _refused_alone(client: GraphClient, object_id: str, metrics: list[str]) -> list[str]:
    """The metrics Meta refuses when asked one at a time: its "not a valid metric" answer names none.

    Any other answer (the object gone, too few viewers, a permission) is raised for `insights` to judge.
    """
    refused = []
    for metric in metrics:
        try:
            client.request("GET", client.url(f"{object_id}/insights"), {"metric": metric})
        except MetaApiError as error:
            if not (error.code == 100 and _UNNAMED.search(str(error.args[0]))):
                raise
            refused.append(metric)
    return refused


def insights(
    client: GraphClient, object_id: str, metrics: tuple[str, ...], refusals: Refusals, scope: str
) -> tuple[JsonObject, dict[str, str]]:
    """(insights body, {dropped metric: Meta's reason}) of one post or media, whatever Meta refuses.

    A refused metric is dropped and the rest asked again; it is not asked again in
    this scope. Media with too few viewers, and a carousel's children, have no
    insights at all, and say so.
    """
    dropped = refusals.known(scope, metrics)
    remaining = [m for m in metrics if m not in dropped]
    while remaining:
        try:
            return client.request("GET", client.url(f"{object_id}/insights"), {"metric": ",".join(remaining)}), dropped
        except MetaApiError as error:
            message = str(error.args[0])
            if _NO_INSIGHTS.search(message):
                return {"data": []}, {**dropped, **dict.fromkeys(remaining, message)}
            if error.code != 100:
                raise  # a permission (#10 too) or the token: no metric to drop, a person must act
            named = _UNSUPPORTED.search(message)
            try:
                refused = (
                    [m for m in named.group(1).split(", ") if m in remaining]
                    if named
                    else _refused_alone(client, object_id, remaining)
                    if _UNNAMED.search(message)
                    else []
                )
            except MetaApiError as alone:
                if not _NO_INSIGHTS.search(str(alone.args[0])):
                    raise
                return {"data": []}, {**dropped, **dict.fromkeys(remaining, str(alone.args[0]))}
            if not refused:
                raise
            for metric in refused:
                refusals.add(scope, metric, message)
                dropped[metric] = message
                remaining.remove(metric)
    return {"data": []}, dropped


def page_posts(
    client: GraphClient, page_id: str, since: datetime, until: datetime, limit: int = 100
) -> Iterator[JsonObject]:
    """Pages of a Facebook Page's posts created in [since, until), with their `shares`."""
    yield from client.pages(f"{page_id}/posts", {"fields": facebook.POST_FIELDS, **_window(since, until)}, limit)


def post_comments(client: GraphClient, post_id: str, limit: int = 100) -> Iterator[JsonObject]:
    """Pages of a post's comments (replies included) with `from.id` and `summary.total_count`."""
    yield from client.pages(f"{post_id}/comments", dict(facebook.COMMENT_PARAMS), limit)


def ig_media(
    client: GraphClient, ig_user_id: str, since: datetime, until: datetime, limit: int = 50
) -> Iterator[JsonObject]:
    """Pages of an Instagram account's feed media and reels created in [since, until)."""
    yield from client.pages(f"{ig_user_id}/media", {"fields": instagram.MEDIA_FIELDS, **_window(since, until)}, limit)


def ig_stories(client: GraphClient, ig_user_id: str, limit: int = 50) -> Iterator[JsonObject]:
    """Pages of the account's stories live now (posted in the last 24 hours): the edge takes no time window."""
    yield from client.pages(f"{ig_user_id}/stories", {"fields": instagram.STORY_FIELDS}, limit)


def insight_values(body: JsonObject) -> dict[str, object]:
    """{metric name: lifetime value} from an insights body."""
    return {
        item["name"]: (item.get("values") or [{}])[-1].get("value")
        for item in body.get("data", [])
        if isinstance(item, dict) and "name" in item
    }
