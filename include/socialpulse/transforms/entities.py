"""Every entity the sources write, declared once: the clean entities and the warehouse tables they load.

Validation (transforms/validation.py), the warehouse tables (registered below)
and the DAGs' column checks (socialpulse_airflow/checks.py) derive from these.
Light to import: the DAG files build their checks from them at parse time.

Time columns say which clock they are on: a `metric_date` is the platform's
report day in the account's own timezone, never shifted; a `*_at` column is an
instant in UTC.
"""

from __future__ import annotations

from socialpulse.connectors.meta.ads_fields import ACTION_COLUMNS
from socialpulse.schema import Field, Schema
from socialpulse.transforms.normalize import GENDERS, country_codes
from socialpulse.transforms.topics import TOPICS
from socialpulse.warehouse.tables import register, table_of

PLATFORMS = frozenset({"facebook", "instagram", "x"})
EVENT_KINDS = frozenset({"comment", "like", "share"})

REPORT_DAY = "the day as the platform reports it, in the ad account's timezone (Meta's date_start); not shifted to UTC"
EXTRACTED_AT = "UTC instant the pipeline received the payload"
PERSON_ID = (
    "HMAC-SHA256 pseudonym of the person: the CRM user's when the CRM links the platform id, "
    "the platform id's otherwise"
)


def _count(name: str, doc: str) -> Field:
    return Field(name, "int", min=0, doc=doc)


def _rate(name: str, doc: str, at_most_one: bool = False) -> Field:
    return Field(name, "float", min=0, max=1 if at_most_one else None, doc=doc, derived=True)


def _money(name: str, doc: str, required: bool = False, derived: bool = False) -> Field:
    return Field(name, "float", required=required, min=0, doc=doc, warehouse_type="numeric", derived=derived)


CAMPAIGN_METRICS = Schema(
    "campaign_metrics",
    (
        Field("metric_date", "date", required=True, doc=REPORT_DAY),
        Field("platform", "string", required=True, allowed=frozenset({"meta_ads"}), doc="source platform"),
        Field("account_id", "string", required=True, doc="ad account id, without act_"),
        Field("campaign_id", "string", required=True, doc="campaign id"),
        Field("campaign_name", "string", text="free_text", doc="campaign name as of the extraction"),
        Field("currency", "string", required=True, doc="ISO 4217 currency of the ad account: spend's currency"),
        Field(
            "attribution_setting",
            "string",
            doc="the attribution setting Meta reports for the campaign (from its "
            "ad sets, e.g. 7d_click_1d_view); conversions count the 7d_click and 1d_view windows whatever it is",
        ),
        _count("impressions", "times ads were on screen"),
        _count("reach", "people who saw the ads at least once"),
        _count("clicks", "all clicks"),
        *(_count(column, f"actions of type {action}") for action, column in ACTION_COLUMNS.items()),
        _count("conversions", "purchases, counted once across overlapping action types"),
        _money("spend", "amount spent, in the account's currency"),
        _money("conversion_value", "purchase value, in the account's currency"),
        _rate("ctr", "clicks / impressions", at_most_one=True),
        _rate("cpc", "spend / clicks"),
        _rate("cpm", "spend / impressions x 1000"),
        _rate("engagement_rate", "(likes + comments + shares) / impressions", at_most_one=True),
        _rate("conversion_rate", "conversions / clicks", at_most_one=True),
        _rate("cost_per_conversion", "spend / conversions"),
        _rate("roas", "conversion_value / spend"),
        _money("spend_reporting", "spend in reporting_currency", derived=True),
        _money("conversion_value_reporting", "conversion_value in reporting_currency", derived=True),
        Field("reporting_currency", "string", doc="the currency of the *_reporting amounts", derived=True),
        Field(
            "fx_rate",
            "float",
            min=0,
            doc="reporting units per unit of currency (ECB, at most 7 days old)",
            derived=True,
        ),
        Field(
            "attributed_orders",
            "int",
            min=0,
            derived=True,
            doc="CRM orders of the day whose utm_campaign is this campaign (written by attribution)",
        ),
        _money("attributed_revenue", "their amount in the reporting currency (written by attribution)", derived=True),
        Field("extracted_at", "timestamp", required=True, doc=EXTRACTED_AT),
    ),
    key=("metric_date", "platform", "account_id", "campaign_id"),
    table="campaign_metrics_daily",
)
# Columns of campaign_metrics_daily that crediting writes, not the ads load (nor its history).
ATTRIBUTION_COLUMNS = ("attributed_orders", "attributed_revenue")

