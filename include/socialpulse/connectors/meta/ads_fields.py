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
    "attribution_setting",
)

# Asked for explicitly, so that a change of Meta's defaults cannot change our counts unannounced:
# - actions broken down by action_type only (Meta's default; a wider breakdown splits and drops actions);
# - conversions counted in the windows of Meta's standard setting, 7 days after a click or 1 day after a view.
#   Each action then carries one value per window ("7d_click", "1d_view") beside "value", which follows each ad
#   set's own attribution setting (reported per row as attribution_setting); our count is the windows' sum.
#   (Meta stopped returning 7d_view and 28d_view on 2026-01-12.)
ACTION_BREAKDOWNS = ("action_type",)
ATTRIBUTION_WINDOWS = ("7d_click", "1d_view")

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
