"""
### privacy_erasure

Right to erasure, daily: the people the day's CRM drop asks to forget are removed from everything
SocialPulse keeps. Requests arrive as CRMs export them, a suppression list beside the day's drop
(variable `socialpulse_crm_source`):

    ds=YYYY-MM-DD/erasure_requests.csv      user_id[,id_namespace]

`user_id` is a CRM user id; `id_namespace` (`crm` by default, or `facebook`, `instagram`, `x`)
says whose id it is (when a CRM drop links a platform id, the CRM user behind it is erased).

* `land_erasure_requests`: the exact bytes of each such file of the day's drop and the 7 before it
  that no run landed yet (a drop that came late, a paused scheduler) into the raw zone.
* `erase_requested_people`: each line no earlier run recorded: the person's pseudonyms (theirs, and
  those of every platform id any drop linked to them) go on the lake's suppression list (as SHA-256
  digests), every clean, features and quarantine partition holding them is rewritten, their rows
  are deleted from every warehouse table with a `person_id`, and `privacy_erasures` records the
  request by pseudonym, drop and line: `erased`, `already_erased`, or `not_found` (no data and no
  CRM drop knows the id: a typo?).
* `remove_erased_from_audiences`: everyone on the suppression list is removed from every audience
  `activate_audiences` sent to Meta (a DELETE with the hashes they were sent with, which are kept
  in `audience_sync_rows` until Meta accepted it), and `audience_syncs` records each (`erased`).

No raw id passes through Airflow: not a run's conf, an XCom or a log line (the log names each
request by its line). To erase at once, add the request to a drop of the last week and trigger
the DAG. The raw zone keeps what arrived until its retention (variable
`socialpulse_raw_retention_days`, 90 days) deletes it.
"""

from __future__ import annotations

from airflow.sdk import dag, task

from socialpulse_airflow.dag_defaults import DEFAULT_ARGS, START_DATE, daily, failure_summary, warehouse_migrations
from socialpulse_airflow.lookups import day_of


@dag(
    schedule=daily(),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,  # one rewrite of the lake at a time
    default_args=DEFAULT_ARGS,
    tags=["socialpulse", "privacy"],
    doc_md=__doc__,
)
def privacy_erasure():
    @task
    def land_erasure_requests(data_interval_start=None) -> dict:
        from socialpulse_airflow import privacy

        return privacy.land_requests(day_of(data_interval_start))

    @task
    def erase_requested_people(landed: dict, data_interval_start=None, run_id=None) -> dict:
        from socialpulse_airflow import privacy

        return privacy.erase(day_of(data_interval_start), run_id)

    @task
    def remove_erased_from_audiences(erased: dict, run_id=None) -> dict:
        from socialpulse_airflow import privacy

        return privacy.forget_on_platforms(run_id)

    erased = erase_requested_people(land_erasure_requests())
    warehouse_migrations() >> erased
    remove_erased_from_audiences(erased) >> failure_summary()


privacy_erasure()
