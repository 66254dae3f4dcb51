"""Warehouse tables: a declared entity as stored, and the registry of every table the warehouse holds.

The warehouse imports no domain: each declares its entities and registers the tables it
stores them in (transforms/entities.py for the sources, audience/entities.py,
experiments/entities.py, warehouse/records.py for the warehouse's own records). The DDL
that created them is frozen in warehouse/sql/; a test imports every domain and checks that
the migrated tables and the registered ones agree, column by column.
"""

from __future__ import annotations

from dataclasses import dataclass

from socialpulse.schema import Schema
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


_REGISTERED: dict[str, Table] = {}


def register(table: Table) -> Table:
    """Add a table a domain stores its entity in to the warehouse's registry, and return it."""
    if _REGISTERED.setdefault(table.name, table) != table:
        raise ValueError(f"two different tables are registered as {table.name}")
    return table


def registered() -> tuple[Table, ...]:
    """Every table registered so far (each domain registers its own when imported), by name."""
    return tuple(_REGISTERED[name] for name in sorted(_REGISTERED))
