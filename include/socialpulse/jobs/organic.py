"""Organic sources, one account per call: a Facebook Page, an Instagram account, an X user.

Each writes one raw stream per account: every API page as received, with a
`_request` note saying what it answers (the posts listing, or a post's
insights, comments or engaged users), so cleaning can put them back together.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from socialpulse import lake as lake_zone
from socialpulse.connectors.meta import GraphClient
from socialpulse.connectors.meta import facebook_fields as facebook
from socialpulse.connectors.meta import instagram_fields as instagram
from socialpulse.connectors.meta.organic import Refusals, ig_media, ig_stories, insights, page_posts, post_comments
from socialpulse.connectors.x import XClient, engaged_users, user_posts
from socialpulse.lake import files as lake_files
from socialpulse.pipeline import landing
from socialpulse.typing_aliases import JsonObject

if TYPE_CHECKING:
    from socialpulse.transforms.validation import Validated

ENTITY = "posts"
FIRST_RUN_LOOKBACK_DAYS = 90  # a new installation's first run reaches this far back, for profiles to learn from
log = logging.getLogger(__name__)


def post_window(ds: str, lookback_days: int) -> tuple[datetime, datetime]:
    """Posts created from `lookback_days` before the run's day to the end of it, in UTC."""
    end = datetime.combine(datetime.fromisoformat(ds).date() + timedelta(days=1), time(), UTC)
    return end - timedelta(days=lookback_days + 1), end


def lookback_for(lake: lake_zone.Lake, platform: str, ds: str, lookback_days: int, first_run_days: int) -> int:
    """The run's look-back: `first_run_days` when nothing of the platform landed before ds, else `lookback_days`.

    Engagement is only seen on the posts of the window, so a first run with the daily
    look-back would leave the audience models three months short of history.
    """

    earlier = [p for p in lake.raw_partitions(platform, ENTITY) if p.name.removeprefix("ds=") < ds]
    return lookback_days if earlier else max(lookback_days, first_run_days)


def _note(page: JsonObject, kind: str, parent_id: str | None = None, **extra: object) -> JsonObject:
    return {**page, "_request": {"kind": kind, "parent_id": parent_id, **extra}}


def facebook_page_pages(client: GraphClient, page_id: str, start: datetime, end: datetime) -> Iterator[JsonObject]:
    refusals = Refusals()
    for listing in page_posts(client, page_id, start, end):
        yield _note(listing, "posts")
        for post in listing.get("data", []):
            body, dropped = insights(client, post["id"], facebook.POST_METRICS, refusals, "facebook post")
            yield _note(body, "insights", post["id"], dropped=dropped, scope="facebook post")
            for comments in post_comments(client, post["id"]):
                yield _note(comments, "comments", post["id"])


def instagram_pages(client: GraphClient, ig_user_id: str, start: datetime, end: datetime) -> Iterator[JsonObject]:
    """Feed media and reels of the window, then the live stories posted in it, each with its insights."""
    refusals = Refusals()
    for edge, listings, metrics in (
        ("media", ig_media(client, ig_user_id, start, end), instagram.MEDIA_METRICS),
        ("stories", ig_stories(client, ig_user_id), instagram.STORY_METRICS),
    ):
        for listing in listings:
            yield _note(listing, "posts", edge=edge)
            for media in listing.get("data", []):  # every live story: cleaning keeps those of the window
                scope = f"instagram {media.get('media_type')}/{media.get('media_product_type')}"
                body, dropped = insights(client, media["id"], metrics, refusals, scope)
                if dropped:
                    log.info("instagram media %s (%s): dropped %s", media["id"], scope, sorted(dropped))
                yield _note(body, "insights", media["id"], dropped=dropped, scope=scope)


def x_pages(client: XClient, user_id: str, start: datetime, end: datetime) -> Iterator[JsonObject]:
    for listing in user_posts(client, user_id, start, end):
        yield _note(listing, "posts")
        for post in listing.get("data", []):
            for kind in ("like", "repost"):
                for users in engaged_users(client, post["id"], kind):
                    yield _note(users, kind, post["id"])


SOURCES = {"facebook": facebook_page_pages, "instagram": instagram_pages, "x": x_pages}


def failed_sources(expected: list[str], extracted: list[JsonObject]) -> list[str]:
    """'platform:account' of every expected source without an extract result."""
    done = {f"{e['platform']}:{e['account_id']}" for e in extracted}
    return [source for source in expected if source not in done]


