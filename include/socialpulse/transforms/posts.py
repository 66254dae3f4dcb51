"""Raw organic streams -> one post-metrics snapshot per post and one engagement event per (post, person, kind).

Unified across platforms: reactions are likes; replies are comments; reposts and
quotes are shares; Instagram views and X impressions are impressions.
engagement_rate = (likes + comments + shares, the parts the platform reports) /
impressions, or / reach when a platform gives no impressions.
Who engaged is kept only as a pseudonym; names and comment texts stay in the raw zone.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace

import pandas as pd

from socialpulse.connectors.meta.organic import insight_values
from socialpulse.transforms.privacy import Pseudonymizer, drop_erased, pseudonymize_text_ids, redact
from socialpulse.transforms.schemas import ENGAGEMENT_EVENTS, POST_METRICS
from socialpulse.transforms.validation import Validated, page_rows, validate

METRIC_COLUMNS = ("impressions", "reach", "likes", "comments", "shares", "saves", "clicks")
POST_COLUMNS = POST_METRICS.names


def _facebook(post: dict, insights: dict, comments: int) -> dict:
    reactions = insights.get("post_reactions_by_type_total")
    return {"created_at": post.get("created_time"), "impressions": insights.get("post_impressions"),
            "reach": insights.get("post_impressions_unique"), "clicks": insights.get("post_clicks"),
            "likes": sum(reactions.values()) if isinstance(reactions, dict) else None, "comments": comments}


def _instagram(media: dict, insights: dict, comments: int) -> dict:
    return {"created_at": media.get("timestamp"), "impressions": insights.get("views"),
            "reach": insights.get("reach"), "likes": insights.get("likes", media.get("like_count")),
            "comments": insights.get("comments", media.get("comments_count")), "shares": insights.get("shares"),
            "saves": insights.get("saved")}


def _x(post: dict, insights: dict, comments: int) -> dict:
    metrics = post.get("public_metrics") if isinstance(post.get("public_metrics"), dict) else {}
    shares = [metrics.get("retweet_count"), metrics.get("quote_count")]
    return {"created_at": post.get("created_at"), "impressions": metrics.get("impression_count"),
            "likes": metrics.get("like_count"), "comments": metrics.get("reply_count"),
            "shares": None if None in shares or not all(isinstance(s, int) for s in shares) else sum(shares),
            "saves": metrics.get("bookmark_count")}


RAW_EVENT_COLUMNS = ("platform", "post_id", "user_id", "kind", "extracted_at")
UNIFY = {"facebook": _facebook, "instagram": _instagram, "x": _x}
EVENT_KIND_OF_REQUEST = {"comments": "comment", "like": "like", "repost": "share"}


def _engaged_user(item: object, kind: str) -> object:
    if not isinstance(item, dict):
        return None
    return (item.get("from") or {}).get("id") if kind == "comments" else item.get("id")


def clean_posts(pages: Iterable[tuple[dict, dict]], ds: str, pseudonymizer: Pseudonymizer,
                erased: frozenset[str] = frozenset()) -> tuple[Validated, Validated]:
    """(post metrics, engagement events), each with its quarantine, from (manifest, page) pairs."""
    posts: dict[tuple[str, str], tuple[dict, dict]] = {}
    insights: dict[tuple[str, str], dict] = {}
    events: list[dict] = []
    shapeless: list[dict] = []
    for manifest, page in pages:
        platform, request = manifest["platform"], (page.get("_request") if isinstance(page, dict) else None) or {}
        kind, parent = request.get("kind"), request.get("parent_id")
        rows, problem = page_rows(page)
        if problem:
            shapeless.append({"extracted_at": manifest["extracted_at"], "_problem": f"{kind} {problem}",
                              "_original": json.dumps(redact(page))[:20_000]})
        elif kind == "posts":
            for post in rows:
                post = post if isinstance(post, dict) else {"id": None, "_not_an_object": post}
                posts[(platform, str(post.get("id")))] = (manifest, post)
        elif kind == "insights":
            insights[(platform, parent)] = insight_values(page)
        elif kind in EVENT_KIND_OF_REQUEST:
            events.extend({"platform": platform, "post_id": parent, "user_id": _engaged_user(item, kind),
                           "kind": EVENT_KIND_OF_REQUEST[kind], "extracted_at": manifest["extracted_at"]}
                          for item in rows)
    event_result = clean_events(pd.DataFrame(events, columns=list(RAW_EVENT_COLUMNS)), pseudonymizer, erased)
    comments = event_result.clean[event_result.clean.kind == "comment"].groupby(["platform", "post_id"]).size()
    rows = [{"metric_date": ds, "platform": platform, "account_id": manifest["account_id"], "post_id": post.get("id"),
             "extracted_at": manifest["extracted_at"], **dict.fromkeys(METRIC_COLUMNS),
             **UNIFY[platform](post, insights.get((platform, post_id), {}), int(comments.get((platform, post_id), 0))),
             "_original": json.dumps(redact(post), default=str)[:20_000], "_problem": ""}
            for (platform, post_id), (manifest, post) in posts.items()]
    frame = pd.DataFrame([*rows, *shapeless], columns=[*POST_METRICS.input_names, "_original", "_problem"])
    result = validate(frame, POST_METRICS, frame.pop("_problem"))
    clean = result.clean
    engaged = clean[["likes", "comments", "shares"]].astype("Float64").sum(axis=1, min_count=1)
    base = clean["impressions"].astype("Float64").fillna(clean["reach"].astype("Float64"))
    clean["engagement_rate"] = (engaged / base.where(base != 0)).astype("Float64")
    return replace(result, clean=clean[list(POST_COLUMNS)]), event_result


def clean_events(events: pd.DataFrame, pseudonymizer: Pseudonymizer,
                 erased: frozenset[str] = frozenset()) -> Validated:
    """Validated, deduplicated engagement events (RAW_EVENT_COLUMNS) with user_id replaced by person_id.

    Ids are pseudonymised before validation, so a quarantined event holds no raw id either.
    """
    events = events.assign(user_id=pseudonymize_text_ids(pseudonymizer, events["platform"], events["user_id"]))
    events = events.rename(columns={"user_id": "person_id"})
    result = validate(events, ENGAGEMENT_EVENTS)
    clean, _ = drop_erased(result.clean, erased)
    return replace(result, clean=clean)
