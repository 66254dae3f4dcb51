"""The warehouse's own records, declared like any entity: the pipeline's audit, the erasures, the findings.

They belong to no source: the clean steps, the erasure and the checks of every DAG write them.
"""

from __future__ import annotations

from socialpulse.schema import Field, Schema
from socialpulse.warehouse.tables import register, table_of

EXTRACTED_AT = "UTC instant the pipeline received the payload"


def _count(name: str, doc: str) -> Field:
    return Field(name, "int", min=0, doc=doc)


PIPELINE_AUDIT = Schema(
    "pipeline_audit",
    (
        Field("ds", "date", required=True, doc="the run's date"),
        Field("entity", "string", required=True, doc="the clean entity"),
        Field("run_id", "string", required=True, doc="the Airflow run; a retry of it replaces its row"),
        *(
            _count(name, f"{name.replace('_', ' ')} of the partition")
            for name in ("rows_in", "rows_clean", "rows_quarantined", "duplicates_dropped")
        ),
        Field("quarantined_share", "float", min=0, max=1, doc="rows_quarantined / rows_in"),
        Field("top_reasons", "string", doc="JSON {rule: rows} of the three most frequent reasons"),
        _count("pages", "API pages the raw partition holds"),
        _count("bytes", "bytes the raw partition holds"),
        Field("quarantine_path", "string", doc="where the quarantined rows are, if any"),
        Field("extracted_at", "timestamp", doc=EXTRACTED_AT),
        Field(
            "loaded_at",
            "timestamp",
            doc="when the run's publishing step loaded the day; null while it has not "
            "(a failed quarantine gate or load): freshness counts loaded days only",
        ),
    ),
    key=("ds", "entity", "run_id"),
    table="pipeline_audit",
)

ERASURE_STATUSES = frozenset({"erased", "already_erased", "not_found"})
ERASURE_COUNTS = (  # privacy_erasures' counts, in its column order
    "clean_rows",
    "feature_rows",
    "warehouse_rows",
    "files_rewritten",
    "quarantine_rows",
    "restricted_rows",
)
PRIVACY_ERASURES = Schema(  # no personal data: the pseudonym and counts only
    "privacy_erasures",
    (
        Field("pseudonym", "string", required=True, text="pseudonym", doc="the erased person's pseudonym"),
        Field("run_id", "string", required=True, doc="the privacy_erasure run"),
        Field("erased_at", "timestamp", doc="UTC instant of the erasure"),
        *(_count(name, f"{name.replace('_', ' ')} erased") for name in ERASURE_COUNTS),
        Field(
            "status",
            "string",
            allowed=ERASURE_STATUSES,
            doc="erased; already_erased (listed before, nothing left); not_found (no data, nor in any CRM drop: a "
            "typo in the request?)",
        ),
        Field("request_day", "date", doc="the CRM drop whose erasure_requests.csv asked for it"),
        Field("request_line", "int", min=2, doc="its line in that file"),
    ),
    key=("pseudonym", "run_id"),
    table="privacy_erasures",
)

DATA_QUALITY_FINDINGS = Schema(
    "data_quality_findings",
    (
        Field("entity", "string", required=True, doc="the table or entity the finding is about"),
        Field("day", "date", required=True, doc="the day whose value is off"),
        Field("metric", "string", required=True, doc="what was measured: rows, spend_reporting, ..."),
        Field("check_name", "string", required=True, doc="the rule that found it"),
        Field("value", "float", doc="the day's value"),
        Field("expected_low", "float", doc="the low end of the expected range"),
        Field("expected_high", "float", doc="the high end of the expected range"),
        Field(
            "severity",
            "string",
            required=True,
            allowed=frozenset({"warning", "error"}),
            doc="warning: recorded and logged; error: the run stopped",
        ),
        Field("detail", "string", doc="the finding in words"),
        Field("run_id", "string", required=True, doc="the run that first found it"),
        Field("found_at", "timestamp", doc="UTC instant it was first found"),
    ),
    key=("entity", "day", "metric", "check_name"),
    table="data_quality_findings",
)


PIPELINE_AUDIT_TABLE = register(table_of(PIPELINE_AUDIT))
PRIVACY_ERASURES_TABLE = register(table_of(PRIVACY_ERASURES))
DATA_QUALITY_FINDINGS_TABLE = register(table_of(DATA_QUALITY_FINDINGS))
