"""Recording what a task noticed: a clean step's audit, its findings in data_quality_findings (each logged once)."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

from socialpulse_airflow.warehouse import in_warehouse

log = logging.getLogger(__name__)


def record(findings: list, run_id: str, any_day: bool = False) -> list:
    """Record the findings; log as warnings the ones not recorded before, which are returned."""
    from socialpulse.warehouse.findings import record_findings

    new = in_warehouse(record_findings, findings, run_id, any_day) if findings else []
    for finding in new:
        log.warning(
            "data quality %s (%s, %s): %s", finding.severity, finding.entity, finding.check_name, finding.detail
        )
    return new


def check_api_version(connection, api: str, ds: str, run_id: str) -> None:
    """Warn, and record a finding, when the connection's Meta API version is past Meta's end-of-life date."""
    from socialpulse.connectors.meta.versions import expired
    from socialpulse.warehouse.findings import Finding

    reason = expired(connection.api_version, api, datetime.now(UTC).date())
    if reason:
        log.warning("connection '%s': %s", connection.conn_id, reason)
        record(
            [
                Finding(
                    connection.conn_id,
                    date.fromisoformat(ds),
                    "api_version",
                    "api_version_expired",
                    None,
                    None,
                    None,
                    "warning",
                    reason,
                )
            ],
            run_id,
        )


def refused_metrics(refused: dict[str, str], entity: str, ds: str, run_id: str) -> None:
    """A finding per metric Meta refuses, recorded the first day it does, so a user sees that Meta changed something."""
    from socialpulse.warehouse.findings import Finding

    record(
        [
            Finding(
                entity,
                date.fromisoformat(ds),
                metric,
                "metric_refused",
                None,
                None,
                None,
                "warning",
                f"Meta refused {metric} ({message}): dropped, the other metrics kept",
            )
            for metric, message in sorted(refused.items())
        ],
        run_id,
        any_day=True,
    )


def audited(cleaned: dict, run_id: str, params: dict) -> dict:
    """Record a clean step's audit entries in pipeline_audit and its findings, then fail if too much was quarantined.

    The QualityGateError fails the task at once: retries.fail_fast, around every clean task, says so.
    """
    from socialpulse.pipeline.quality import check_quarantine_share
    from socialpulse.warehouse.audit import record_audit

    audit = cleaned.pop("audit")
    in_warehouse(record_audit, run_id, audit)
    record(cleaned.pop("findings", []), run_id)
    check_quarantine_share(audit, float(params["max_quarantine_share"]))
    return cleaned
