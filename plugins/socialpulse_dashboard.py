"""The Marketing dashboard inside the Airflow UI: SocialPulse's FastAPI app under /socialpulse, a nav entry to it.

The app (socialpulse_airflow/dashboard) requires Airflow's login on every route; the
view's href is relative, so it works under an api-server base_url sub-path.
"""

from typing import ClassVar

from airflow.plugins_manager import AirflowPlugin

from socialpulse_airflow.dashboard.app import app


class SocialPulseDashboard(AirflowPlugin):
    name = "socialpulse_dashboard"
    fastapi_apps: ClassVar[list[dict]] = [{"app": app, "url_prefix": "/socialpulse", "name": "SocialPulse marketing"}]
    external_views: ClassVar[list[dict]] = [{"name": "Marketing", "href": "socialpulse/", "url_route": "marketing",
                                             "destination": "nav", "category": "browse"}]
