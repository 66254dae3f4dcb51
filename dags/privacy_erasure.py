"""
### privacy_erasure

Erase one person (a right-to-erasure request), triggered by hand:

    airflow dags trigger privacy_erasure --conf '{"user_id": "u000042"}'

`user_id` is a CRM user id by default; set `"id_namespace"` to `facebook`, `instagram` or
`x` for a platform-scoped id (when a CRM drop links it, the CRM user behind it is erased).
The task computes the person's pseudonyms (theirs, and those of every platform id the CRM
ever linked to them), rewrites
every clean-zone and features partition holding them, deletes their rows from every
warehouse table with a `person_id` column, and lists them as erased so that rerunning an
old date cannot bring them back. `privacy_erasures` records the pseudonym, time and row
counts, never the id itself. The raw zone keeps what arrived until its retention period
(variable `socialpulse_raw_retention_days`) deletes it.
"""

from __future__ import annotations

from airflow.sdk import Param, dag, task

from socialpulse_airflow import privacy
from socialpulse_airflow.dag_defaults import DEFAULT_ARGS, START_DATE, failure_summary, warehouse_migrations


@dag(
    schedule=None,
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,  # one rewrite of the clean zone at a time
    default_args=DEFAULT_ARGS,
    params={
        "user_id": Param(type="string", minLength=1, description="the id of the person to erase"),
        "id_namespace": Param("crm", enum=["crm", "facebook", "instagram", "x"],
                              description="whose id it is: the CRM's, or a platform's"),
    },
    tags=["socialpulse", "privacy"],
    doc_md=__doc__,
)
def privacy_erasure():
    @task
    def erase_person(params=None, run_id=None) -> dict:
        return privacy.erase(params, run_id)

    warehouse_migrations() >> erase_person() >> failure_summary()


privacy_erasure()
