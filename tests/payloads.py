"""Payloads shaped exactly like Meta's documented examples (Insights API reference)."""

INSIGHTS_PAGE = {
    "data": [
        {
            "account_id": "1001",
            "account_currency": "USD",
            "campaign_id": "23843xxxxxx001",
            "campaign_name": "Spring Sale",
            "impressions": "2466",
            "reach": "1980",
            "clicks": "51",
            "spend": "18.37",
            "actions": [
                {"action_type": "comment", "value": "1"},
                {"action_type": "link_click", "value": "40"},
                {"action_type": "landing_page_view", "value": "31"},
                {"action_type": "post_engagement", "value": "77"},
                {"action_type": "post_reaction", "value": "22"},
                {"action_type": "post", "value": "3"},
                # the windows asked for (action_attribution_windows); a window with none is left out
                {"action_type": "purchase", "value": "2", "7d_click": "2"},
                {"action_type": "omni_purchase", "value": "2", "7d_click": "2"},
                {"action_type": "offsite_conversion.fb_pixel_purchase", "value": "2", "7d_click": "2"},
            ],
            "action_values": [
                {"action_type": "purchase", "value": "59.90", "7d_click": "59.90"},
                {"action_type": "omni_purchase", "value": "59.90", "7d_click": "59.90"},
                {"action_type": "offsite_conversion.fb_pixel_purchase", "value": "59.90", "7d_click": "59.90"},
            ],
            "quality_ranking": "ABOVE_AVERAGE",
            "date_start": "2026-11-01",
            "date_stop": "2026-11-01",
            "attribution_setting": "7d_click_1d_view",
        },
        {
            "account_id": "1001",
            "account_currency": "USD",
            "campaign_id": "23843xxxxxx002",
            "campaign_name": "Retargeting",
            "impressions": "800",
            "clicks": "0",
            "spend": "0",
            "date_start": "2026-11-01",
            "date_stop": "2026-11-01",
            "attribution_setting": "7d_click_1d_view",
        },
    ],
    "paging": {
        "cursors": {"before": "MAZDZD", "after": "MQZDZD"},
        "next": "https://graph.facebook.com/v21.0/act_1001/insights?access_token=EAAB-secret-token"
        "&fields=impressions&limit=25&after=MQZDZD",
    },
}

THROTTLE_80000 = {
    "error": {
        "message": "There have been too many calls from this ad-account. Wait a bit and try again.",
        "type": "OAuthException",
        "code": 80000,
        "error_subcode": 2446079,
        "fbtrace_id": "AbCdEfGh123",
    }
}

EXPIRED_TOKEN = {
    "error": {
        "message": "Error validating access token: Session has expired on Friday, 27-Nov-26 10:00:00 PST.",
        "type": "OAuthException",
        "code": 190,
        "error_subcode": 463,
        "fbtrace_id": "H2il2t5bn4e",
    }
}

REDUCE_DATA = {
    "error": {
        "message": "Please reduce the amount of data you're asking for, then retry your request",
        "code": 1,
        "type": "OAuthException",
        "fbtrace_id": "Cz1x9",
    }
}

# Graph API: GET /{page-id}/posts?fields=...,shares, /{post-id}/insights, /{post-id}/comments?summary=true
# (Pages API reference shapes). `shares` is {"count": n}, left out of a post nobody shared. The views
# metrics replace impressions: "we're deprecating the impressions metric. This metric will be replaced by
# the views metric on all API versions" (Page Insights API updates, 15 August 2025); deprecated-metrics page:
# "post_impressions (Alternative: post_media_view)", "post_impressions_unique (Alternative:
# post_total_media_view_unique)".
PAGE_POSTS = {
    "data": [
        {
            "id": "110000000000001_7399150",
            "message": "Our picks",
            "permalink_url": "https://www.facebook.com/110000000000001_7399150",
            "created_time": "2026-10-26T07:46:55+0000",
            "shares": {"count": 12},
        },
        {
            "id": "110000000000001_7399151",
            "message": "Nobody shared this",
            "permalink_url": "https://www.facebook.com/110000000000001_7399151",
            "created_time": "2026-10-26T09:00:00+0000",
        },
    ],
    "paging": {"cursors": {"before": "QVFI", "after": "QVFJ"}},
}
PAGE_POST_INSIGHTS = {
    "data": [
        {
            "name": "post_media_view",
            "period": "lifetime",
            "values": [{"value": 7396}],
            "title": "Lifetime Post Media Views",
            "description": "Lifetime: The number of times your post was on screen.",
            "id": "110000000000001_7399150/insights/post_media_view/lifetime",
        },
        {
            "name": "post_total_media_view_unique",
            "period": "lifetime",
            "values": [{"value": 5283}],
            "id": "110000000000001_7399150/insights/post_total_media_view_unique/lifetime",
        },
        {
            "name": "post_clicks",
            "period": "lifetime",
            "values": [{"value": 105}],
            "id": "110000000000001_7399150/insights/post_clicks/lifetime",
        },
        {
            "name": "post_reactions_by_type_total",
            "period": "lifetime",
            "values": [{"value": {"like": 150, "love": 7}}],
            "id": "110000000000001_7399150/insights/post_reactions_by_type_total/lifetime",
        },
    ]
}
# Comments with summary=true&filter=stream: "if filter is stream then total_count will be a count of all
# comments (including replies)". A Person commented twice: 3 comments, 2 commenters (the page shows 3 of 11).
POST_COMMENTS = {
    "data": [
        {
            "id": "7399150_1",
            "from": {"name": "A Person", "id": "7000000010579784"},
            "message": "Where can I buy this?",
            "created_time": "2026-10-26T08:46:55+0000",
        },
        {
            "id": "7399150_2",
            "from": {"name": "B Person", "id": "7000000029506194"},
            "message": "Love it",
            "created_time": "2026-10-26T09:00:00+0000",
        },
        {
            "id": "7399150_3",
            "from": {"name": "A Person", "id": "7000000010579784"},
            "message": "Found it, thanks",
            "created_time": "2026-10-26T09:30:00+0000",
        },
    ],
    "summary": {"order": "chronological", "total_count": 11, "can_comment": True},
    "paging": {"cursors": {"before": "MQ", "after": "Mg"}},
}
# The deprecated metrics, asked for anyway: Meta's answer names none.
INVALID_INSIGHTS_METRIC = {
    "error": {
        "message": "(#100) The value must be a valid insights metric",
        "type": "OAuthException",
        "code": 100,
        "fbtrace_id": "AbC1",
    }
}

