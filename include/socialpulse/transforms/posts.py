"""Raw organic streams -> one post-metrics snapshot per post and one engagement event per (post, person, kind).

Unified across platforms: reactions are likes; replies are comments; reposts and
quotes are shares; Facebook and Instagram views and X impressions are impressions,
Facebook unique views are reach (Meta retired impressions on 15 November 2025).
A post's comments count every comment (Facebook's `summary.total_count`), not
commenters; a Facebook post without `shares` was shared 0 times.
engagement_rate = (likes + comments + shares, the parts the platform reports) /
impressions, or / reach when a platform gives no impressions. A post's topic comes
from its text (transforms/topics.py); the text itself stays in the raw zone.
Who engaged is kept only as a pseudonym; names and comment texts stay in the raw zone.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from typing import cast

import pandas as pd

from socialpulse.connectors.meta.facebook_fields import METRIC_COLUMNS as FACEBOOK_METRIC_COLUMNS
from socialpulse.connectors.meta.organic import insight_values
from socialpulse.transforms.entities import ENGAGEMENT_EVENTS, POST_METRICS
from socialpulse.transforms.privacy import Pseudonymizer, drop_erased, pseudonymize_text_ids, redact
from socialpulse.transforms.topics import topic_of
from socialpulse.transforms.validation import Validated, page_rows, validate
from socialpulse.typing_aliases import JsonObject

METRIC_COLUMNS = ("impressions", "reach", "likes", "comments", "shares", "saves", "clicks")
POST_COLUMNS = POST_METRICS.names


def _facebook(post: JsonObject, insights: dict[str, object], comments: int) -> JsonObject:
    reactions = insights.get("post_reactions_by_type_total")
    shares = post.get("shares") if "shares" in post else {"count": 0}  # left out when nobody shared
    return {
        "created_at": post.get("created_time"),
        "comments": comments,
        **{column: insights.get(metric) for metric, column in FACEBOOK_METRIC_COLUMNS.items()},
        "likes": sum(reactions.values()) if isinstance(reactions, dict) else None,
        "shares": shares.get("count") if isinstance(shares, dict) else shares,
    }


def _instagram(media: JsonObject, insights: dict[str, object], comments: int) -> JsonObject:
    return {
        "created_at": media.get("timestamp"),
        "impressions": insights.get("views"),
        "reach": insights.get("reach"),
        "likes": insights.get("likes", media.get("like_count")),
        "comments": insights.get("comments", media.get("comments_count", insights.get("replies"))),
        "shares": insights.get("shares"),
        "saves": insights.get("saved"),
    }


def _x(post: JsonObject, insights: dict[str, object], comments: int) -> JsonObject:
    metrics = cast(JsonObject, post.get("public_metrics")) if isinstance(post.get("public_metrics"), dict) else {}
    shares = [metrics.get("retweet_count"), metrics.get("quote_count")]
    return {
        "created_at": post.get("created_at"),
        "impressions": metrics.get("impression_count"),
        "likes": metrics.get("like_count"),
        "comments": metrics.get("reply_count"),
        "shares": None if None in shares or not all(isinstance(s, int) for s in shares) else sum(shares),
        "saves": metrics.get("bookmark_count"),
    }


TEXT_FIELDS = ("message", "caption", "text")  # a Facebook post's, an Instagram media's, an X post's
RAW_EVENT_COLUMNS = ("platform", "post_id", "user_id", "kind", "extracted_at")
UNIFY = {"facebook": _facebook, "instagram": _instagram, "x": _x}
EVENT_KIND_OF_REQUEST = {"comments": "comment", "like": "like", "repost": "share"}


def _engaged_user(item: object, kind: str) -> object:
    if not isinstance(item, dict):
        return None
    return (item.get("from") or {}).get("id") if kind == "comments" else item.get("id")


STORY_HOURS = 24  # how long Instagram serves a story


def _story_of_the_run(item: JsonObject, manifest: JsonObject) -> bool:
    """Whether a live story belongs to this run: posted from its window's start to a day past its end.

    The stories edge lists what is live when the task runs, which is after the
    window closes; the day past the end keeps the stories of a late run's last
    hours (each is live for 24 hours), while a rerun of an old day, days later,
    takes none of today's.
    """
    window = manifest.get("window") or {}
    posted = pd.to_datetime(item.get("timestamp"), utc=True, errors="coerce")
    if pd.isna(posted) or not window:
        return True  # validation quarantines what it cannot read
    end = pd.Timestamp(window["end"]) + pd.Timedelta(hours=STORY_HOURS)
    return cast(bool, pd.Timestamp(window["start"]) <= posted < end)


def comment_counts(pages: list[tuple[str, str | None, JsonObject]]) -> dict[tuple[str, str | None], int]:
    """Comments per (platform, post): the edge's summary.total_count, else the comments paged."""
    totals: dict[tuple[str, str | None], int] = {}
    paged: dict[tuple[str, str | None], int] = {}
    for platform, parent, page in pages:
        summary = page.get("summary")
        if isinstance(summary, dict) and isinstance(summary.get("total_count"), int):
            totals[(platform, parent)] = max(totals.get((platform, parent), 0), summary["total_count"])
        paged[(platform, parent)] = paged.get((platform, parent), 0) + len(page.get("data") or [])
    return {**paged, **totals}


