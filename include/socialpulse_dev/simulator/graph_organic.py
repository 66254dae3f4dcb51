"""Organic Graph API contracts: Facebook Page posts, insights, comments; Instagram media, stories, insights.

Commenters and engagers are audience members with an id on the platform. Insights
accumulate over 48 hours after posting. Meta refuses as it really does: the Page
impressions metrics it deprecated on 15 November 2025 ("(#100) The value must be a
valid insights metric", naming none), a metric an Instagram media type does not
support (#100), too few viewers (#10), no insights for the children of a carousel
album (#100). A post nobody shared has no `shares` field; people comment more than
once, so a post has more comments than commenters, and the comments edge answers
`summary.total_count` when asked. Stories are not on `/media`: `/stories` lists
those posted in the 24 hours before the simulator's now (the end of its as-of day).
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from socialpulse_dev.simulator.audience import DEFAULT_SIZE, TOPICS, engagers, visible_share
from socialpulse_dev.simulator.meta_errors import MetaError

PAGE_IDS = ("110000000000001",)
IG_USER_IDS = ("17841400000000001",)
PAGE_POST_METRICS = ("post_media_view", "post_total_media_view_unique", "post_clicks", "post_reactions_by_type_total")
# Deprecated for every API version (Page Insights API updates, 15 August 2025, effective 15 November 2025).
DEPRECATED_PAGE_METRICS = (
    "post_impressions",
    "post_impressions_unique",
    "post_impressions_paid",
    "post_impressions_organic",
    "post_impressions_fan",
    "post_impressions_viral",
)
IG_METRICS = (
    "reach",
    "views",
    "likes",
    "comments",
    "saved",
    "shares",
    "total_interactions",
    "replies",
    "follows",
    "profile_visits",
    "navigation",
    "impressions",
)
# (media_type, media_product_type) -> metrics Instagram refuses for it; `impressions` is gone for all media.
IG_UNSUPPORTED = {
    ("CAROUSEL_ALBUM", "FEED"): {"views", "replies", "navigation"},
    ("IMAGE", "FEED"): {"replies", "navigation"},
    ("VIDEO", "REELS"): {"replies", "navigation"},
    ("IMAGE", "STORY"): {"likes", "comments", "saved"},
}
STORY_HOURS = 24
MIN_VIEWERS = 30


@dataclass(frozen=True)
class Content:
    id: str
    owner_id: str
    created_at: datetime
    topic: str
    media_type: str = "STATUS"
    media_product_type: str = "FEED"


def graph_time(moment: datetime) -> str:
    """Graph's timestamp format: 2026-11-02T10:00:00+0000."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")


def _content_on(seed: int, owner_id: str, day: date, kind: str) -> list[Content]:
    """A page's posts, or an account's media (stories among them), of one day."""
    rng = random.Random(f"{seed}|{kind}|{owner_id}|{day.isoformat()}")
    start = datetime.combine(day, time(), UTC)
    items = []
    for index, second in enumerate(sorted(rng.randrange(86_400) for _ in range(rng.randint(1, 3)))):
        serial = f"{day.toordinal()}{index}"
        if kind == "page":
            items.append(
                Content(f"{owner_id}_{serial}", owner_id, start + timedelta(seconds=second), rng.choice(TOPICS))
            )
        else:
            media_type, product = rng.choice(
                (("IMAGE", "FEED"), ("VIDEO", "REELS"), ("CAROUSEL_ALBUM", "FEED"), ("IMAGE", "STORY"))
            )
            items.append(
                Content(
                    f"1790{owner_id[-4:]}{serial}",
                    owner_id,
                    start + timedelta(seconds=second),
                    rng.choice(TOPICS),
                    media_type,
                    product,
                )
            )
    return items


def _find(seed: int, content_id: str) -> Content | None:
    """A page post (`<page>_<ordinal><i>`) or media (`1790<owner4><ordinal><i>`) by id."""
    if "_" in content_id:
        owner, serial, kind, owners = *content_id.split("_", 1), "page", PAGE_IDS
    else:
        owner, serial, kind, owners = content_id[4:8], content_id[8:], "ig", IG_USER_IDS
        owner = next((o for o in owners if o.endswith(owner)), "")
    if owner not in owners or not serial[:-1].isdigit():
        return None
    day = date.fromordinal(int(serial[:-1]))
    return next((c for c in _content_on(seed, owner, day, kind) if c.id == content_id), None)


def page_post_message(topic: str) -> str:
    return f"Our {topic} picks this week"


def media_caption(topic: str) -> str:
    return f"#{topic} of the day"


