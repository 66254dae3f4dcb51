"""Post metrics unified across platforms, from payloads shaped like the documented examples."""

import pandas as pd
import pytest

from socialpulse.transforms.posts import POST_COLUMNS, PostCleaning, clean_posts, refused_metrics
from socialpulse.transforms.privacy import Pseudonymizer, erasure_digest
from tests.payloads import (
    GRAPH_EMPTY,
    IG_INSIGHTS_WITHOUT_VIEWS,
    IG_MEDIA,
    IG_STORIES,
    IG_STORY_INSIGHTS,
    PAGE_POST_INSIGHTS,
    PAGE_POSTS,
    POST_COMMENTS,
    X_EMPTY,
    X_LIKING_USERS,
    X_TWEETS,
)

AT = "2026-11-02T06:00:00+00:00"
PSEUDONYMIZER = Pseudonymizer("k" * 32, {"x:12162674785": "u1", "facebook:7000000010579784": "u1"})


def clean(pages, ds="2026-11-02", erased=frozenset()):
    return clean_posts(pages, ds, PSEUDONYMIZER, erased)


def manifest(platform: str, account: str) -> dict:
    return {"platform": platform, "account_id": account, "extracted_at": AT}


def note(page: dict, kind: str, parent: str | None = None) -> dict:
    return {**page, "_request": {"kind": kind, "parent_id": parent}}


def lines() -> list[tuple[dict, dict]]:
    fb, ig, x = (
        manifest("facebook", "110000000000001"),
        manifest("instagram", "17841400000000001"),
        manifest("x", "1597000000000000001"),
    )
    post, media, tweet = "110000000000001_7399150", "179000017399251", "1860000000739922011"
    return [
        (fb, note(PAGE_POSTS, "posts")),
        (fb, note(PAGE_POST_INSIGHTS, "insights", post)),
        (fb, note(POST_COMMENTS, "comments", post)),
        (ig, note(IG_MEDIA, "posts")),
        (ig, note(IG_INSIGHTS_WITHOUT_VIEWS, "insights", media)),
        (x, note(X_TWEETS, "posts")),
        (x, note(X_LIKING_USERS, "like", tweet)),
    ]


def test_events_come_in_parts_that_end_where_a_posts_pages_end():
    """A part closes once it holds chunk_rows events, but only between two posts' pages: a post's repeated
    engagement, on two of its pages, is deduplicated as it would be with the day held whole."""
    landed = lines()
    pages = [*landed[:3], landed[2], *landed[3:], landed[-1]]  # a second page of each post repeats the first
    whole_posts, whole = clean(pages)
    cleaning = PostCleaning("2026-11-02", PSEUDONYMIZER)
    parts = list(cleaning.events(pages, chunk_rows=1))
    assert [p.rows_in for p in parts] == [6, 4]  # the Page post's two pages of comments, the X post's of likes
    assert sum(p.duplicates_dropped for p in parts) == whole.duplicates_dropped > 0
    assert (
        pd.concat([p.clean for p in parts])
        .sort_values(["post_id", "person_id"])
        .reset_index(drop=True)
        .equals(whole.clean.sort_values(["post_id", "person_id"]).reset_index(drop=True))
    )
    pd.testing.assert_frame_equal(cleaning.posts().clean, whole_posts.clean)
    assert cleaning.pages_read == len(pages)


def test_a_posts_engagement_fetched_again_after_other_pages_is_read_once_whatever_the_part_size():
    """A post the listing gave twice has its comments fetched twice, apart: parts could split the two fetches."""
    landed = lines()
    pages = [*landed, landed[2]]  # the Page post's comments again, after the X post's likes
    results = []
    for chunk_rows in (1, 1_000_000):
        cleaning = PostCleaning("2026-11-02", PSEUDONYMIZER)
        parts = list(cleaning.events(pages, chunk_rows))
        results.append((sum(p.rows_in for p in parts), sum(len(p.clean) for p in parts), cleaning.repeated_pages))
    _, once = clean(landed)
    assert results[0] == results[1] == (once.rows_in, len(once.clean), 1)


def test_a_posts_metrics_wait_for_every_page():
    cleaning = PostCleaning("2026-11-02", PSEUDONYMIZER)
    with pytest.raises(RuntimeError, match="exhaust events"):
        cleaning.posts()


