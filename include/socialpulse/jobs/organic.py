"""Organic sources, one account per call: a Facebook Page, an Instagram account, an X user.

Each writes one raw stream per account: every API page as received, with a
`_request` note saying what it answers (the posts listing, or a post's
insights, comments or engaged users), so cleaning can put them back together.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta

from socialpulse.connectors.meta import GraphClient
from socialpulse.connectors.meta.organic import (
    ig_media,
    ig_media_insights,
    page_post_insights,
    page_posts,
    post_comments,
)
from socialpulse.connectors.x import XClient, engaged_users, user_posts
from socialpulse.jobs import landing

ENTITY = "posts"
log = logging.getLogger(__name__)


def post_window(ds: str, lookback_days: int) -> tuple[datetime, datetime]:
    """Posts created from `lookback_days` before the run's day to the end of it, in UTC."""
    end = datetime.combine(datetime.fromisoformat(ds).date() + timedelta(days=1), time(), UTC)
    return end - timedelta(days=lookback_days + 1), end


def _note(page: dict, kind: str, parent_id: str | None = None, **extra) -> dict:
    return {**page, "_request": {"kind": kind, "parent_id": parent_id, **extra}}


def facebook_page_pages(client: GraphClient, page_id: str, start: datetime, end: datetime) -> Iterator[dict]:
    for listing in page_posts(client, page_id, start, end):
        yield _note(listing, "posts")
        for post in listing.get("data", []):
            yield _note(page_post_insights(client, post["id"]), "insights", post["id"])
            for comments in post_comments(client, post["id"]):
                yield _note(comments, "comments", post["id"])


def instagram_pages(client: GraphClient, ig_user_id: str, start: datetime, end: datetime) -> Iterator[dict]:
    for listing in ig_media(client, ig_user_id, start, end):
        yield _note(listing, "posts")
        for media in listing.get("data", []):
            insights, dropped = ig_media_insights(client, media["id"])
            if dropped:
                log.info("instagram media %s (%s/%s): dropped %s", media["id"], media.get("media_type"),
                         media.get("media_product_type"), sorted(dropped))
            yield _note(insights, "insights", media["id"], dropped=dropped)


def x_pages(client: XClient, user_id: str, start: datetime, end: datetime) -> Iterator[dict]:
    for listing in user_posts(client, user_id, start, end):
        yield _note(listing, "posts")
        for post in listing.get("data", []):
            for kind in ("like", "repost"):
                for users in engaged_users(client, post["id"], kind):
                    yield _note(users, kind, post["id"])


SOURCES = {"facebook": facebook_page_pages, "instagram": instagram_pages, "x": x_pages}


def extract_account(client: GraphClient | XClient, platform: str, account_id: str, ds: str, lookback_days: int,
                    lake_root: str, run_id: str) -> dict:
    """Pull one account's posts of the window and what hangs off them into the run's staging area."""
    if platform not in SOURCES:
        raise ValueError(f"unknown organic platform {platform!r}; one of {sorted(SOURCES)}")
    start, end = post_window(ds, lookback_days)
    log.info("%s %s: posts created %s..%s", platform, account_id, start.isoformat(), end.isoformat())
    pages = SOURCES[platform](client, account_id, start, end)
    return landing.stage_account(lake_root, platform, ENTITY, ds, run_id, account_id, pages,
                                 {"window": {"start": start.isoformat(), "end": end.isoformat()}})