def _visible(seed: int, content: Content, kind: str, scale: float, as_of: datetime, platform: str, size: int) -> tuple:
    members = engagers(seed, f"{content.id}|{kind}", content.topic, platform, scale, size)
    return members[: int(len(members) * visible_share(content.created_at, as_of, at_posting=0.25))]


def _listing(seed: int, owner_id: str, kind: str, params: dict, as_of: datetime) -> list[Content]:
    until = datetime.fromtimestamp(int(params["until"]), UTC) if "until" in params else as_of
    since = datetime.fromtimestamp(int(params["since"]), UTC) if "since" in params else until - timedelta(days=7)
    items = [
        c
        for offset in range((min(until, as_of) - since).days + 2)
        for c in _content_on(seed, owner_id, (since + timedelta(days=offset)).date(), kind)
        if since <= c.created_at < min(until, as_of)
    ]
    return sorted(items, key=lambda c: c.created_at, reverse=True)


def _stories(seed: int, owner_id: str, as_of: datetime) -> list[Content]:
    """The stories live at `as_of`: posted in the STORY_HOURS before it, newest first."""
    since = as_of - timedelta(hours=STORY_HOURS)
    items = [
        c
        for day in (since.date(), as_of.date())
        for c in _content_on(seed, owner_id, day, "ig")
        if c.media_product_type == "STORY" and since <= c.created_at < as_of
    ]
    return sorted(items, key=lambda c: c.created_at, reverse=True)


def _media_row(seed: int, media: Content, as_of: datetime, size: int) -> dict:
    row = {
        "id": media.id,
        "caption": media_caption(media.topic),
        "media_type": media.media_type,
        "media_product_type": media.media_product_type,
        "timestamp": graph_time(media.created_at),
        "permalink": f"https://www.instagram.com/p/{media.id}/",
    }
    if media.media_product_type != "STORY":  # stories have no likes or comments
        row.update(
            like_count=len(_visible(seed, media, "like", 1.0, as_of, "instagram", size)),
            comments_count=len(_visible(seed, media, "comment", 0.12, as_of, "instagram", size)),
        )
    return row


def _only(rows: list[dict], fields: set[str]) -> list[dict]:
    return [{k: v for k, v in r.items() if k in fields | {"id"}} for r in rows] if fields else rows


def _page_post_shares(seed: int, post: Content, likes: int) -> int:
    return int(likes * random.Random(f"{seed}|fb-shares|{post.id}").choice((0, 0, 0.02, 0.05, 0.08)))


COMMENT_SCALE = 0.15  # a Page post's commenters against its likers


def commenters(seed: int, post: Content, as_of: datetime, size: int = DEFAULT_SIZE) -> tuple:
    """The members whose comments on a Page post are visible at `as_of`."""
    return _visible(seed, post, "comment", COMMENT_SCALE, as_of, "facebook", size)


@lru_cache(maxsize=4)
def _comments(seed: int, post: Content, as_of: datetime, size: int) -> tuple[dict, ...]:
    """Each commenter's comments (one to three each), oldest first.

    Kept for the few posts being paged: a million people's post has 100-odd pages, and
    building its comments for each would make serving them quadratic.
    """
    rows = []
    for member in commenters(seed, post, as_of, size):
        times = random.Random(f"{seed}|fb-comments|{post.id}|{member.user_id}").randint(1, 3)
        rows += [
            {
                "id": f"{post.id}_{member.user_id[1:]}{n}",
                "from": {"id": member.facebook_id, "name": member.name},
                "message": "Love this!",
                "created_time": graph_time(post.created_at + timedelta(hours=1 + n)),
            }
            for n in range(times)
        ]
    return tuple(rows)


def _insight(name: str, value: object, content_id: str) -> dict:
    return {
        "name": name,
        "period": "lifetime",
        "values": [{"value": value}],
        "title": name.replace("_", " "),
        "id": f"{content_id}/insights/{name}/lifetime",
    }