def by_platform() -> dict[str, pd.Series]:
    posts, _ = clean(lines())
    return {row.platform: row for _, row in posts.clean.iterrows()}


def test_one_row_per_post_with_the_unified_columns():
    posts, events = clean(lines())
    assert list(posts.clean.columns) == list(POST_COLUMNS) and len(posts.clean) == 4
    assert len(posts.quarantined) == 0 and len(events.quarantined) == 0
    assert str(posts.clean.created_at.dt.tz) == "UTC"


def facebook_posts() -> dict[str, pd.Series]:
    posts, _ = clean(lines())
    return {row.post_id: row for _, row in posts.clean[posts.clean.platform == "facebook"].iterrows()}


def test_facebook_views_reactions_comments_and_shares_are_what_the_payloads_say():
    fb = facebook_posts()["110000000000001_7399150"]
    assert (fb.impressions, fb.reach, fb.clicks, fb.likes) == (7396, 5283, 105, 157)  # views, unique views
    assert fb.comments == 11  # summary.total_count: every comment, not the 2 commenters of the page
    assert fb.shares == 12 and fb.engagement_rate == pytest.approx((157 + 11 + 12) / 7396)
    assert str(fb.created_at) == "2026-10-26 07:46:55+00:00"


def test_a_facebook_post_without_shares_was_shared_zero_times():
    assert facebook_posts()["110000000000001_7399151"].shares == 0  # Graph leaves `shares` out then


def test_without_a_summary_the_comments_paged_are_counted():
    fb, post = manifest("facebook", "110000000000001"), "110000000000001_7399150"
    unsummed = {k: v for k, v in POST_COMMENTS.items() if k != "summary"}
    posts, _ = clean(
        [
            (fb, note(PAGE_POSTS, "posts")),
            (fb, note(unsummed, "comments", post)),
            (fb, note(unsummed, "comments", post)),
        ]
    )  # two pages of the same post
    assert posts.clean.set_index("post_id").loc[post, "comments"] == 6


def test_instagram_without_views_falls_back_to_reach():
    ig = by_platform()["instagram"]
    assert pd.isna(ig.impressions) and (ig.reach, ig.likes, ig.comments, ig.shares, ig.saves) == (1140, 57, 9, 2, 4)
    assert ig.engagement_rate == pytest.approx((57 + 9 + 2) / 1140)


def test_x_replies_are_comments_and_reposts_plus_quotes_are_shares():
    x = by_platform()["x"]
    assert (x.impressions, x.likes, x.comments, x.shares, x.saves) == (6585, 201, 16, 28, 10)


def test_engagement_events_one_per_post_person_kind_under_pseudonyms():
    _, events = clean(lines() + lines()[-1:])  # a repeated page adds nothing
    assert events.duplicates_dropped == 3  # the second comment of A Person, the two likes of the repeated page
    person = PSEUDONYMIZER.token("crm", "u1")  # the CRM links this Facebook and this X id to u1
    assert sorted(zip(events.clean.platform, events.clean.kind, events.clean.person_id, strict=True)) == sorted(
        [
            ("facebook", "comment", person),
            ("facebook", "comment", PSEUDONYMIZER.token("facebook", "7000000029506194")),
            ("x", "like", person),
            ("x", "like", PSEUDONYMIZER.token("x", "53757702803")),
        ]
    )


def test_an_instagram_story_lands_with_its_metrics_and_one_a_day_past_the_window_does_not():
    ig = {
        **manifest("instagram", "17841400000000001"),
        "window": {"start": "2026-10-26T00:00:00+00:00", "end": "2026-11-03T00:00:00+00:00"},
    }
    later = {
        "data": [
            {**IG_STORIES["data"][0], "id": "179000017399301", "timestamp": "2026-11-04T01:00:00+0000"},
            {**IG_STORIES["data"][0], "id": "179000017399302", "timestamp": "2026-11-03T01:00:00+0000"},
        ]
    }
    posts, _ = clean(
        [
            (ig, note(IG_STORIES, "posts") | {"_request": {"kind": "posts", "edge": "stories"}}),
            (ig, note(IG_STORY_INSIGHTS, "insights", "179000017399300")),
            (ig, note(later, "posts") | {"_request": {"kind": "posts", "edge": "stories"}}),
        ]
    )
    story = posts.clean.set_index("post_id").loc["179000017399300"]
    assert (story.impressions, story.reach, story.comments, story.shares) == (910, 640, 6, 3)  # replies: comments
    # posted in the run's last hours but after midnight: kept (it is gone by the next run); a day later: not
    assert sorted(posts.clean.post_id) == ["179000017399300", "179000017399302"]


