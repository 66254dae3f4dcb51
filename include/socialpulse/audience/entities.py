"""The audience entities, declared once like every other (see transforms/entities.py).

Every row is about an as-of date: a rerun of the date replaces that date's rows.
People appear as pseudonyms only.
"""

from __future__ import annotations

from socialpulse.schema import Field, Schema
from socialpulse.transforms.entities import EVENT_KINDS, PERSON_ID, PLATFORMS
from socialpulse.transforms.normalize import GENDERS
from socialpulse.transforms.topics import TOPICS
from socialpulse.warehouse.tables import register, table_of

AS_OF = Field("as_of_date", "date", required=True, doc="the day the row describes: data up to its end")
PERSON = Field("person_id", "string", required=True, doc=PERSON_ID)
WINDOWS = (7, 30, 90)  # days of engagement a profile counts
AGE_BANDS = ("13-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+")
ENGAGEMENT_COLUMNS = tuple(
    f"{platform}_{kind}s_{days}d" for platform in sorted(PLATFORMS) for kind in sorted(EVENT_KINDS) for days in WINDOWS
)
TOPIC_COLUMNS = tuple(f"topic_{topic}" for topic in TOPICS)
MIN_PUBLISHED = 100  # no segment description or audience of fewer people is published
# A fixed window of orders: unlike the totals, it does not grow from one snapshot to the next, so a model sees the same
# distribution when it trains (60 days back) and when it scores; the CRM's first export (a year) covers it at both.
ORDER_WINDOW_DAYS = 180


def _count(name: str, doc: str) -> Field:
    return Field(name, "int", min=0, doc=doc)


def _share(name: str, doc: str) -> Field:
    return Field(name, "float", min=0, max=1, doc=doc)


def _money(name: str, doc: str) -> Field:
    return Field(name, "float", min=0, doc=doc, warehouse_type="numeric")


USER_PROFILES = Schema(
    "user_profiles",
    (
        AS_OF,
        PERSON,
        Field("in_crm", "bool", required=True, doc="known to the CRM; false: known by a platform id only"),
        Field("age", "int", min=13, max=100, doc="CRM age"),
        Field("age_band", "string", allowed=frozenset(AGE_BANDS), doc="age in bands"),
        Field("gender", "string", allowed=GENDERS, doc="CRM gender"),
        Field("country", "string", doc="CRM country, ISO 3166-1 alpha-2"),
        *(
            Field(f"on_{p}", "bool", doc=f"the CRM links a {p} id, or the person engaged on {p}")
            for p in sorted(PLATFORMS)
        ),
        Field("linked_platforms", "int", min=0, max=3, doc="how many of the platforms the person is on"),
        Field("tenure_days", "int", min=0, doc="days since CRM signup"),
        *(
            _count(c, f"{c.split('_')[1]} on {c.split('_')[0]} posts of the last {c.split('_')[2]} (by post time)")
            for c in ENGAGEMENT_COLUMNS
        ),
        *(_count(f"engagements_{d}d", f"all engagement events of the last {d} days") for d in WINDOWS),
        *(_share(c, f"share of the 90-day engagements on {c.removeprefix('topic_')} posts") for c in TOPIC_COLUMNS),
        Field("top_topics", "string", doc="up to three topics engaged with most, by share"),
        _count("orders_total", "orders known up to the as-of date (frequency)"),
        _count("orders_90d", "orders of the last 90 days"),
        Field("recency_days", "int", min=0, doc="days since the last order; null: never ordered"),
        _money("monetary_total", "order value, reporting currency (monetary)"),
        _money("avg_order_value", "monetary_total / orders_total"),
        Field("segment_id", "int", min=0, doc="the person's audience segment (audience_segments)"),
        _count(f"orders_{ORDER_WINDOW_DAYS}d", f"orders of the last {ORDER_WINDOW_DAYS} days"),
        _money(f"monetary_{ORDER_WINDOW_DAYS}d", f"order value, last {ORDER_WINDOW_DAYS} days, reporting currency"),
    ),
    key=("as_of_date", "person_id"),
    table="user_profiles",
)

AUDIENCE_SEGMENTS = Schema(
    "audience_segments",
    (
        AS_OF,
        Field("segment_id", "int", required=True, min=0, doc="stable across retrains: matched to the last model's"),
        _count("size", "people in the segment"),
        _share("share", "of everyone profiled"),
        Field(
            "description",
            "string",
            doc="what sets it apart: its most over-represented attributes, each with its ratio to the whole audience",
        ),
        Field("age_band", "string", doc="the age band most over-represented in it, if any"),
        Field("countries", "string", doc="the countries over-represented in it"),
        Field("platform", "string", doc="the platform most over-represented in it, if any"),
        Field("topics", "string", doc="the topics over-represented in its engagement"),
        Field(
            "engagement_level",
            "string",
            allowed=frozenset({"low", "medium", "high"}),
            doc="high or low when its members are over-represented in the top or bottom third of 90-day engagements",
        ),
        _share("conversion_rate", "share of members who ordered in the 30 days before the as-of date"),
        _money("avg_order_value", "mean order value of its buyers, reporting currency"),
        Field(
            "best_platform",
            "string",
            doc="where it engages most per member against that platform's average per person (an index, so comments "
            "and likes compare); unknown without engagement data",
        ),
        Field("best_hour", "int", min=0, max=23, doc="the UTC hour of the posts it engages with most per post"),
        Field("model_version", "string", required=True, doc="the segmentation model"),
    ),
    key=("as_of_date", "segment_id"),
    table="audience_segments",
)