POST_METRICS = Schema(
    "post_metrics",
    (
        Field("metric_date", "date", required=True, doc="UTC day of the run that took the snapshot"),
        Field("platform", "string", required=True, allowed=PLATFORMS, doc="facebook, instagram or x"),
        Field("account_id", "string", required=True, doc="page, Instagram account or X user that posted"),
        Field("post_id", "string", required=True, doc="the platform's post id"),
        Field("created_at", "timestamp", required=True, doc="UTC instant the post was published"),
        *(
            _count(c, f"{c} so far (lifetime)")
            for c in ("impressions", "reach", "likes", "comments", "shares", "saves", "clicks")
        ),
        Field(
            "engagement_rate",
            "float",
            min=0,
            derived=True,
            doc="(likes + comments + shares) / impressions, or / reach without impressions",
        ),
        Field("extracted_at", "timestamp", required=True, doc=EXTRACTED_AT),
        Field(
            "topic",
            "string",
            allowed=frozenset(TOPICS),
            derived=True,
            doc="the post's topic from its hashtags and words (transforms/topics.py)",
        ),
    ),
    key=("metric_date", "platform", "account_id", "post_id"),
    table="post_metrics_daily",
)

ENGAGEMENT_EVENTS = Schema(
    "engagement_events",
    (
        Field("platform", "string", required=True, allowed=PLATFORMS, doc="facebook, instagram or x"),
        Field("post_id", "string", required=True, doc="the post engaged with"),
        Field("person_id", "string", required=True, text="pseudonym", doc=PERSON_ID),
        Field("kind", "string", required=True, allowed=EVENT_KINDS, doc="comment, like or share"),
        Field("extracted_at", "timestamp", required=True, doc=EXTRACTED_AT),
    ),
    key=("platform", "post_id", "person_id", "kind"),
)

CRM_COLUMN_PREFIX = "experiment_"  # the CRM clean step keeps the users' columns named so
CRM_USERS = Schema(
    "crm_users",
    (
        Field("person_id", "string", required=True, text="pseudonym", doc=PERSON_ID),
        Field("age", "int", min=13, max=100, doc="age in years; outside 13-100 is rejected"),
        Field("gender", "string", allowed=GENDERS, doc="female, male, non_binary or unknown"),
        Field(
            "country",
            "string",
            allowed_from=country_codes,
            allowed_text="an ISO 3166-1 country",
            doc="ISO 3166-1 alpha-2",
        ),
        Field("city", "string", max_length=200, text="free_text", doc="city as given"),
        Field("signup_date", "date", required=True, doc="signup day as the CRM records it"),
        *(
            Field(f"linked_{platform}", "bool", doc=f"whether the CRM links a {platform} id (the id stays raw)")
            for platform in ("facebook", "instagram", "x")
        ),
        *(
            Field(
                f"{platform}_pseudonym",
                "string",
                text="pseudonym",
                doc=f"the linked {platform} id's own pseudonym: joins the events cleaned before the link",
            )
            for platform in ("facebook", "instagram", "x")
        ),
        Field(
            "marketing_consent",
            "bool",
            doc="whether the person agreed to marketing: only they join target audiences (blank: not given)",
        ),
        Field(
            "experiment_groups",
            "string",
            max_length=20_000,
            text="free_text",
            doc="JSON {column: group} of the drop's experiment_* columns: the person's experiment groups",
        ),
    ),
    key=("person_id",),
)

CRM_ORDERS = Schema(
    "crm_orders",
    (
        Field("order_id", "string", required=True, doc="order id"),
        Field("person_id", "string", required=True, text="pseudonym", doc=PERSON_ID),
        Field("ordered_at", "timestamp", required=True, doc="UTC instant of the order"),
        Field("amount", "float", required=True, min=0, doc="order amount in `currency`"),
        Field("currency", "string", required=True, doc="ISO 4217 currency of the order"),
        Field("utm_campaign", "string", doc="campaign id the order came through; null for organic orders"),
    ),
    key=("order_id",),
)

# The warehouse tables the sources load, registered for the warehouse (warehouse/tables.py).
CAMPAIGN_METRICS_DAILY = register(table_of(CAMPAIGN_METRICS))
# Every distinct version of the columns the ads load writes, keyed by the extraction that first saw it.
CAMPAIGN_METRICS_HISTORY = register(
    table_of(
        CAMPAIGN_METRICS,
        name="campaign_metrics_history",
        without=ATTRIBUTION_COLUMNS,
        key=(*CAMPAIGN_METRICS.key, "extracted_at"),
    )
)
POST_METRICS_DAILY = register(table_of(POST_METRICS))
