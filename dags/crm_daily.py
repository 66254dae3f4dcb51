"""
### crm_daily

The first-party CRM drop (variable `socialpulse_crm_source`: a folder, `file://` or `http(s)://`
URL holding `ds=YYYY-MM-DD/users.csv` and `orders.csv`) for the UTC day of the run's data interval.

* `extract_crm`: lands the day's exact files as raw partitions; skipped when the variable is not set.
* `clean_crm`: users and orders validated, normalised (gender, ISO countries, ages 13-100),
  pseudonymised, amounts converted with the ECB's reference rates, audited; the consenting
  users' matching keys (SHA-256 of the Meta-normalised email and phone) written to the lake's
  restricted zone `restricted/match_keys/`, which only activation reads; its success is the
  **Assets `crm_users` and `crm_orders`** (the clean zone), which trigger `attribution_daily`.
  The users' links join a person's platform ids in `organic_social_daily`'s cleaning.
"""

from __future__ import annotations

from airflow.sdk import dag, task

from socialpulse_airflow import assets
from socialpulse_airflow.dag_defaults import failure_summary, quarantine_param, source_dag, warehouse_migrations
from socialpulse_airflow.lookups import day_of


@dag(
    **source_dag(),
    params={"max_quarantine_share": quarantine_param()},
    tags=["socialpulse", "crm"],
    doc_md=__doc__,
)
def crm_daily():
    @task
    def extract_crm(data_interval_start=None, run_id=None) -> dict:
        from socialpulse_airflow import crm

        return crm.extract(day_of(data_interval_start), run_id)

    @task(outlets=[assets.CRM_USERS, assets.CRM_ORDERS])
    def clean_crm(extracted: dict, data_interval_start=None, run_id=None, params=None, outlet_events=None) -> dict:
        from socialpulse_airflow import crm

        return crm.clean(day_of(data_interval_start), run_id, params, outlet_events)

    @task
    def enforce_raw_retention(data_interval_start=None) -> dict:
        from socialpulse_airflow import privacy

        return privacy.enforce_retention(day_of(data_interval_start), ["crm"], ["crm_users", "crm_orders"])

    cleaned = clean_crm(extract_crm())
    warehouse_migrations() >> cleaned  # its audit goes to pipeline_audit
    [cleaned, enforce_raw_retention()] >> failure_summary()


crm_daily()