def refused_metrics(pages: Iterable[tuple[JsonObject, JsonObject]]) -> dict[str, str]:
    """{"<scope>: <metric>": Meta's message} of every metric an insights call dropped as refused (#100).

    The scope (a Page's posts, an Instagram media type) keeps a refusal for one media
    type apart from a deprecation that hits them all.
    """
    refused = {}
    for manifest, page in pages:
        request = (page.get("_request") if isinstance(page, dict) else None) or {}
        for metric, message in (request.get("dropped") or {}).items():
            if str(message).startswith("(#100)"):
                refused[f"{request.get('scope') or manifest['platform']}: {metric}"] = str(message)
    return refused


def clean_posts(
    pages: Iterable[tuple[JsonObject, JsonObject]],
    ds: str,
    pseudonymizer: Pseudonymizer,
    erased: frozenset[str] = frozenset(),
) -> tuple[Validated, Validated]:
    """(post metrics, engagement events), each with its quarantine, from (manifest, page) pairs."""
    posts: dict[tuple[str, str], tuple[JsonObject, JsonObject]] = {}
    insights: dict[tuple[str, str | None], dict[str, object]] = {}  # a request's parent_id may be missing
    comment_pages: list[tuple[str, str | None, JsonObject]] = []
    events: list[JsonObject] = []
    shapeless: list[JsonObject] = []
    for manifest, page in pages:
        platform, request = manifest["platform"], (page.get("_request") if isinstance(page, dict) else None) or {}
        kind, parent = request.get("kind"), request.get("parent_id")
        rows, problem = page_rows(page)
        if problem:
            shapeless.append(
                {
                    "extracted_at": manifest["extracted_at"],
                    "_problem": f"{kind} {problem}",
                    "_original": json.dumps(redact(page))[:20_000],
                }
            )
        elif kind == "posts":
            for post in rows:
                post = post if isinstance(post, dict) else {"id": None, "_not_an_object": post}
                if request.get("edge") == "stories" and not _story_of_the_run(post, manifest):
                    continue
                posts[(platform, str(post.get("id")))] = (manifest, post)
        elif kind == "insights":
            insights[(platform, parent)] = insight_values(page)
        elif kind in EVENT_KIND_OF_REQUEST:
            if kind == "comments":
                comment_pages.append((platform, parent, page))
            events.extend(
                {
                    "platform": platform,
                    "post_id": parent,
                    "user_id": _engaged_user(item, kind),
                    "kind": EVENT_KIND_OF_REQUEST[kind],
                    "extracted_at": manifest["extracted_at"],
                }
                for item in rows
            )
    event_result = clean_events(pd.DataFrame(events, columns=list(RAW_EVENT_COLUMNS)), pseudonymizer, erased)
    comments = comment_counts(comment_pages)
    rows = [
        {
            "metric_date": ds,
            "platform": platform,
            "account_id": manifest["account_id"],
            "post_id": post.get("id"),
            "extracted_at": manifest["extracted_at"],
            **dict.fromkeys(METRIC_COLUMNS),
            **UNIFY[platform](post, insights.get((platform, post_id), {}), int(comments.get((platform, post_id), 0))),
            "_original": json.dumps(redact(post), default=str)[:20_000],
            "_problem": "",
        }
        for (platform, post_id), (manifest, post) in posts.items()
    ]
    frame = pd.DataFrame([*rows, *shapeless], columns=[*POST_METRICS.input_names, "_original", "_problem"])
    result = validate(frame, POST_METRICS, frame.pop("_problem"))
    clean = result.clean
    engaged = clean[["likes", "comments", "shares"]].astype("Float64").sum(axis=1, min_count=1)
    base = clean["impressions"].astype("Float64").fillna(clean["reach"].astype("Float64"))
    clean["engagement_rate"] = (engaged / base.where(base != 0)).astype("Float64")
    texts = {
        key: next((post[f] for f in TEXT_FIELDS if isinstance(post.get(f), str)), None)
        for key, (_, post) in posts.items()
    }
    clean["topic"] = [topic_of(texts.get((p, i))) for p, i in zip(clean["platform"], clean["post_id"], strict=True)]
    return replace(result, clean=clean[list(POST_COLUMNS)]), event_result


def clean_events(events: pd.DataFrame, pseudonymizer: Pseudonymizer, erased: frozenset[str] = frozenset()) -> Validated:
    """Validated, deduplicated engagement events (RAW_EVENT_COLUMNS) with user_id replaced by person_id.

    Ids are pseudonymised before validation, so a quarantined event holds no raw id either.
    """
    events = events.assign(user_id=pseudonymize_text_ids(pseudonymizer, events["platform"], events["user_id"]))
    events = events.rename(columns={"user_id": "person_id"})
    events, _ = drop_erased(events, erased)  # before validation: no erased person reaches quarantine
    return validate(events, ENGAGEMENT_EVENTS)
