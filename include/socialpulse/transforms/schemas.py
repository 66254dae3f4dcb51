"""The declared schema of every clean entity: types, required fields, ranges, allowed values, meaning.

Time columns say which clock they are on: a `metric_date` is the platform's
report day in the account's own timezone, never shifted; a `*_at` column is an
instant in UTC.
"""

from __future__ import annotations

from socialpulse.connectors.meta.settings import ACTION_COLUMNS
from socialpulse.transforms.normalize import GENDERS, country_codes
from socialpulse.transforms.validation import Field, Schema

PLATFORMS = frozenset({"facebook", "instagram", "x"})
EVENT_KINDS = frozenset({"comment", "like", "share"})

REPORT_DAY = "the day as the platform reports it, in the ad account's timezone (Meta's date_start); not shifted to UTC"
EXTRACTED_AT = "UTC instant the pipeline received the payload"
PERSON_ID = ("HMAC-SHA256 pseudonym of the person: the CRM user's when the CRM links the platform id, "
             "the platform id's otherwise")


def _count(name: str, doc: str) -> Field:
    return Field(name, "int", min=0, doc=doc)


CAMPAIGN_METRICS = Schema(
    "campaign_metrics",
    (
        Field("metric_date", "date", required=True, doc=REPORT_DAY),
        Field("platform", "string", required=True, allowed=frozenset({"meta_ads"}), doc="source platform"),
        Field("account_id", "string", required=True, doc="ad account id, without act_"),
        Field("campaign_id", "string", required=True, doc="campaign id"),
        Field("campaign_name", "string", doc="campaign name as of the extraction"),
        Field("currency", "string", required=True, doc="ISO 4217 currency of the ad account: spend's currency"),
        _count("impressions", "times ads were on screen"),
        _count("reach", "people who saw the ads at least once"),
        _count("clicks", "all clicks"),
        *(_count(column, f"actions of type {action}") for action, column in ACTION_COLUMNS.items()),
        _count("conversions", "purchases, counted once across overlapping action types"),
        Field("spend", "float", min=0, doc="amount spent, in the account's currency"),
        Field("conversion_value", "float", min=0, doc="purchase value, in the account's currency"),
        Field("extracted_at", "timestamp", required=True, doc=EXTRACTED_AT),
    ),
    key=("metric_date", "platform", "account_id", "campaign_id"),
)

POST_METRICS = Schema(
    "post_metrics",
    (
        Field("metric_date", "date", required=True, doc="UTC day of the run that took the snapshot"),
        Field("platform", "string", required=True, allowed=PLATFORMS, doc="facebook, instagram or x"),
        Field("account_id", "string", required=True, doc="page, Instagram account or X user that posted"),
        Field("post_id", "string", required=True, doc="the platform's post id"),
        Field("created_at", "timestamp", required=True, doc="UTC instant the post was published"),
        *(_count(c, f"{c} so far (lifetime)") for c in ("impressions", "reach", "likes", "comments", "shares",
                                                        "saves", "clicks")),
        Field("extracted_at", "timestamp", required=True, doc=EXTRACTED_AT),
    ),
    key=("metric_date", "platform", "account_id", "post_id"),
)

ENGAGEMENT_EVENTS = Schema(
    "engagement_events",
    (
        Field("platform", "string", required=True, allowed=PLATFORMS, doc="facebook, instagram or x"),
        Field("post_id", "string", required=True, doc="the post engaged with"),
        Field("person_id", "string", required=True, doc=PERSON_ID),
        Field("kind", "string", required=True, allowed=EVENT_KINDS, doc="comment, like or share"),
        Field("extracted_at", "timestamp", required=True, doc=EXTRACTED_AT),
    ),
    key=("platform", "post_id", "person_id", "kind"),
)

CRM_USERS = Schema(
    "crm_users",
    (
        Field("person_id", "string", required=True, doc=PERSON_ID),
        Field("age", "int", min=13, max=100, doc="age in years; outside 13-100 is rejected"),
        Field("gender", "string", allowed=GENDERS, doc="female, male, non_binary or unknown"),
        Field("country", "string", allowed=country_codes(), allowed_text="an ISO 3166-1 country",
              doc="ISO 3166-1 alpha-2"),
        Field("city", "string", doc="city as given"),
        Field("signup_date", "date", required=True, doc="signup day as the CRM records it"),
        *(Field(f"linked_{platform}", "bool", doc=f"whether the CRM links a {platform} id (the id stays raw)")
          for platform in ("facebook", "instagram", "x")),
    ),
    key=("person_id",),
)

CRM_ORDERS = Schema(
    "crm_orders",
    (
        Field("order_id", "string", required=True, doc="order id"),
        Field("person_id", "string", required=True, doc=PERSON_ID),
        Field("ordered_at", "timestamp", required=True, doc="UTC instant of the order"),
        Field("amount", "float", required=True, min=0, doc="order amount in `currency`"),
        Field("currency", "string", required=True, doc="ISO 4217 currency of the order"),
        Field("utm_campaign", "string", doc="campaign id the order came through; null for organic orders"),
    ),
    key=("order_id",),
)
