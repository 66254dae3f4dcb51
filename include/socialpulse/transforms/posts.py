"""Raw organic streams -> one post-metrics snapshot per post and one engagement event per (post, user, kind).

Unified across platforms: reactions are likes; replies are comments; reposts and
quotes are shares; Instagram views and X impressions are impressions.
engagement_rate = (likes + comments + shares, the parts the platform reports) /
impressions, or / reach when a platform gives no impressions.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import pandas as pd

from socialpulse.connectors.meta.organic import insight_values

METRIC_COLUMNS = ("impressions", "reach", "likes", "comments", "shares", "saves", "clicks")
POST_COLUMNS = ("metric_date", "platform", "account_id", "post_id", "created_at", *METRIC_COLUMNS,
                "engagement_rate", "extracted_at")
EVENT_COLUMNS = ("platform", "post_id", "user_id", "kind", "extracted_at")


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
    metrics = post.get("public_metrics") or {}
    shares = [metrics.get("retweet_count"), metrics.get("quote_count")]
    return {"created_at": post.get("created_at"), "impressions": metrics.get("impression_count"),
            "likes": metrics.get("like_count"), "comments": metrics.get("reply_count"),
            "shares": None if None in shares else sum(shares), "saves": metrics.get("bookmark_count")}


UNIFY = {"facebook": _facebook, "instagram": _instagram, "x": _x}
EVENT_KINDS = {"comments": "comment", "like": "like", "repost": "share"}


def clean_posts(pages: Iterable[tuple[dict, dict]], ds: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(post metrics, engagement events, quarantined rows with reason) from (manifest, page) pairs."""
    posts: dict[tuple[str, str], tuple[dict, dict]] = {}
    insights: dict[tuple[str, str], dict] = {}
    events: list[dict] = []
    for manifest, page in pages:
        platform, request = manifest["platform"], page.get("_request") or {}
        kind, parent = request.get("kind"), request.get("parent_id")
        if kind == "posts":
            for post in page.get("data") or []:
                posts[(platform, str(post.get("id")))] = (manifest, post)
        elif kind == "insights":
            insights[(platform, parent)] = insight_values(page)
        elif kind in EVENT_KINDS:
            for item in page.get("data") or []:
                user = (item.get("from") or {}).get("id") if kind == "comments" else item.get("id")
                events.append({"platform": platform, "post_id": parent, "user_id": user,
                               "kind": EVENT_KINDS[kind], "extracted_at": manifest["extracted_at"]})
    event_frame = pd.DataFrame(events, columns=list(EVENT_COLUMNS))
    comment_counts = event_frame[event_frame.kind == "comment"].groupby(["platform", "post_id"]).size().to_dict()
    rows, quarantined = [], []
    for (platform, post_id), (manifest, post) in posts.items():
        unified = UNIFY[platform](post, insights.get((platform, post_id), {}),
                                  comment_counts.get((platform, post_id), 0))
        row = {"metric_date": ds, "platform": platform, "account_id": manifest["account_id"], "post_id": post_id,
               "extracted_at": manifest["extracted_at"], **dict.fromkeys(METRIC_COLUMNS), **unified}
        if not post.get("id") or not unified.get("created_at"):
            quarantined.append({"reason": "post without id or creation time", "original": str(post)[:2000]})
        else:
            rows.append(row)
    frame = pd.DataFrame(rows, columns=[c for c in POST_COLUMNS if c != "engagement_rate"])
    frame["metric_date"] = pd.to_datetime(frame["metric_date"]).dt.date
    frame["created_at"] = frame["created_at"].map(_utc)
    frame["extracted_at"] = pd.to_datetime(frame["extracted_at"], utc=True)
    for column in METRIC_COLUMNS:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("Int64")
    engaged = frame[["likes", "comments", "shares"]].astype("Float64").sum(axis=1, min_count=1)
    base = frame["impressions"].astype("Float64").fillna(frame["reach"].astype("Float64"))
    frame["engagement_rate"] = (engaged / base.where(base != 0)).astype("Float64")
    frame = frame.sort_values(["metric_date", "platform", "account_id", "post_id"], ignore_index=True)
    event_frame = (event_frame.dropna(subset=["user_id"])
                   .drop_duplicates(["platform", "post_id", "user_id", "kind"])
                   .assign(extracted_at=lambda f: pd.to_datetime(f["extracted_at"], utc=True))
                   .reset_index(drop=True))
    return frame[list(POST_COLUMNS)], event_frame, pd.DataFrame(quarantined, columns=["reason", "original"])


def _utc(text: object) -> pd.Timestamp | None:
    """Graph's +0000 and X's Z timestamps, both as UTC."""
    if not isinstance(text, str):
        return None
    moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("+0000", "+00:00"))
    return pd.Timestamp(moment).tz_convert("UTC")