# Instagram Graph: GET /{ig-user-id}/media, /{ig-user-id}/stories ("Stories are only available for 24
# hours") and /{media-id}/insights.
IG_MEDIA = {
    "data": [
        {
            "id": "179000017399251",
            "caption": "#food",
            "media_type": "CAROUSEL_ALBUM",
            "media_product_type": "FEED",
            "timestamp": "2026-11-01T07:13:12+0000",
            "permalink": "https://www.instagram.com/p/x/",
            "like_count": 57,
            "comments_count": 9,
        }
    ]
}
IG_INSIGHTS_WITHOUT_VIEWS = {
    "data": [
        {
            "name": "reach",
            "period": "lifetime",
            "values": [{"value": 1140}],
            "id": "179000017399251/insights/reach/lifetime",
        },
        {
            "name": "likes",
            "period": "lifetime",
            "values": [{"value": 57}],
            "id": "179000017399251/insights/likes/lifetime",
        },
        {"name": "comments", "period": "lifetime", "values": [{"value": 9}]},
        {"name": "saved", "period": "lifetime", "values": [{"value": 4}]},
        {"name": "shares", "period": "lifetime", "values": [{"value": 2}]},
    ]
}
IG_STORIES = {
    "data": [
        {
            "id": "179000017399300",
            "caption": "#travel",
            "media_type": "IMAGE",
            "media_product_type": "STORY",
            "timestamp": "2026-11-02T18:00:00+0000",
            "permalink": "https://www.instagram.com/stories/x/179000017399300/",
        }
    ]
}
IG_STORY_INSIGHTS = {
    "data": [
        {"name": "reach", "period": "lifetime", "values": [{"value": 640}]},
        {"name": "views", "period": "lifetime", "values": [{"value": 910}]},
        {"name": "replies", "period": "lifetime", "values": [{"value": 6}]},
        {"name": "shares", "period": "lifetime", "values": [{"value": 3}]},
        {"name": "navigation", "period": "lifetime", "values": [{"value": 1200}]},
    ]
}
NOT_ENOUGH_VIEWERS = {
    "error": {
        "message": "(#10) Not enough viewers for the media to show insights",
        "type": "OAuthException",
        "code": 10,
        "error_subcode": 2108006,
        "fbtrace_id": "AbC2",
    }
}

# X API v2: GET /2/users/:id/tweets with tweet.fields=created_at,public_metrics, and /2/tweets/:id/liking_users.
X_TWEETS = {
    "data": [
        {
            "id": "1860000000739922011",
            "text": "New on #fashion",
            "edit_history_tweet_ids": ["1860000000739922011"],
            "created_at": "2026-11-02T06:39:13.000Z",
            "public_metrics": {
                "retweet_count": 23,
                "reply_count": 16,
                "like_count": 201,
                "quote_count": 5,
                "bookmark_count": 10,
                "impression_count": 6585,
            },
        }
    ],
    "meta": {"result_count": 1, "newest_id": "1860000000739922011", "oldest_id": "1860000000739922011"},
}
X_LIKING_USERS = {
    "data": [
        {"id": "12162674785", "name": "User 000695", "username": "user000695"},
        {"id": "53757702803", "name": "User 003381", "username": "user003381"},
    ],
    "meta": {"result_count": 2},
}


def insights(pages, reporting: str = "USD"):
    """(clean, quarantined) campaign rows of (manifest, page) pairs, converted with the simulator's rates."""
    from socialpulse.transforms.meta_ads import clean_insights
    from socialpulse_dev.simulator.fx_rates import simulated_rates

    result = clean_insights(pages, simulated_rates(), reporting)
    return result.clean, result.quarantined


# X API v2 leaves `data` out when there is nothing to return: a post nobody liked or reposted, or a
# user with no posts in the window, answers only the count (as X's own clients handle it, e.g.
# twarc's "can return without 'data' if there are no results").
X_EMPTY = {"meta": {"result_count": 0}}
# Graph API edges with nothing on them answer an empty list, without paging.
GRAPH_EMPTY = {"data": []}
