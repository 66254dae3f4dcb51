"""
### activate_audiences

Sends each published target audience to Meta as a Custom Audience (docs/activation.md), so the
ads reach the people the brief chose. Scheduled on the **Asset `target_audiences`** (a run of
`audience_intelligence` built the day's lists), or daily on time; a run sends the lists of the
day its trigger names (its data interval's day on the time schedule).

* `review_audiences`: per declared brief, what would be sent (counts only): the list without its
  holdout, each person with the hashed email and phone of the newest CRM drop (the lake's
  restricted zone), against what the audience holds on Meta (`audience_sync_rows`). A brief not
  published, with fewer people to send than its `min_size`, or unchanged, sends nothing.
* `activate.approve` (one per brief): a new audience, or a change above
  `socialpulse_activation_max_change_share` (default 0.2) of the people on it, waits for a
  person's Approve or Reject under **Browse > Required Actions**; no answer within the param
  `approval_timeout_hours` (default 24) rejects it. Others pass at once. The variable
  `socialpulse_activation_requires_approval` = false turns the approval off (fully automated
  accounts); `socialpulse_activation_dry_run` = true sends nothing and records what would be sent.
* `activate.sync_audience`: finds or creates `socialpulse:<brief>` on the brief's ad account
  (connection `meta_marketing`), sends the removes and the adds in sessions of at most 10,000
  rows (or a replace when that sends fewer rows), and logs the sync in `audience_syncs` with
  Meta's count. An account that refuses custom audiences, or a refused token, fails at once
  saying what to do.

A run of a date sends what it computes from the data as they stand, so a rerun sends only what
changed since (nothing, when nothing did). A sync that died between batches is completed by the next run.
"""

from __future__ import annotations

from airflow.sdk import AssetOrTimeSchedule, Param, dag, task, task_group

from socialpulse_airflow.activation import APPROVAL_TIMEOUT_HOURS, AudienceApproval
from socialpulse_airflow.assets import TARGET_AUDIENCES, newest_common_day
from socialpulse_airflow.dag_defaults import DEFAULT_ARGS, START_DATE, daily, failure_summary, warehouse_migrations


@dag(
    schedule=AssetOrTimeSchedule(timetable=daily(), assets=TARGET_AUDIENCES),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,  # each run sends the difference from the one before it
    default_args=DEFAULT_ARGS,
    params={
        "approval_timeout_hours": Param(
            APPROVAL_TIMEOUT_HOURS,
            type="number",
            exclusiveMinimum=0,
            description="hours an audience waits for approval; unanswered, it is not sent",
        )
    },
    tags=["socialpulse", "audience", "activation"],
    doc_md=__doc__,
)
def activate_audiences():
    @task
    def pick_as_of_date(data_interval_start=None, triggering_asset_events=None) -> str:
        return newest_common_day(data_interval_start, triggering_asset_events)

    @task
    def review_audiences(day: str) -> list[dict]:
        from socialpulse_airflow import activation

        return activation.review(day)

    @task  # a retry plans again from what the try before it recorded: it completes, never repeats
    def sync_audience(audience: dict, approval: dict, run_id=None) -> dict:
        from socialpulse_airflow import activation

        return activation.sync(audience, approval, run_id)

    @task_group
    def activate(audience: dict):
        sync_audience(audience, AudienceApproval(task_id="approve", audience=audience).output)

    day = pick_as_of_date()
    warehouse_migrations() >> day
    activate.expand(audience=review_audiences(day)) >> failure_summary()


activate_audiences()
