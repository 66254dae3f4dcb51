"""How an entity is declared: its columns once, with type, nullability, range and meaning.

Light on purpose (no pandas): the validation of clean frames
(transforms/validation.py), the warehouse tables (warehouse/tables.py) and the
DAGs' column checks (socialpulse_airflow/checks.py, built at parse time) are all
derived from these declarations, so a column is written down in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

KINDS = ("string", "int", "float", "date", "timestamp", "bool")
# What a text column holds, which decides its content checks (transforms/content.py): an identifier (checked for
# emails and control characters, which quarantine it), free text (control characters stripped, emails, phones,
# cards and national ids quarantined) or a pseudonym (declared personal: HMAC output, not checked).
IDENTIFIER, FREE_TEXT, PSEUDONYM = "identifier", "free_text", "pseudonym"
TEXT_KINDS = (IDENTIFIER, FREE_TEXT, PSEUDONYM)
DEFAULT_MAX_LENGTH = 1000  # characters of a text field that declares no maximum of its own
# The warehouse's logical type of each kind, unless a field names its own (money is `numeric`).
WAREHOUSE_TYPE_OF_KIND = {
    "string": "text",
    "int": "bigint",
    "float": "double",
    "date": "date",
    "timestamp": "timestamp",
    "bool": "boolean",
}
RUN_ID = "run_id"  # lineage: the Airflow run that wrote a warehouse row


@dataclass(frozen=True)
class Field:
    """One column: its type, whether it may be null, its range or allowed values, and what it means.

    A `derived` column is computed by the pipeline after validation (rates, converted
    amounts, credited orders): it is not read from the input, but it is stored and checked.
    """

    name: str
    kind: str
    required: bool = False
    min: float | None = None
    max: float | None = None
    allowed: frozenset[str] | None = None
    doc: str = ""
    allowed_text: str = ""  # how a reason names a long list of allowed values
    allowed_from: Callable[[], frozenset[str]] | None = None  # allowed values read when first validated
    warehouse_type: str = ""  # logical warehouse type; default from the kind
    derived: bool = False
    max_length: int = DEFAULT_MAX_LENGTH  # a longer text is quarantined (strings only)
    text: str = IDENTIFIER  # strings only: one of TEXT_KINDS

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"field {self.name}: kind {self.kind!r} is not one of {KINDS}")
        if self.text not in TEXT_KINDS:
            raise ValueError(f"field {self.name}: text {self.text!r} is not one of {TEXT_KINDS}")

    @property
    def allowed_values(self) -> frozenset[str] | None:
        if self.allowed is not None:
            return self.allowed
        return self.allowed_from() if self.allowed_from else None

    @property
    def sql_type(self) -> str:
        return self.warehouse_type or WAREHOUSE_TYPE_OF_KIND[self.kind]

    def not_allowed(self) -> str:
        return (
            f"{self.name} not {self.allowed_text}"
            if self.allowed_text
            else f"{self.name} not one of {sorted(self.allowed_values or ())}"
        )


@dataclass(frozen=True)
class Schema:
    """An entity: its fields in output order, its natural key, and the warehouse table that stores it, if any."""

    entity: str
    fields: tuple[Field, ...]
    key: tuple[str, ...] = ()
    table: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def inputs(self) -> tuple[Field, ...]:
        """The fields validated from the input; derived ones come after validation."""
        return tuple(f for f in self.fields if not f.derived)

    @property
    def input_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.inputs)

    def restrict(self, name: str, allowed: frozenset[str]) -> Schema:
        """The schema with a field's allowed values set at run time (say, the currencies with rates)."""
        return replace(self, fields=tuple(replace(f, allowed=allowed) if f.name == name else f for f in self.fields))

    def stored_columns(self) -> tuple[tuple[str, str], ...]:
        """(name, logical warehouse type) of the stored table: every field, then run_id unless declared."""
        columns = tuple((f.name, f.sql_type) for f in self.fields)
        return columns if RUN_ID in self.names else (*columns, (RUN_ID, "text"))
