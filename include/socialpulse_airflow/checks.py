"""The warehouse checks of the loaded rows, derived from the entity declarations.

Per column, what the declaration says and the table does not already enforce:
a required column that is not part of the primary key must not be null, and a
declared range must hold. Key columns are left to the primary key (NOT NULL,
unique). Cross-column rules, which no single declaration holds, are table checks.
Built at DAG parse time, so only light modules are imported.
"""

from __future__ import annotations

from typing import Any

from socialpulse.schema import Schema

# Rules between columns of campaign_metrics_daily: each can fail on a row Meta sends.
CAMPAIGN_TABLE_CHECKS = {
    "rows_loaded": {"check_statement": "COUNT(*) > 0"},
    "reach_within_impressions": {"check_statement": "SUM(CASE WHEN reach > impressions THEN 1 ELSE 0 END) = 0"},
    "link_clicks_within_clicks": {"check_statement": "SUM(CASE WHEN link_clicks > clicks THEN 1 ELSE 0 END) = 0"},
}


def column_mapping(schema: Schema) -> dict[str, dict[str, Any]]:
    """SQLColumnCheckOperator's column_mapping for the declaration's table."""
    mapping: dict[str, dict[str, Any]] = {}
    for field in schema.fields:
        if field.name in schema.key:
            continue
        checks: dict[str, Any] = {}
        if field.required:
            checks["null_check"] = {"equal_to": 0}
        if field.min is not None:
            checks["min"] = {"geq_to": field.min}
        if field.max is not None:
            checks["max"] = {"leq_to": field.max}
        if checks:
            mapping[field.name] = checks
    return mapping
