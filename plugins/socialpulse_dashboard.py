"""The Marketing dashboard inside the Airflow UI: SocialPulse's FastAPI app under /socialpulse, a nav entry to it.

The app (socialpulse_airflow/dashboard) requires Airflow's login on every route; the
view's href is relative, so it works under an api-server base_url sub-path. Every Airflow
process loads plugins (a task for their macros), so the app is imported only when the
api-server asks for it.
"""

from typing import ClassVar

from airflow.plugins_manager import AirflowPlugin


class _DashboardApp:
    """`fastapi_apps`, importing the app (FastAPI, Airflow's API security) on first access."""

    def __get__(self, instance, owner) -> list[dict]:
        from socialpulse_airflow.dashboard.app import app

        return [{"app": app, "url_prefix": "/socialpulse", "name": "SocialPulse marketing"}]


class SocialPulseDashboard(AirflowPlugin):
    name = "socialpulse_dashboard"
    fastapi_apps = _DashboardApp()
    # Airflow fills in {DAG_ID} and {RUN_ID} on a run's page.
    external_views: ClassVar[list[dict]] = [
        {
            "name": "Marketing",
            "href": "socialpulse/",
            "url_route": "marketing",
            "destination": "nav",
            "category": "browse",
        },
        {
            "name": "Data quality",
            "href": "socialpulse/run?dag_id={DAG_ID}&run_id={RUN_ID}",
            "url_route": "data-quality",
            "destination": "dag_run",
        },
    ]