PROPENSITY_SCORES = Schema(
    "propensity_scores",
    (
        AS_OF,
        PERSON,
        _share("score", "probability of an order within 30 days after the as-of date"),
        Field("decile", "int", min=1, max=10, doc="10: the tenth with the highest scores"),
        Field("model_version", "string", required=True, doc="the champion model that scored"),
    ),
    key=("as_of_date", "person_id"),
    table="propensity_scores",
)

MODEL_REGISTRY = Schema(
    "model_registry",
    (
        Field("model_version", "string", required=True, doc="<model>-<as-of date>"),
        Field("model_name", "string", required=True, doc="propensity, segments or recommendations"),
        AS_OF,
        Field("trained_at", "timestamp", doc="UTC instant of training (the one column a rerun changes)"),
        Field(
            "last_erasure_seen",
            "timestamp",
            doc="the newest privacy erasure when it was trained: a later one retires the model",
        ),
        Field("train_snapshot", "date", doc="features as of this day, labels in the 30 days after"),
        Field("eval_snapshot", "date", doc="held-out: features as of this later day, labels in the 30 days after"),
        _count("rows_train", "people in the training snapshot"),
        _count("rows_eval", "people in the evaluation snapshot"),
        Field("features", "string", doc="JSON list of the features"),
        Field("metrics", "string", doc="JSON: every model's metrics on the same evaluation"),
        Field("roc_auc", "float", min=0, max=1, doc="this model's ROC AUC on the evaluation"),
        Field("artifact_path", "string", doc="where the model is: models/<model>/<version>/"),
        Field("champion_version", "string", doc="the version that scores this as-of date after the decision"),
        Field("decision", "string", doc="promoted or kept, and why"),
    ),
    key=("model_version",),
    table="model_registry",
)

BRIEF = Field("brief", "string", required=True, doc="the campaign brief (audiences.yaml) the audience serves")
TARGET_AUDIENCES = Schema(
    "target_audiences",
    (
        AS_OF,
        BRIEF,
        Field("campaign_id", "string", required=True, doc="a campaign of the brief"),
        PERSON,
        Field("rank", "int", required=True, min=1, doc="1: the highest expected value for the brief"),
        _share("score", "conversion propensity"),
        Field(
            "topic_affinity",
            "float",
            min=0,
            doc="interest in the brief's topics against the average person's (1); null for a brief without topics",
        ),
        _money("expected_value", "score x topic affinity x expected order value, reporting currency"),
        Field(
            "in_holdout",
            "bool",
            required=True,
            doc="kept out of the audience to measure it: a stable draw from (brief, person)",
        ),
    ),
    key=("as_of_date", "brief", "campaign_id", "person_id"),
    table="target_audiences",
)

TARGET_AUDIENCE_SUMMARIES = Schema(  # what the dashboard shows: sizes, never the people
    "target_audience_summaries",
    (
        AS_OF,
        BRIEF,
        Field("account_id", "string", doc="its ad account"),
        Field("campaign_ids", "string", doc="its campaigns, comma separated"),
        Field("goal", "string", doc="retarget, win_back, loyalty or prospect"),
        Field("markets", "string", doc="its countries: declared, or those of its campaigns' buyers in 90 days"),
        _count("eligible", "people the goal and markets admit, after the exclusions"),
        _count("excluded", "people the goal and markets admit but consent or a running experiment's control keeps out"),
        _count("size", "people on the list, its holdout included"),
        _count("holdout_size", "of them, kept out to measure the audience"),
        Field("expected_conversions", "float", min=0, doc="sum of the scores of the people sent (not held out)"),
        _money("expected_value", "sum of the expected values of the people sent, reporting currency"),
        Field("reason", "string", doc="why the brief built no audience; null when it did"),
    ),
    key=("as_of_date", "brief"),
    table="target_audience_summaries",
)

CONTENT_RECOMMENDATIONS = Schema(
    "content_recommendations",
    (
        AS_OF,
        PERSON,
        Field("rank", "int", required=True, min=1, max=3, doc="1: show first"),
        Field("topic", "string", required=True, allowed=frozenset(TOPICS), doc="the topic to show"),
        Field(
            "score",
            "float",
            min=0,
            doc="the blended score (recommend.py): the person's topic mix, shrunk toward their segment's",
        ),
        Field(
            "source",
            "string",
            allowed=frozenset({"engagement", "segment_profile"}),
            doc="engagement: 3 or more engagements of their own; segment_profile: fewer, their segment's profile leads",
        ),
    ),
    key=("as_of_date", "person_id", "rank"),
    table="content_recommendations",
)

AUDIENCE_ENTITIES = (
    USER_PROFILES,
    AUDIENCE_SEGMENTS,
    PROPENSITY_SCORES,
    MODEL_REGISTRY,
    TARGET_AUDIENCES,
    TARGET_AUDIENCE_SUMMARIES,
    CONTENT_RECOMMENDATIONS,
)
# The warehouse tables they are stored in, by entity, registered for the warehouse (warehouse/tables.py).
AUDIENCE_TABLES = {schema.entity: register(table_of(schema)) for schema in AUDIENCE_ENTITIES}
