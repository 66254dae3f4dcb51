"""Tasks of organic_social_daily: Facebook Pages, Instagram and X posts per account, landed, cleaned, loaded."""

from __future__ import annotations

from socialpulse.config import FIRST_RUN_LOOKBACK_VARIABLE, META_GRAPH_CONN_ID, X_API_CONN_ID
from socialpulse_airflow.assets import ENGAGEMENT_EVENTS, POST_METRICS, mark_days
from socialpulse_airflow.findings import audited, check_api_version, refused_metrics
from socialpulse_airflow.lineage import lineage
from socialpulse_airflow.lookups import lake, platform_connection, pseudonymization_secret, variable
from socialpulse_airflow.retries import fail_fast
from socialpulse_airflow.warehouse import in_warehouse, published

RAW_FOLDERS = ["facebook", "instagram", "x"]  # the raw zone's platforms; retention ages them
CLEAN_ENTITIES = ["post_metrics", "engagement_events"]
RAW_POSTS = [f"lake:raw/{platform}/posts" for platform in RAW_FOLDERS]


def _graph():
    from socialpulse.connectors.meta.connection import GraphConnection

    return platform_connection(META_GRAPH_CONN_ID, GraphConnection)


def _x():
    from socialpulse.connectors.x.connection import XConnection

    return platform_connection(X_API_CONN_ID, XConnection)


@fail_fast
def accounts(ds: str, run_id: str) -> list[str]:
    """'platform:account' of every configured account; a platform whose connection is not set is skipped."""
    from socialpulse.connectors.meta.versions import GRAPH

    graph, x = _graph(), _x()
    if graph:
        check_api_version(graph, GRAPH, ds, run_id)
    return ([f"{platform}:{account}" for platform, account in graph.sources] if graph else []) + (
        [f"x:{user}" for user in x.user_ids] if x else []
    )


@fail_fast
def extract(source: str, ds: str, run_id: str, params: dict) -> dict:
    from socialpulse.jobs.organic import FIRST_RUN_LOOKBACK_DAYS, extract_account

    platform, account = source.split(":", 1)
    connection = _x() if platform == "x" else _graph()
    first_run = int(variable(FIRST_RUN_LOOKBACK_VARIABLE, FIRST_RUN_LOOKBACK_DAYS))
    return extract_account(
        connection.client(), platform, account, ds, int(params["post_lookback_days"]), lake(), run_id, first_run
    )


@fail_fast
@lineage(outputs=[*RAW_POSTS])
def land(extracted: list[dict] | None, sources: list[str] | None, ds: str, run_id: str) -> dict:
    """Land each platform whose accounts all extracted; name the others."""
    from socialpulse.jobs.organic import ENTITY, platforms_ready
    from socialpulse.pipeline.landing import land

    ready, failed = platforms_ready(list(sources or []), list(extracted or []))
    for platform in ready:
        land(lake(), platform, ENTITY, ds, run_id, list(extracted))
    return {"landed": ready, "failed": failed}


@fail_fast
@lineage(
    inputs=[*RAW_POSTS],
    outputs=[
        "lake:clean/post_metrics",
        "lake:clean/engagement_events",
        "lake:quarantine/post_metrics",
        "lake:quarantine/engagement_events",
        "warehouse:pipeline_audit",
        "warehouse:data_quality_findings",
    ],
)
def clean(landed: dict, ds: str, run_id: str, params: dict) -> dict:
    from airflow.sdk.exceptions import AirflowSkipException

    from socialpulse.jobs.organic import clean

    if not landed["landed"]:
        raise AirflowSkipException("no organic platform landed today")
    cleaned = clean(lake(), ds, landed["landed"], pseudonymization_secret())
    refused_metrics(cleaned.pop("refused"), "post_metrics", ds, run_id)  # before the gate, which it may explain
    return audited(cleaned, run_id, params)


@fail_fast
@lineage(inputs=["lake:clean/post_metrics"], outputs=["warehouse:post_metrics_daily", "warehouse:pipeline_audit"])
def load(cleaned: dict, ds: str, run_id: str, outlet_events) -> dict:
    from socialpulse.jobs.organic import load

    mark_days(outlet_events, [POST_METRICS, ENGAGEMENT_EVENTS], ds, ds)
    loaded = in_warehouse(load, lake(), cleaned["clean_path"], run_id)
    published("organic_social_daily", run_id, ds)
    return loaded
