"""Deterministic X (Twitter) data: brand accounts' posts and the audience members who engage.

Who likes or reposts a post is drawn from the audience by engagement rate and
interest, so engagement events carry the planted segments. Counts accumulate
over two days after posting, as real public metrics do.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from socialpulse_dev.simulator.audience import DEFAULT_SIZE, TOPICS, Member
from socialpulse_dev.simulator.audience import engagers as audience_engagers
from socialpulse_dev.simulator.audience import visible_share as accumulated_share


@dataclass(frozen=True)
class XAccount:
    user_id: str
    username: str


X_ACCOUNTS: tuple[XAccount, ...] = (
    XAccount("1597000000000000001", "socialpulse_us"),
    XAccount("1597000000000000002", "socialpulse_jp"),
)


@dataclass(frozen=True)
class Post:
    id: str
    author_id: str
    text: str
    created_at: datetime
    topic: str


UNSHARED_SHARE = 0.3  # posts nobody reposts


def x_account(user_id: str) -> XAccount | None:
    return next((a for a in X_ACCOUNTS if a.user_id == user_id), None)


def posts_on(seed: int, account: XAccount, day: date) -> list[Post]:
    """The account's posts created on a UTC day, oldest first."""
    rng = random.Random(f"{seed}|x|{account.user_id}|{day.isoformat()}")
    start = datetime.combine(day, time(), UTC)
    stamps = sorted(rng.randrange(86_400) for _ in range(rng.randint(1, 4)))
    posts = []
    for index, second in enumerate(stamps):
        topic = rng.choice(TOPICS)
        post_id = f"{1_860_000_000_000_000_000 + day.toordinal() * 1_000 + int(account.user_id[-1]) * 10 + index}"
        posts.append(
            Post(
                post_id,
                account.user_id,
                f"New on #{topic}: {rng.choice(('deals', 'drops', 'stories'))}",
                start + timedelta(seconds=second),
                topic,
            )
        )
    return posts


def find_post(seed: int, post_id: str) -> Post | None:
    """A post by id (ids encode their day)."""
    try:
        day = date.fromordinal((int(post_id) - 1_860_000_000_000_000_000) // 1_000)
    except (ValueError, OverflowError):
        return None
    return next((p for a in X_ACCOUNTS for p in posts_on(seed, a, day) if p.id == post_id), None)


def engagers(seed: int, post_id: str, kind: str, size: int = DEFAULT_SIZE) -> tuple[Member, ...]:
    """Every member who will have liked ('like') or reposted ('repost') the post, in engagement order."""
    post = find_post(seed, post_id)
    if post is None:
        return ()
    if kind == "repost" and random.Random(f"{seed}|x-unshared|{post_id}").random() < UNSHARED_SHARE:
        return ()  # most posts are never reposted: retweeted_by then answers {"meta": {"result_count": 0}}
    return audience_engagers(seed, f"{post_id}|{kind}", post.topic, "x", 1.0 if kind == "like" else 0.15, size)


def visible_engagers(seed: int, post: Post, kind: str, as_of: datetime, size: int = DEFAULT_SIZE) -> tuple[Member, ...]:
    """The members whose like or repost of the post is visible at `as_of`."""
    members = engagers(seed, post.id, kind, size)
    return members[: int(len(members) * visible_share(post, as_of))]


def visible_share(post: Post, as_of: datetime) -> float:
    """Share of the post's final engagement visible at `as_of`."""
    return accumulated_share(post.created_at, as_of, at_posting=0.3)


def public_metrics(seed: int, post: Post, as_of: datetime, size: int = DEFAULT_SIZE) -> dict:
    share = visible_share(post, as_of)
    likes = int(len(engagers(seed, post.id, "like", size)) * share)
    reposts = int(len(engagers(seed, post.id, "repost", size)) * share)
    rng = random.Random(f"{seed}|x-metrics|{post.id}")
    return {
        "retweet_count": reposts,
        "reply_count": int(likes * rng.uniform(0.02, 0.1)),
        "like_count": likes,
        "quote_count": int(reposts * rng.uniform(0.05, 0.3)),
        "bookmark_count": int(likes * 0.05),
        "impression_count": int(likes / rng.uniform(0.01, 0.04)) if likes else int(share * 200),
    }
