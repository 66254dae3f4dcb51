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
                {"action_type": "purchase", "value": "2"},
                {"action_type": "omni_purchase", "value": "2"},
                {"action_type": "offsite_conversion.fb_pixel_purchase", "value": "2"},
            ],
            "action_values": [
                {"action_type": "purchase", "value": "59.90"},
                {"action_type": "omni_purchase", "value": "59.90"},
                {"action_type": "offsite_conversion.fb_pixel_purchase", "value": "59.90"},
            ],
            "quality_ranking": "ABOVE_AVERAGE",
            "date_start": "2026-11-01",
            "date_stop": "2026-11-01",
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