def test_metrics_meta_refused_are_named_for_the_findings():
    fb = manifest("facebook", "110000000000001")
    dropped = {
        "post_impressions": "(#100) The value must be a valid insights metric",
        "reach": "(#10) Not enough viewers for the media to show insights",
    }
    page = {"data": [], "_request": {"kind": "insights", "parent_id": "p", "dropped": dropped}}
    assert refused_metrics([(fb, page)]) == {"facebook: post_impressions": dropped["post_impressions"]}
    scoped = {**page, "_request": {**page["_request"], "scope": "facebook post"}}
    assert list(refused_metrics([(fb, scoped)])) == ["facebook post: post_impressions"]


def test_erased_people_are_left_out():
    person = PSEUDONYMIZER.token("crm", "u1")
    _, events = clean(lines(), erased=frozenset({erasure_digest(person)}))  # the suppression list: digests
    assert len(events.clean) == 2 and person not in set(events.clean.person_id)


def test_names_and_comment_texts_stay_in_the_raw_zone():
    shapeless = note({"data": "oops", "from": {"name": "Ava Q"}, "message": "Call me"}, "comments", "p")
    posts, events = clean([*lines(), (manifest("facebook", "1"), shapeless)])
    text = posts.clean.to_csv() + events.clean.to_csv() + posts.quarantined.to_csv() + events.quarantined.to_csv()
    for comment in POST_COMMENTS["data"]:
        assert comment["from"]["name"] not in text and comment["message"] not in text
        assert comment["from"]["id"] not in text
    assert "Ava Q" not in text and "Call me" not in text and "<redacted>" in text


def test_a_post_without_creation_time_is_quarantined():
    broken = {"data": [{"id": "110000000000001_1", "message": "no time"}]}
    posts, _ = clean([(manifest("facebook", "1"), note(broken, "posts"))])
    assert len(posts.clean) == 0 and list(posts.quarantined.reason) == ["created_at missing"]


def test_a_page_of_the_wrong_shape_is_quarantined_whole():
    posts, _ = clean([(manifest("x", "1"), note({"data": {"id": "1"}}, "posts"))])
    assert list(posts.quarantined.reason) == ["posts page has no data list (data is dict)"]


@pytest.mark.parametrize(("platform", "kind"), [("x", "posts"), ("x", "like"), ("x", "repost")])
def test_an_x_page_without_data_is_an_empty_page_not_a_broken_one(platform, kind):
    x = manifest("x", "1597000000000000001")
    parent = None if kind == "posts" else "1860000000739922011"
    posts, events = clean([(x, note(X_TWEETS, "posts")), (x, note(X_EMPTY, kind, parent))])
    assert len(posts.quarantined) == 0 and len(events.quarantined) == 0
    assert len(posts.clean) == 1  # the listing's one post; the empty page adds nothing and breaks nothing


@pytest.mark.parametrize("kind", ["posts", "insights", "comments"])
def test_an_empty_graph_edge_is_an_empty_page(kind):
    fb = manifest("facebook", "110000000000001")
    parent = None if kind == "posts" else "110000000000001_7399150"
    posts, events = clean([(fb, note(PAGE_POSTS, "posts")), (fb, note(GRAPH_EMPTY, kind, parent))])
    assert len(posts.quarantined) == 0 and len(events.quarantined) == 0
    assert len(posts.clean) == len(PAGE_POSTS["data"])  # the listing's posts; the empty page adds nothing


def test_a_page_that_is_neither_is_still_quarantined():
    x = manifest("x", "1597000000000000001")
    posts, _ = clean([(x, note({"meta": {"result_count": 3}}, "posts"))])
    assert list(posts.quarantined["reason"]) == ["posts page has no data field (fields: ['_request', 'meta'])"]
