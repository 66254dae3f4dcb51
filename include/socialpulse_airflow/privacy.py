"""Privacy tasks: erasing one person (privacy_erasure), and each source DAG's raw retention."""

from __future__ import annotations

from socialpulse_airflow.failures import fail_fast
from socialpulse_airflow.settings import lake_root, pseudonymization_key, retention_days
from socialpulse_airflow.warehouse import in_warehouse


@fail_fast
def erase(params: dict, run_id: str) -> dict:
    from socialpulse.jobs.privacy import erase_person

    return in_warehouse(erase_person, lake_root(), pseudonymization_key(), str(params["user_id"]).strip(),
                        params["id_namespace"], run_id)


@fail_fast
def enforce_retention(ds: str, platforms: list[str], entities: list[str]) -> dict:
    """Delete this source's raw and quarantine partitions older than the retention period (default 90 days)."""
    from socialpulse.jobs.privacy import enforce_retention

    return enforce_retention(lake_root(), ds, retention_days(), platforms, entities)
