"""Organic Graph API contracts: Facebook Page posts, insights, comments; Instagram media and insights.

Commenters and engagers are audience members with an id on the platform. Insights
accumulate over 48 hours after posting. Instagram refuses as it really does: a
metric a media type does not support (#100), too few viewers (#10), no insights for
the children of a carousel album (#100).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from socialpulse_dev.simulator.audience import TOPICS, engagers, visible_share
from socialpulse_dev.simulator.meta_errors import MetaError

PAGE_IDS = ("110000000000001",)
IG_USER_IDS = ("17841400000000001",)
PAGE_POST_METRICS = ("post_impressions", "post_impressions_unique", "post_clicks", "post_reactions_by_type_total")
IG_METRICS = ("reach", "views", "likes", "comments", "saved", "shares", "total_interactions")
# (media_type, media_product_type) -> metrics Instagram refuses for it
IG_UNSUPPORTED = {("CAROUSEL_ALBUM", "FEED"): {"views"}, ("IMAGE", "STORY"): {"likes", "comments", "saved"}}
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
    rng = random.Random(f"{seed}|{kind}|{owner_id}|{day.isoformat()}")
    start = datetime.combine(day, time(), UTC)
    items = []
    for index, second in enumerate(sorted(rng.randrange(86_400) for _ in range(rng.randint(1, 3)))):
        serial = f"{day.toordinal()}{index}"
        if kind == "page":
            items.append(Content(f"{owner_id}_{serial}", owner_id, start + timedelta(seconds=second),
                                 rng.choice(TOPICS)))
        else:
            media_type, product = rng.choice((("IMAGE", "FEED"), ("VIDEO", "REELS"), ("CAROUSEL_ALBUM", "FEED"),
                                              ("IMAGE", "STORY")))
            items.append(Content(f"1790{owner_id[-4:]}{serial}", owner_id, start + timedelta(seconds=second),
                                 rng.choice(TOPICS), media_type, product))
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


def _visible(seed: int, content: Content, kind: str, scale: float, as_of: datetime, platform: str) -> tuple:
    members = engagers(seed, f"{content.id}|{kind}", content.topic, platform, scale)
    return members[: int(len(members) * visible_share(content.created_at, as_of, at_posting=0.25))]


def _listing(seed: int, owner_id: str, kind: str, params: dict, as_of: datetime) -> list[Content]:
    until = datetime.fromtimestamp(int(params["until"]), UTC) if "until" in params else as_of
    since = datetime.fromtimestamp(int(params["since"]), UTC) if "since" in params \
        else until - timedelta(days=7)
    items = [c for offset in range((min(until, as_of) - since).days + 2)
             for c in _content_on(seed, owner_id, (since + timedelta(days=offset)).date(), kind)
             if since <= c.created_at < min(until, as_of)]
    return sorted(items, key=lambda c: c.created_at, reverse=True)


def _insight(name: str, value: object, content_id: str) -> dict:
    return {"name": name, "period": "lifetime", "values": [{"value": value}], "title": name.replace("_", " "),
            "id": f"{content_id}/insights/{name}/lifetime"}


def route(seed: int, as_of_day: date, rest: list[str], params: dict) -> list[dict] | dict | None:
    """Rows to page (a list) or a whole body (a dict) for an organic path; None when not one."""
    as_of = datetime.combine(as_of_day + timedelta(days=1), time(), UTC)
    fields = set(params.get("fields", "").split(",")) - {""}
    if len(rest) == 2 and rest[1] == "posts" and rest[0] in PAGE_IDS:
        posts = _listing(seed, rest[0], "page", params, as_of)
        rows = [{"id": p.id, "message": f"Our {p.topic} picks this week", "created_time": graph_time(p.created_at),
                 "permalink_url": f"https://www.facebook.com/{p.id}"} for p in posts]
        return [{k: v for k, v in r.items() if k in fields | {"id"}} for r in rows] if fields else rows
    if len(rest) == 2 and rest[1] == "media" and rest[0] in IG_USER_IDS:
        rows = []
        for media in _listing(seed, rest[0], "ig", params, as_of):
            likes = len(_visible(seed, media, "like", 1.0, as_of, "instagram"))
            rows.append({"id": media.id, "caption": f"#{media.topic} of the day", "media_type": media.media_type,
                         "media_product_type": media.media_product_type, "timestamp": graph_time(media.created_at),
                         "permalink": f"https://www.instagram.com/p/{media.id}/", "like_count": likes,
                         "comments_count": len(_visible(seed, media, "comment", 0.12, as_of, "instagram"))})
        return [{k: v for k, v in r.items() if k in fields | {"id"}} for r in rows] if fields else rows
    if len(rest) == 2 and rest[0].startswith("1791"):  # a carousel's child media
        parent = _find(seed, f"1790{rest[0][4:-1]}")
        if parent is None or parent.media_type != "CAROUSEL_ALBUM":
            return None
        if rest[1] == "insights":
            raise MetaError(400, 100, "(#100) Insights are not available for album children media",
                            subcode=2108006)
        return None
    content = _find(seed, rest[0]) if len(rest) == 2 else None
    if content is None or content.created_at >= as_of:
        return None
    if rest[1] == "comments" and "_" in content.id:
        return [{"id": f"{content.id}_{m.user_id[1:]}", "from": {"id": m.facebook_id, "name": m.name},
                 "message": "Love this!", "created_time": graph_time(content.created_at + timedelta(hours=1))}
                for m in _visible(seed, content, "comment", 0.15, as_of, "facebook")]
    if rest[1] == "insights" and "_" in content.id:
        likes = len(_visible(seed, content, "like", 1.0, as_of, "facebook"))
        reach = int(likes / 0.03) + 50
        values = {"post_impressions": int(reach * 1.4), "post_impressions_unique": reach,
                  "post_clicks": int(reach * 0.02), "post_reactions_by_type_total": {"like": likes}}
        wanted = [m for m in params.get("metric", ",".join(PAGE_POST_METRICS)).split(",") if m]
        unknown = [m for m in wanted if m not in values]
        if unknown:
            raise MetaError(400, 100, f"(#100) The value must be a valid insights metric: {unknown[0]}")
        return {"data": [_insight(m, values[m], content.id) for m in wanted]}
    if rest[1] == "insights":
        return _media_insights(seed, content, params, as_of)
    if rest[1] == "children" and content.media_type == "CAROUSEL_ALBUM":
        return [{"id": f"1791{content.id[4:]}{k}"} for k in range(1, 4)]
    return None


def _media_insights(seed: int, media: Content, params: dict, as_of: datetime) -> dict:
    wanted = [m for m in params.get("metric", "").split(",") if m]
    if not wanted:
        raise MetaError(400, 100, "(#100) The parameter metric is required")
    for metric in wanted:
        if metric not in IG_METRICS:
            raise MetaError(400, 100, f"(#100) metric[0] must be one of the following values: {', '.join(IG_METRICS)}")
        if metric in IG_UNSUPPORTED.get((media.media_type, media.media_product_type), ()):
            raise MetaError(400, 100, f"(#100) The Media Insights API does not support the {metric} metric for "
                            "this media product type.", subcode=2108006, error_type="OAuthException")
    likes = len(_visible(seed, media, "like", 1.0, as_of, "instagram"))
    comments = len(_visible(seed, media, "comment", 0.12, as_of, "instagram"))
    reach = int(likes / 0.05) if likes else 0
    if reach < MIN_VIEWERS:
        raise MetaError(400, 10, "(#10) Not enough viewers for the media to show insights", subcode=2108006,
                        error_type="OAuthException")
    rng = random.Random(f"{seed}|ig-insights|{media.id}")
    saved, shares = int(likes * rng.uniform(0.02, 0.1)), int(likes * rng.uniform(0.01, 0.05))
    values = {"reach": reach, "views": int(reach * rng.uniform(1.2, 2.5)), "likes": likes, "comments": comments,
              "saved": saved, "shares": shares, "total_interactions": likes + comments + saved + shares}
    return {"data": [_insight(m, values[m], media.id) for m in wanted]}


def is_organic_id(node: str) -> bool:
    return node in PAGE_IDS or node in IG_USER_IDS or bool(re.fullmatch(r"\d+_\d+|179[01]\d+", node))
