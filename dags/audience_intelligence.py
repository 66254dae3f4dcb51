"""
### audience_intelligence

Who the customers are, which groups they fall into, who will buy next, whom each campaign should target
and what each person should see, as of one day.

Scheduled on the **Assets `engagement_events` and `crm_orders` and `crm_users`** (all three changed
since its last run), **or** daily on time: one run follows a day on which both sources loaded; the time
schedule makes it backfillable and still runs on a day a source is late (with what has landed). An
asset-triggered run models the newest day every input has; a time-triggered run its data interval's day.

* `pick_as_of_date`: the day modelled, as above.
* `plan_profile_buckets` to `commit_profiles`: `user_profiles` as of the day, the training and evaluation
  snapshots 60 and 30 days earlier with their 30-day purchase labels, by buckets of people dealt to the
  mapped `resolve_events` and `profile_people` (variable `socialpulse_profile_tasks`, default 2: docs/scale.md).
* `segment_audience`: a latent-class model of `segments` classes (param, default 4: a business choice;
  BIC, ICL and silhouette of every k from 2 to 8 are in `model_registry` and on the Audience page),
  ids kept across retrains; `user_profiles` and `audience_segments` (100 people or more) in the warehouse.
* `train_propensity`: the TensorFlow model against logistic regression and gradient boosting on the same
  held-out snapshot; champion or not; `model_registry`, `propensity_scores`. Runs in the pool `tensorflow`
  (1 slot: `airflow pools set tensorflow 1 ...`), so two trainings never share a small worker.
* `segment_audience` and `train_propensity` (Celery queue `ml`, docs/deployment.md; the rest: `default`) read
  nothing of each other, so both follow the profiles; `recommend_content` needs the segments only.
* `build_target_audiences`: an audience per campaign brief (`audiences.yaml`, or the variables
  `socialpulse_audiences_file` and `socialpulse_audiences`), with its holdout, in `target_audiences`, and a
  summary per brief in `target_audience_summaries`; its success is the **Asset `target_audiences`**, which
  triggers `activate_audiences`.
* `read_audience_holdouts`: each brief's audience as the experiment `audience_<brief>` in `experiment_results`
  (the people sent against its holdout from the day after their first list), charts under `reports/`.
* `recommend_content`, `build_audience_report`: `content_recommendations`, and the charts and HTML report
  under `reports/audience/ds=<day>/`.

Every step rewrites its day (a rerun gives the same rows); backfill in date order: segment ids follow older models.
"""

from __future__ import annotations

from airflow.sdk import AssetOrTimeSchedule, Param, dag, task

from socialpulse_airflow.assets import CRM_ORDERS, CRM_USERS, ENGAGEMENT_EVENTS, TARGET_AUDIENCES, newest_common_day
from socialpulse_airflow.dag_defaults import (
    DEFAULT_ARGS,
    ML_QUEUE,
    START_DATE,
    daily,
    failure_summary,
    warehouse_migrations,
)

TENSORFLOW_POOL = "tensorflow"


@dag(
    schedule=AssetOrTimeSchedule(timetable=daily(), assets=(ENGAGEMENT_EVENTS & CRM_ORDERS & CRM_USERS)),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,  # each run reads the models the one before it left
    default_args=DEFAULT_ARGS,
    params={
        "segments": Param(4, type="integer", minimum=2, maximum=12, description="how many audience segments to make")
    },
    tags=["socialpulse", "audience", "ml"],
    doc_md=__doc__,
)
def audience_intelligence():
    @task
    def pick_as_of_date(data_interval_start=None, triggering_asset_events=None) -> str:
        return newest_common_day(data_interval_start, triggering_asset_events)

    @task
    def plan_profile_buckets(day: str) -> list[dict]:
        from socialpulse_airflow import audience

        return audience.plan_profiles(day)

    @task
    def resolve_events(share: dict) -> dict:
        from socialpulse_airflow import audience

        return audience.resolve_events(share)

    @task
    def commit_resolved_events(shares: list[dict], resolved: list[dict]) -> int | None:
        from socialpulse_airflow import audience

        return audience.commit_resolved_events(list(shares), list(resolved))

    @task
    def profile_people(share: dict, resolved_version: int | None) -> dict:
        from socialpulse_airflow import audience

        return audience.profile_people(share, resolved_version)

    @task
    def commit_profiles(shares: list[dict], profiled: list[dict]) -> dict:
        from socialpulse_airflow import audience

        return audience.commit_profiles(list(shares), list(profiled))

    @task(queue=ML_QUEUE)
    def segment_audience(day: str, run_id=None, params=None) -> dict:
        from socialpulse_airflow import audience

        return audience.segment(day, run_id, params["segments"])

    @task(pool=TENSORFLOW_POOL, queue=ML_QUEUE)
    def train_propensity(day: str, run_id=None) -> dict:
        from socialpulse_airflow import audience

        return audience.train_propensity(day, run_id)

    @task(outlets=[TARGET_AUDIENCES])
    def build_target_audiences(day: str, run_id=None, outlet_events=None) -> dict:
        from socialpulse_airflow import audience

        return audience.target(day, run_id, outlet_events)

    @task
    def read_audience_holdouts(day: str, run_id=None) -> dict:
        from socialpulse_airflow import audience

        return audience.evaluate_holdouts(day, run_id)

    @task
    def recommend_content(day: str, run_id=None) -> dict:
        from socialpulse_airflow import audience

        return audience.recommend(day, run_id)

    @task
    def build_audience_report(day: str) -> dict:
        from socialpulse_airflow import audience

        return audience.report(day)

    day = pick_as_of_date()  # not `ds`: Airflow passes its own `ds` (the data interval's) to a task that names it
    warehouse_migrations() >> day
    shares = plan_profile_buckets(day)
    resolved_version = commit_resolved_events(shares, resolve_events.expand(share=shares))
    profiles = commit_profiles(shares, profile_people.partial(resolved_version=resolved_version).expand(share=shares))
    segments, scores = segment_audience(day), train_propensity(day)
    targets, recommendations = build_target_audiences(day), recommend_content(day)
    report, holdouts = build_audience_report(day), read_audience_holdouts(day)
    profiles >> [segments, scores] >> targets >> [report, holdouts]
    segments >> recommendations >> report
    [report, holdouts] >> failure_summary()


audience_intelligence()
