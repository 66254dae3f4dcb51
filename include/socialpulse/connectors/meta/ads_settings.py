"""Field lists and action types of the Meta Marketing API ads insights we pull (the ads platform's settings)."""

INSIGHTS_FIELDS = (
    "account_id",
    "account_currency",
    "campaign_id",
    "campaign_name",
    "impressions",
    "reach",
    "clicks",
    "spend",
    "actions",
    "action_values",
    "date_start",
    "date_stop",
)

# Meta reports one purchase under several overlapping action types; the first
# present in this order is the count, so a purchase is counted once.
PURCHASE_ACTION_PRIORITY = ("omni_purchase", "purchase", "offsite_conversion.fb_pixel_purchase")

# action_type -> clean column.
ACTION_COLUMNS = {
    "link_click": "link_clicks",
    "landing_page_view": "landing_page_views",
    "post_reaction": "likes",
    "comment": "comments",
    "post": "shares",
}

DEFAULT_PAGE_LIMIT = 500