def platforms_ready(expected: list[str], extracted: list[JsonObject]) -> tuple[list[str], list[str]]:
    """(platforms whose every account extracted, the failed 'platform:account' sources)."""
    failed = failed_sources(expected, extracted)
    platforms = sorted({s.split(":", 1)[0] for s in expected})
    return [p for p in platforms if not any(f.startswith(f"{p}:") for f in failed)], failed


def extract_account(
    client: GraphClient | XClient,
    platform: str,
    account_id: str,
    ds: str,
    lookback_days: int,
    lake: lake_zone.Lake,
    run_id: str,
    first_run_days: int = FIRST_RUN_LOOKBACK_DAYS,
) -> JsonObject:
    """Pull one account's posts of the window and what hangs off them into the run's staging area."""
    if platform not in SOURCES:
        raise ValueError(f"unknown organic platform {platform!r}; one of {sorted(SOURCES)}")
    lookback = lookback_for(lake, platform, ds, lookback_days, first_run_days)
    start, end = post_window(ds, lookback)
    log.info(
        "%s %s: posts created %s..%s%s",
        platform,
        account_id,
        start.isoformat(),
        end.isoformat(),
        "" if lookback == lookback_days else f" (first run: {lookback} days back)",
    )
    pages = SOURCES[platform](client, account_id, start, end)
    return landing.stage_account(
        lake,
        platform,
        ENTITY,
        ds,
        run_id,
        account_id,
        pages,
        {"window": {"start": start.isoformat(), "end": end.isoformat()}},
    )


def clean(lake: lake_zone.Lake, ds: str, platforms: list[str], secret: str) -> JsonObject:
    """Post metrics and pseudonymised engagement events of the landed platforms into the clean zone.

    The raw pages are read as a stream and the events written in parts (transforms.posts.PostCleaning):
    memory holds one part of EVENT_CHUNK_ROWS events, whatever the audience.
    """
    import itertools

    from socialpulse.errors import withholding_values
    from socialpulse.pipeline import quality
    from socialpulse.pipeline.pseudonyms import pseudonymizer
    from socialpulse.transforms.posts import EVENT_CHUNK_ROWS, PostCleaning

    partitions = [lake.raw_partition(p, ENTITY, ds) for p in platforms]
    missing = [str(p) for p in partitions if not lake_files.partition_exists(p)]
    if missing:
        raise FileNotFoundError(f"raw partitions missing: {missing}")
    cleanings: list[PostCleaning] = []

    def event_parts(erased: frozenset[str]) -> Iterator[Validated]:
        cleanings.append(PostCleaning(ds, pseudonyms, erased))
        pages = itertools.chain.from_iterable(lake_files.read_raw_pages(p) for p in partitions)
        return cleanings[-1].events(pages, EVENT_CHUNK_ROWS)

    with withholding_values(f"cleaning the posts and engagement of {ds}"):  # pages name people: say no value
        pseudonyms = pseudonymizer(lake, ds, secret)
        events = quality.publish_in_parts(lake, "engagement_events", ds, event_parts)
        cleaning = cleanings[-1]  # the pass that was published: one more when an erasure began meanwhile
        posts = cleaning.posts()
    stats = [quality.raw_stats(p) for p in partitions]
    source = {"pages": sum(s["pages"] or 0 for s in stats), "bytes": sum(s["bytes"] or 0 for s in stats)}
    audit = [quality.publish(lake, "post_metrics", ds, posts, source), events]
    if cleaning.repeated_pages:
        log.warning(
            "%d pages of engagement came again after other pages (a post listed twice): read once",
            cleaning.repeated_pages,
        )
    log.info(
        "clean: %d posts, %d engagement events from %d pages of %s",
        len(posts.clean),
        events["rows_clean"],
        cleaning.pages_read,
        platforms,
    )
    return {
        "clean_path": audit[0]["clean_path"],
        "events_path": audit[1]["clean_path"],
        "posts": len(posts.clean),
        "events": events["rows_clean"],
        "audit": audit,
        "refused": cleaning.refused,
    }


def load(conn: Any, lake: lake_zone.Lake, clean_path: str, run_id: str) -> JsonObject:
    """Upsert a day's post snapshots into post_metrics_daily."""
    from socialpulse.transforms.entities import POST_METRICS_DAILY
    from socialpulse.warehouse import upsert_frame

    result = upsert_frame(conn, POST_METRICS_DAILY, lake.read_day(clean_path), run_id)
    log.info(
        "post_metrics_daily: %d rows, %d inserted, %d updated, %d unchanged",
        result.rows,
        result.inserted,
        result.updated,
        result.unchanged,
    )
    return {"rows": result.rows, "inserted": result.inserted, "updated": result.updated}