def route(
    seed: int, as_of_day: date, rest: list[str], params: dict, size: int = DEFAULT_SIZE
) -> Sequence[dict] | dict | None:
    """Rows to page (a list) or a whole body (a dict) for an organic path, `size` people engaging; None if not one."""
    as_of = datetime.combine(as_of_day + timedelta(days=1), time(), UTC)
    fields = set(params.get("fields", "").split(",")) - {""}
    if len(rest) == 2 and rest[1] == "posts" and rest[0] in PAGE_IDS:
        rows = []
        for post in _listing(seed, rest[0], "page", params, as_of):
            row = {
                "id": post.id,
                "message": page_post_message(post.topic),
                "created_time": graph_time(post.created_at),
                "permalink_url": f"https://www.facebook.com/{post.id}",
            }
            shares = _page_post_shares(seed, post, len(_visible(seed, post, "like", 1.0, as_of, "facebook", size)))
            if shares:  # Graph leaves `shares` out of a post nobody shared
                row["shares"] = {"count": shares}
            rows.append(row)
        return _only(rows, fields)
    if len(rest) == 2 and rest[1] == "media" and rest[0] in IG_USER_IDS:  # stories are not media listings
        return _only(
            [
                _media_row(seed, m, as_of, size)
                for m in _listing(seed, rest[0], "ig", params, as_of)
                if m.media_product_type != "STORY"
            ],
            fields,
        )
    if len(rest) == 2 and rest[1] == "stories" and rest[0] in IG_USER_IDS:
        return _only([_media_row(seed, m, as_of, size) for m in _stories(seed, rest[0], as_of)], fields)
    if len(rest) == 2 and rest[0].startswith("1791"):  # a carousel's child media
        parent = _find(seed, f"1790{rest[0][4:-1]}")
        if parent is None or parent.media_type != "CAROUSEL_ALBUM":
            return None
        if rest[1] == "insights":
            raise MetaError(400, 100, "(#100) Insights are not available for album children media", subcode=2108006)
        return None
    content = _find(seed, rest[0]) if len(rest) == 2 else None
    if content is None or content.created_at >= as_of:
        return None
    if rest[1] == "comments" and "_" in content.id:
        return _comments(seed, content, as_of, size)
    if rest[1] == "insights" and "_" in content.id:
        likes = len(_visible(seed, content, "like", 1.0, as_of, "facebook", size))
        reach = int(likes / 0.03) + 50
        values = {
            "post_media_view": int(reach * 1.4),
            "post_total_media_view_unique": reach,
            "post_clicks": int(reach * 0.02),
            "post_reactions_by_type_total": {"like": likes},
        }
        wanted = [m for m in params.get("metric", ",".join(PAGE_POST_METRICS)).split(",") if m]
        if any(m not in values for m in wanted):  # Meta names no metric in this answer
            raise MetaError(400, 100, "(#100) The value must be a valid insights metric")
        return {"data": [_insight(m, values[m], content.id) for m in wanted]}
    if rest[1] == "insights":
        return _media_insights(seed, content, params, as_of, size)
    if rest[1] == "children" and content.media_type == "CAROUSEL_ALBUM":
        return [{"id": f"1791{content.id[4:]}{k}"} for k in range(1, 4)]
    return None


def _media_insights(seed: int, media: Content, params: dict, as_of: datetime, size: int) -> dict:
    wanted = [m for m in params.get("metric", "").split(",") if m]
    if not wanted:
        raise MetaError(400, 100, "(#100) The parameter metric is required")
    for metric in wanted:
        if metric not in IG_METRICS:
            raise MetaError(400, 100, f"(#100) metric[0] must be one of the following values: {', '.join(IG_METRICS)}")
    refused = [
        m
        for m in wanted
        if m == "impressions" or m in IG_UNSUPPORTED.get((media.media_type, media.media_product_type), ())
    ]
    if refused:  # Instagram names every refused metric at once
        raise MetaError(
            400,
            100,
            f"(#100) The Media Insights API does not support the {', '.join(refused)} metric "
            "for this media product type.",
            subcode=2108006,
            error_type="OAuthException",
        )
    likes = len(_visible(seed, media, "like", 1.0, as_of, "instagram", size))
    comments = len(_visible(seed, media, "comment", 0.12, as_of, "instagram", size))
    reach = int(likes / 0.05) if likes else 0
    if reach < MIN_VIEWERS:
        raise MetaError(
            400,
            10,
            "(#10) Not enough viewers for the media to show insights",
            subcode=2108006,
            error_type="OAuthException",
        )
    rng = random.Random(f"{seed}|ig-insights|{media.id}")
    saved, shares = int(likes * rng.uniform(0.02, 0.1)), int(likes * rng.uniform(0.01, 0.05))
    replies = int(likes * rng.uniform(0.01, 0.04))
    values = {
        "reach": reach,
        "views": int(reach * rng.uniform(1.2, 2.5)),
        "likes": likes,
        "comments": comments,
        "saved": saved,
        "shares": shares,
        "total_interactions": likes + comments + saved + shares,
        "replies": replies,
        "follows": int(likes * 0.01),
        "profile_visits": int(likes * 0.05),
        "navigation": int(reach * rng.uniform(0.8, 1.5)),
    }
    return {"data": [_insight(m, values[m], media.id) for m in wanted]}


def is_organic_id(node: str) -> bool:
    return node in PAGE_IDS or node in IG_USER_IDS or bool(re.fullmatch(r"\d+_\d+|179[01]\d+", node))
