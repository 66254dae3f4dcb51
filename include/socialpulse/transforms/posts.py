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
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import cast

import pandas as pd

from socialpulse.connectors.meta.facebook_fields import METRIC_COLUMNS as FACEBOOK_METRIC_COLUMNS
from socialpulse.connectors.meta.organic import insight_values
from socialpulse.transforms.entities import ENGAGEMENT_EVENTS, POST_METRICS
from socialpulse.transforms.privacy import Pseudonymizer, drop_erased, pseudonymize_text_ids, redact
from socialpulse.transforms.topics import topic_of
from socialpulse.transforms.validation import Validated, combined, page_rows, validate
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


EVENT_CHUNK_ROWS = 250_000  # engagement events held, validated and written at a time: what bounds the memory


class PostCleaning:
    """One pass over a day's raw organic pages, in the order they landed.

    Engagement events come out in chunks of about `chunk_rows` while the pages are read, so
    a million people's day is never held at once; each chunk ends where a post's pages end,
    as the pages of one post land together, so no key spans two chunks and each chunk's
    deduplication is the day's. A post's engagement fetched again after other pages (a post
    the listing gave twice) is read the first time only, whatever the chunk size. A post's
    metrics need every page of it (its listing, insights and comment count), which are few:
    they are kept and cleaned once the pass is done.
    """

    def __init__(self, ds: str, pseudonymizer: Pseudonymizer, erased: frozenset[str] = frozenset()) -> None:
        self.ds, self.pseudonymizer, self.erased = ds, pseudonymizer, erased
        self._posts: dict[tuple[str, str], tuple[JsonObject, JsonObject]] = {}
        self._insights: dict[tuple[str, str | None], dict[str, object]] = {}  # a request's parent_id may be missing
        self._comment_totals: dict[tuple[str, str | None], int] = {}  # the edge's summary.total_count
        self._comments_paged: dict[tuple[str, str | None], int] = {}
        self._shapeless: list[JsonObject] = []
        self.refused: dict[str, str] = {}  # refused_metrics of the pages read
        self.pages_read = 0
        self.repeated_pages = 0  # of a post's engagement fetched again after other pages: skipped
        self._done = False

    def events(
        self, pages: Iterable[tuple[JsonObject, JsonObject]], chunk_rows: int = EVENT_CHUNK_ROWS
    ) -> Iterator[Validated]:
        """The engagement events of the pages, validated, a chunk at a time (posts() once this is exhausted)."""
        buffered: list[JsonObject] = []
        current: tuple[str, object, object] | None = None  # the (platform, kind, post) whose pages are being read
        finished: set[tuple[str, object, object]] = set()  # engagement of a post whose pages came and went
        for manifest, page in pages:
            self.pages_read += 1
            platform, request = manifest["platform"], (page.get("_request") if isinstance(page, dict) else None) or {}
            kind, parent = request.get("kind"), request.get("parent_id")
            if current is not None and (platform, kind, parent) != current and current[1] in EVENT_KIND_OF_REQUEST:
                finished.add(current)
            if (platform, kind, parent) in finished:  # fetched again (a post listed twice): read once, the first time
                self.repeated_pages += 1
                continue
            if len(buffered) >= chunk_rows and (platform, kind, parent) != current:
                yield clean_events(
                    pd.DataFrame(buffered, columns=list(RAW_EVENT_COLUMNS)), self.pseudonymizer, self.erased
                )
                buffered = []
            current = (platform, kind, parent)
            buffered.extend(self._read(manifest, page, platform, request))
        yield clean_events(pd.DataFrame(buffered, columns=list(RAW_EVENT_COLUMNS)), self.pseudonymizer, self.erased)
        self._done = True

    def _read(self, manifest: JsonObject, page: JsonObject, platform: str, request: JsonObject) -> list[JsonObject]:
        """Keep what a post's metrics need from one page; return its raw engagement events."""
        kind, parent = request.get("kind"), request.get("parent_id")
        self.refused |= refused_metrics([(manifest, page)])
        rows, problem = page_rows(page)
        if problem:
            self._shapeless.append(
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
                self._posts[(platform, str(post.get("id")))] = (manifest, post)
        elif kind == "insights":
            self._insights[(platform, parent)] = insight_values(page)
        elif kind in EVENT_KIND_OF_REQUEST:
            if kind == "comments":
                key = (platform, parent)
                summary = page.get("summary")
                if isinstance(summary, dict) and isinstance(summary.get("total_count"), int):
                    self._comment_totals[key] = max(self._comment_totals.get(key, 0), summary["total_count"])
                self._comments_paged[key] = self._comments_paged.get(key, 0) + len(rows)
            return [
                {
                    "platform": platform,
                    "post_id": parent,
                    "user_id": _engaged_user(item, kind),
                    "kind": EVENT_KIND_OF_REQUEST[kind],
                    "extracted_at": manifest["extracted_at"],
                }
                for item in rows
            ]
        return []

    def posts(self) -> Validated:
        """The post metrics of every post read, with their quarantine."""
        if not self._done:
            raise RuntimeError("PostCleaning.posts() needs every page: exhaust events() first")
        comments = {**self._comments_paged, **self._comment_totals}  # the edge's count, else the comments paged
        rows = [
            {
                "metric_date": self.ds,
                "platform": platform,
                "account_id": manifest["account_id"],
                "post_id": post.get("id"),
                "extracted_at": manifest["extracted_at"],
                **dict.fromkeys(METRIC_COLUMNS),
                **UNIFY[platform](
                    post, self._insights.get((platform, post_id), {}), int(comments.get((platform, post_id), 0))
                ),
                "_original": json.dumps(redact(post), default=str)[:20_000],
                "_problem": "",
            }
            for (platform, post_id), (manifest, post) in self._posts.items()
        ]
        frame = pd.DataFrame([*rows, *self._shapeless], columns=[*POST_METRICS.input_names, "_original", "_problem"])
        result = validate(frame, POST_METRICS, frame.pop("_problem"))
        clean = result.clean
        engaged = clean[["likes", "comments", "shares"]].astype("Float64").sum(axis=1, min_count=1)
        base = clean["impressions"].astype("Float64").fillna(clean["reach"].astype("Float64"))
        clean["engagement_rate"] = (engaged / base.where(base != 0)).astype("Float64")
        texts = {
            key: next((post[f] for f in TEXT_FIELDS if isinstance(post.get(f), str)), None)
            for key, (_, post) in self._posts.items()
        }
        clean["topic"] = [topic_of(texts.get((p, i))) for p, i in zip(clean["platform"], clean["post_id"], strict=True)]
        return replace(result, clean=clean[list(POST_COLUMNS)])


def clean_posts(
    pages: Iterable[tuple[JsonObject, JsonObject]],
    ds: str,
    pseudonymizer: Pseudonymizer,
    erased: frozenset[str] = frozenset(),
) -> tuple[Validated, Validated]:
    """(post metrics, engagement events), each with its quarantine, from (manifest, page) pairs, all at once."""
    cleaning = PostCleaning(ds, pseudonymizer, erased)
    events = combined(list(cleaning.events(pages)))
    return cleaning.posts(), events


def clean_events(events: pd.DataFrame, pseudonymizer: Pseudonymizer, erased: frozenset[str] = frozenset()) -> Validated:
    """Validated, deduplicated engagement events (RAW_EVENT_COLUMNS) with user_id replaced by person_id.

    Ids are pseudonymised before validation, so a quarantined event holds no raw id either.
    """
    events = events.assign(user_id=pseudonymize_text_ids(pseudonymizer, events["platform"], events["user_id"]))
    events = events.rename(columns={"user_id": "person_id"})
    events, _ = drop_erased(events, erased)  # before validation: no erased person reaches quarantine
    return validate(events, ENGAGEMENT_EVENTS)
