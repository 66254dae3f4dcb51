"""Warehouse tables, derived from the entity declarations (transforms/schemas.py) in logical types.

The DDL that created them is frozen in warehouse/sql/; a test checks that the
migrated tables and these definitions agree, column by column.
"""

from __future__ import annotations

from dataclasses import dataclass

from socialpulse.audience import schemas as audience
from socialpulse.declarations import Schema
from socialpulse.experiments.schemas import EXPERIMENT_RESULTS as EXPERIMENT_RESULTS_ENTITY
from socialpulse.transforms import schemas
from socialpulse.transforms.schemas import ATTRIBUTION_COLUMNS, CAMPAIGN_METRICS, POST_METRICS
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
            f"{name} {types[kind]}{' NOT NULL' if name in self.key else ''}" for name, kind in self.columns
        )


def table_of(
    schema: Schema, *, name: str | None = None, without: tuple[str, ...] = (), key: tuple[str, ...] | None = None
) -> Table:
    """The warehouse table storing a declared entity (or a view of it: another name, fewer columns, a longer key)."""
    table = name or schema.table
    if table is None:
        raise ValueError(f"entity {schema.entity} is not stored in the warehouse")
    return Table(table, tuple(c for c in schema.stored_columns() if c[0] not in without), key or schema.key)


CAMPAIGN_METRICS_DAILY = table_of(CAMPAIGN_METRICS)
# Every distinct version of the columns the ads load writes, keyed by the extraction that first saw it.
CAMPAIGN_METRICS_HISTORY = table_of(
    CAMPAIGN_METRICS,
    name="campaign_metrics_history",
    without=ATTRIBUTION_COLUMNS,
    key=(*CAMPAIGN_METRICS.key, "extracted_at"),
)
POST_METRICS_DAILY = table_of(POST_METRICS)
PIPELINE_AUDIT = table_of(schemas.PIPELINE_AUDIT)
PRIVACY_ERASURES = table_of(schemas.PRIVACY_ERASURES)
DATA_QUALITY_FINDINGS = table_of(schemas.DATA_QUALITY_FINDINGS)
AUDIENCE_TABLES = {schema.entity: table_of(schema) for schema in audience.AUDIENCE_ENTITIES}
EXPERIMENT_RESULTS = table_of(EXPERIMENT_RESULTS_ENTITY)
TABLES = (
    CAMPAIGN_METRICS_DAILY,
    CAMPAIGN_METRICS_HISTORY,
    POST_METRICS_DAILY,
    PIPELINE_AUDIT,
    PRIVACY_ERASURES,
    DATA_QUALITY_FINDINGS,
    *AUDIENCE_TABLES.values(),
    EXPERIMENT_RESULTS,
)
