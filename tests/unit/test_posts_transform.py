"""Post metrics unified across platforms, from payloads shaped like the documented examples."""

import pandas as pd
import pytest

from socialpulse.transforms.posts import POST_COLUMNS, clean_posts
from tests.payloads import (
    IG_INSIGHTS_WITHOUT_VIEWS,
    IG_MEDIA,
    PAGE_POST_INSIGHTS,
    PAGE_POSTS,
    POST_COMMENTS,
    X_LIKING_USERS,
    X_TWEETS,
)

AT = "2026-11-02T06:00:00+00:00"


def manifest(platform: str, account: str) -> dict:
    return {"platform": platform, "account_id": account, "extracted_at": AT}


def note(page: dict, kind: str, parent: str | None = None) -> dict:
    return {**page, "_request": {"kind": kind, "parent_id": parent}}


def lines() -> list[tuple[dict, dict]]:
    fb, ig, x = manifest("facebook", "110000000000001"), manifest("instagram", "17841400000000001"), \
        manifest("x", "1597000000000000001")
    post, media, tweet = "110000000000001_7399150", "179000017399251", "1860000000739922011"
    return [(fb, note(PAGE_POSTS, "posts")), (fb, note(PAGE_POST_INSIGHTS, "insights", post)),
            (fb, note(POST_COMMENTS, "comments", post)),
            (ig, note(IG_MEDIA, "posts")), (ig, note(IG_INSIGHTS_WITHOUT_VIEWS, "insights", media)),
            (x, note(X_TWEETS, "posts")), (x, note(X_LIKING_USERS, "like", tweet))]


def by_platform() -> dict[str, pd.Series]:
    posts, _, _ = clean_posts(lines(), "2026-11-02")
    return {row.platform: row for _, row in posts.iterrows()}


def test_one_row_per_post_with_the_unified_columns():
    posts, _, quarantined = clean_posts(lines(), "2026-11-02")
    assert list(posts.columns) == list(POST_COLUMNS) and len(posts) == 3 and len(quarantined) == 0
    assert str(posts.created_at.dt.tz) == "UTC"


def test_facebook_reactions_are_likes_and_comments_are_counted():
    fb = by_platform()["facebook"]
    assert (fb.impressions, fb.reach, fb.clicks, fb.likes, fb.comments) == (7396, 5283, 105, 157, 2)
    assert pd.isna(fb.shares) and fb.engagement_rate == pytest.approx((157 + 2) / 7396)
    assert str(fb.created_at) == "2026-10-26 07:46:55+00:00"


def test_instagram_without_views_falls_back_to_reach():
    ig = by_platform()["instagram"]
    assert pd.isna(ig.impressions) and (ig.reach, ig.likes, ig.comments, ig.shares, ig.saves) == (1140, 57, 9, 2, 4)
    assert ig.engagement_rate == pytest.approx((57 + 9 + 2) / 1140)


def test_x_replies_are_comments_and_reposts_plus_quotes_are_shares():
    x = by_platform()["x"]
    assert (x.impressions, x.likes, x.comments, x.shares, x.saves) == (6585, 201, 16, 28, 10)


def test_engagement_events_one_per_post_user_kind():
    _, events, _ = clean_posts(lines() + lines()[-1:], "2026-11-02")  # a repeated page adds nothing
    assert sorted(zip(events.platform, events.kind, events.user_id, strict=True)) == [
        ("facebook", "comment", "7000000010579784"), ("facebook", "comment", "7000000029506194"),
        ("x", "like", "12162674785"), ("x", "like", "53757702803")]


def test_a_post_without_creation_time_is_quarantined():
    broken = {"data": [{"id": "110000000000001_1", "message": "no time"}]}
    posts, _, quarantined = clean_posts([(manifest("facebook", "1"), note(broken, "posts"))], "2026-11-02")
    assert len(posts) == 0 and list(quarantined.reason) == ["post without id or creation time"]
