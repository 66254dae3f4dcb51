"""Table definitions in logical types, rendered per dialect."""

from __future__ import annotations

from dataclasses import dataclass

from socialpulse.warehouse.dialect import LOGICAL_TYPES

LINEAGE_COLUMNS = ("extracted_at", "run_id")


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[tuple[str, str], ...]  # (name, logical type)
    key: tuple[str, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)

    @property
    def value_columns(self) -> tuple[str, ...]:
        """Columns compared to decide whether an upsert changes a row (not keys, not lineage)."""
        return tuple(c for c in self.column_names if c not in self.key and c not in LINEAGE_COLUMNS)

    def only(self, names: set[str] | frozenset[str]) -> Table:
        """The table seen through a subset of its columns (the key always included)."""
        return Table(self.name, tuple(c for c in self.columns if c[0] in names or c[0] in self.key), self.key)

    def column_defs(self, dialect: str) -> str:
        types = LOGICAL_TYPES[dialect]
        return ", ".join(
            f"{name} {types[kind]}{' NOT NULL' if name in self.key else ''}" for name, kind in self.columns)

    def create_sql(self, dialect: str) -> str:
        return (f"CREATE TABLE IF NOT EXISTS {self.name} ({self.column_defs(dialect)}, "
                f"PRIMARY KEY ({', '.join(self.key)}))")


_COUNTS = ("impressions", "reach", "clicks", "link_clicks", "landing_page_views", "likes", "comments", "shares")
_RATES = ("ctr", "cpc", "cpm", "engagement_rate", "conversion_rate", "cost_per_conversion", "roas")

# As migration 1 created it; migrations render from frozen definitions, never from the latest.
CAMPAIGN_METRICS_DAILY_V1 = Table(
    name="campaign_metrics_daily",
    columns=(
        ("metric_date", "date"),
        ("platform", "text"),
        ("account_id", "text"),
        ("campaign_id", "text"),
        ("campaign_name", "text"),
        ("currency", "text"),
        *((name, "bigint") for name in _COUNTS),
        ("spend", "numeric"),
        ("conversions", "bigint"),
        ("conversion_value", "numeric"),
        *((name, "double") for name in _RATES),
        ("extracted_at", "timestamp"),
        ("run_id", "text"),
    ),
    key=("metric_date", "platform", "account_id", "campaign_id"),
)

ATTRIBUTION_COLUMNS = (("attributed_orders", "bigint"), ("attributed_revenue", "numeric"))
# Amounts in the reporting currency beside the originals (spend, conversion_value in `currency`).
REPORTING_CURRENCY_COLUMNS = (("spend_reporting", "numeric"), ("conversion_value_reporting", "numeric"),
                              ("reporting_currency", "text"), ("fx_rate", "double"))

CAMPAIGN_METRICS_DAILY = Table(
    name="campaign_metrics_daily",
    columns=(*CAMPAIGN_METRICS_DAILY_V1.columns, *ATTRIBUTION_COLUMNS, *REPORTING_CURRENCY_COLUMNS),  # migration order
    key=CAMPAIGN_METRICS_DAILY_V1.key,
)

# Every distinct version of the columns the ads load writes, keyed by the extraction that first saw it.
CAMPAIGN_METRICS_HISTORY = Table(
    name="campaign_metrics_history",
    columns=(*CAMPAIGN_METRICS_DAILY_V1.columns, *REPORTING_CURRENCY_COLUMNS),
    key=(*CAMPAIGN_METRICS_DAILY_V1.key, "extracted_at"),
)

PIPELINE_AUDIT = Table(
    name="pipeline_audit",
    columns=(
        ("ds", "date"),
        ("entity", "text"),
        ("run_id", "text"),
        *((name, "bigint") for name in ("rows_in", "rows_clean", "rows_quarantined", "duplicates_dropped")),
        ("quarantined_share", "double"),
        ("top_reasons", "text"),
        ("pages", "bigint"),
        ("bytes", "bigint"),
        ("quarantine_path", "text"),
        ("extracted_at", "timestamp"),
    ),
    key=("ds", "entity", "run_id"),
)

# No personal data: the pseudonym and counts only.
PRIVACY_ERASURES = Table(
    name="privacy_erasures",
    columns=(
        ("pseudonym", "text"),
        ("run_id", "text"),
        ("erased_at", "timestamp"),
        *((name, "bigint") for name in ("clean_rows", "feature_rows", "warehouse_rows", "files_rewritten")),
    ),
    key=("pseudonym", "run_id"),
)

POST_METRICS_DAILY = Table(
    name="post_metrics_daily",
    columns=(
        ("metric_date", "date"),
        ("platform", "text"),
        ("account_id", "text"),
        ("post_id", "text"),
        ("created_at", "timestamp"),
        *((name, "bigint") for name in ("impressions", "reach", "likes", "comments", "shares", "saves", "clicks")),
        ("engagement_rate", "double"),
        ("extracted_at", "timestamp"),
        ("run_id", "text"),
    ),
    key=("metric_date", "platform", "account_id", "post_id"),
)
