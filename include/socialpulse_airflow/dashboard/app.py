"""The dashboard's FastAPI app: every route behind Airflow's own login, the warehouse read-only, assets served here.

A mounted app does not inherit Airflow's authentication, so the app itself requires an
authenticated user allowed to see plugins (the UI's `_token` cookie or a bearer token).
Links and assets are relative, so the pages work under an api-server `base_url` sub-path.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path as FilePath
from typing import Annotated

from airflow.api_fastapi.auth.managers.models.resource_details import AccessView, DagAccessEntity
from airflow.api_fastapi.core_api.security import requires_access_dag, requires_access_view
from fastapi import Depends, FastAPI, HTTPException, Path, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import AfterValidator

from socialpulse.errors import RetryableError
from socialpulse_airflow.dashboard.warehouse import WarehouseUnavailableError, read_only

log = logging.getLogger(__name__)
HERE = FilePath(__file__).parent
DEFAULT_DAYS = 28
# The days a page may be asked for: wide enough for any campaign, narrow enough that a range's arithmetic
# (four weeks back, a week before) stays inside Python's dates. Outside it, FastAPI answers 422.
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(2999, 12, 31)
# Every answer: scripts, styles and images from this app only; framed by the Airflow UI (same origin) only.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'",
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}
templates = Jinja2Templates(directory=HERE / "templates")

# Served by a route: a mounted StaticFiles app would skip the login.
ASSETS = {p.name: p for p in (HERE / "static").iterdir() if p.is_file()}

# FastAPI's own docs routes would skip the app's dependencies: none are served.
app = FastAPI(
    title="SocialPulse marketing",
    dependencies=[Depends(requires_access_view(AccessView.PLUGINS))],
    docs_url=None,
    redoc_url=None,
    openapi_url=None,
)


@app.middleware("http")
async def security_headers(request: Request, call_next):
    """The SECURITY_HEADERS on every answer, errors and refusals included."""
    response = await call_next(request)
    response.headers.update(SECURITY_HEADERS)
    return response


def _in_span(day: date | None) -> date | None:
    if day is not None and not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"a day from {FIRST_DAY} to {LAST_DAY}")
    return day


Day = Annotated[date | None, Query(), AfterValidator(_in_span)]


def _range(conn, table: str, since: date | None, until: date | None) -> tuple[str, str]:
    """The chosen days, or the DEFAULT_DAYS ending at the table's newest day (a paused or backfilled pipeline's too)."""
    from socialpulse.dashboard import queries

    # Only a page opened without any date follows the data; a chosen start keeps today as its end.
    newest = queries.newest_data_day(conn, table, date.today().isoformat()) if since is None and until is None else None
    last = until or (date.fromisoformat(newest) if newest else date.today())
    first = since or last - timedelta(days=DEFAULT_DAYS - 1)
    return min(first, last).isoformat(), max(first, last).isoformat()


def _page(request: Request, name: str, read, **context) -> HTMLResponse:
    """Render a page from what `read(conn)` returns; a warehouse that cannot be read is a message, with 503."""
    try:
        with read_only() as conn:
            data = read(conn)
    except WarehouseUnavailableError as error:
        return templates.TemplateResponse(
            request, "unavailable.html", {"error": str(error), **context}, status_code=503
        )
    return templates.TemplateResponse(request, name, {**data, **context})


@app.get("/", response_class=HTMLResponse)
def overview(request: Request, since: Day = None, until: Day = None):
    """Spend, conversions, revenue, ROAS, CTR and CPC per platform and account; the latest day against the week."""
    from socialpulse.dashboard import queries

    def read(conn) -> dict:
        first, last = _range(conn, "campaign_metrics_daily", since, until)
        daily = queries.daily_totals(conn, first, last)
        return {
            "accounts": queries.overview(conn, first, last),
            "daily": daily,
            "trends": _trends(daily),
            "latest": queries.latest_against_trailing(conn, last),
            "since": first,
            "until": last,
        }

    return _page(request, "overview.html", read, page="overview")


# The overview's trend charts: (metric, label, how its axis reads).
TREND_METRICS = (
    ("spend", "spend", "{:,.0f}"),
    ("conversions", "conversions", "{:,.0f}"),
    ("revenue", "revenue", "{:,.0f}"),
    ("roas", "ROAS", "{:.2f}"),
    ("ctr", "CTR", "{:.1%}"),
    ("cpc", "CPC", "{:.2f}"),
)


def _trends(daily: list[dict]) -> dict[str, list[tuple[str, str]]]:
    """Per reporting currency, each metric's line over the days of the range (inline SVG)."""
    from socialpulse.dashboard.svg import line_chart

    by_currency: dict[str, list[dict]] = {}
    for day in daily:
        by_currency.setdefault(day["currency"], []).append(day)
    return {
        currency: [
            (label, line_chart(days, metric, "metric_date", fmt=fmt, width=190, height=110))
            for metric, label, fmt in TREND_METRICS
        ]
        for currency, days in sorted(by_currency.items(), key=lambda item: str(item[0]))
    }


@app.get("/campaigns", response_class=HTMLResponse)
def campaigns(request: Request, since: Day = None, until: Day = None):
    """Each campaign's totals, and every campaign-day Meta restated: as first reported and as now."""
    from socialpulse.dashboard import queries

    def read(conn) -> dict:
        first, last = _range(conn, "campaign_metrics_daily", since, until)
        return {
            "campaigns": queries.campaigns(conn, first, last),
            "restatements": queries.restatements(conn, first, last),
            "since": first,
            "until": last,
        }

    return _page(request, "campaigns.html", read, page="campaigns")


@app.get("/posts", response_class=HTMLResponse)
def posts(request: Request, since: Day = None, until: Day = None):
    """The posts of the range at their newest snapshot, most seen first."""
    from socialpulse.dashboard import queries

    def read(conn) -> dict:
        first, last = _range(conn, "post_metrics_daily", since, until)
        return {"posts": queries.posts(conn, first, last), "limit": 200, "since": first, "until": last}

    return _page(request, "posts.html", read, page="posts")


def _report_charts(ds: str) -> dict:
    """The PNGs of a day's audience report by name, from the lake (the version its partition names now)."""
    from airflow.models.connection import Connection
    from airflow.models.variable import Variable

    from socialpulse.config import LAKE_ROOT_VARIABLE, default_lake_root
    from socialpulse.lake import files as lake_files
    from socialpulse_airflow.lookups import configured_lake

    lake = configured_lake(
        Variable.get(LAKE_ROOT_VARIABLE, default_var=str(default_lake_root())), Connection.get_connection_from_secrets
    )
    folder = lake.root / "reports" / "audience" / f"ds={ds}"
    if not lake_files.partition_exists(folder):
        return {}
    return {p.stem: p for p in folder.glob("*.png")}


class LakeUnavailableError(RetryableError):
    """The lake (another system: a disk, an object store) could not be read; the message says so without details."""


@contextmanager
def _from_lake(what: str) -> Iterator[None]:
    """Any failure of the lake's (permissions, credentials, a store down) as LakeUnavailableError naming `what`."""
    try:
        yield
    except Exception as error:  # the store's client raises its own classes: none is a dashboard bug to show
        log.exception("the dashboard could not read %s from the lake", what)
        raise LakeUnavailableError(
            f"{what} could not be read from the lake: {type(error).__name__}; the api-server's log has the details"
        ) from error


@app.get("/audience", response_class=HTMLResponse)
def audience(request: Request):
    """Segments, the propensity model card, target audiences' sizes and the latest report's charts."""
    from socialpulse.dashboard import queries

    def read(conn) -> dict:
        found = queries.audience(conn)
        if found is None:
            return {"audience": None, "charts": []}
        try:
            with _from_lake("the audience report's charts"):
                return {"audience": found, "charts": sorted(_report_charts(found["day"]))}
        except LakeUnavailableError as error:  # the warehouse's figures are still worth showing
            return {"audience": found, "charts": [], "lake_error": str(error)}

    return _page(request, "audience.html", read, page="audience")


@app.get("/audience/{day}/{name}.png")
def audience_chart(day: Annotated[date, Path(), AfterValidator(_in_span)], name: str) -> Response:
    """A chart of an audience report, from the lake: only files the report folder holds."""
    try:
        with _from_lake("the audience report's charts"):
            charts = _report_charts(day.isoformat())
            chart = charts[name].read_bytes() if name in charts else None
    except LakeUnavailableError as error:
        raise HTTPException(503, str(error)) from None
    if chart is None:
        raise HTTPException(404, f"no chart {name} in the audience report of {day}")
    return Response(chart, media_type="image/png")


@app.get("/experiments", response_class=HTMLResponse)
def experiments(request: Request):
    """Each experiment's decision, its arms' lifts with the always-valid intervals, and every look as a chart."""
    from socialpulse.dashboard import queries
    from socialpulse.dashboard.svg import interval_chart

    def read(conn) -> dict:
        history = queries.experiment_history(conn)
        return {
            "arms": queries.experiments(conn),
            "charts": {key: interval_chart(points) for key, points in history.items()},
        }

    return _page(request, "experiments.html", read, page="experiments")


@app.get("/health", response_class=HTMLResponse)
def health(request: Request):
    """Each source's freshness against its target; rows and quarantine per entity and day; data-quality findings."""
    from airflow.models.variable import Variable

    from socialpulse.config import FRESHNESS_HOURS_VARIABLE
    from socialpulse.dashboard import queries
    from socialpulse.errors import DeclarationError
    from socialpulse.freshness import freshness, newest_day, newest_loaded_days
    from socialpulse_airflow.alerts import freshness_hours
    from socialpulse_airflow.warehouse import SOURCE_ENTITIES

    now = datetime.now(UTC)
    try:  # the targets source_freshness checks; a wrong variable is named on the page, the rest still shown
        hours, targets_error = freshness_hours(Variable.get(FRESHNESS_HOURS_VARIABLE, default_var=None)), None
    except DeclarationError as error:
        hours, targets_error = {}, str(error)

    def read(conn) -> dict:
        newest = newest_loaded_days(conn)
        sources = [
            {"dag_id": dag_id, "target_hour": hour, **freshness(newest_day(newest, SOURCE_ENTITIES[dag_id]), hour, now)}
            for dag_id, hour in sorted(hours.items())
        ]
        since, _ = _range(conn, "pipeline_audit", None, None)  # the four weeks up to the newest audited day
        return {
            "sources": sources,
            "targets_error": targets_error,
            "audit": queries.audit(conn, since),
            "findings": queries.open_findings(conn, since),
            "since": since,
        }

    return _page(request, "health.html", read, page="health")


def _outputs(dag_id: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The entities a source DAG audits and the warehouse tables it loads; none for the other DAGs. An audited
    entity that is no declared schema (the matching keys, counted only) loads no table."""
    from socialpulse.transforms import entities
    from socialpulse_airflow.warehouse import SOURCE_ENTITIES

    declared = {
        s.entity: s
        for s in (
            entities.CAMPAIGN_METRICS,
            entities.POST_METRICS,
            entities.ENGAGEMENT_EVENTS,
            entities.CRM_USERS,
            entities.CRM_ORDERS,
        )
    }
    entities = SOURCE_ENTITIES.get(dag_id, ())
    return entities, tuple(declared[e].table for e in entities if e in declared and declared[e].table)


# A run's audit, findings and quarantine paths are the DAG's: its page also needs read access to that DAG's runs.
@app.get("/run", response_class=HTMLResponse, dependencies=[Depends(requires_access_dag("GET", DagAccessEntity.RUN))])
def run(request: Request, dag_id: Annotated[str, Query(max_length=250)], run_id: Annotated[str, Query(max_length=250)]):
    """One run's page in the Airflow UI: what it audited, found and loaded."""
    from socialpulse.dashboard import queries

    entities, tables = _outputs(dag_id)
    return _page(
        request,
        "run.html",
        lambda conn: queries.run_report(conn, run_id, entities, tables),
        page="run",
        dag_id=dag_id,
        run_id=run_id,
        entities=entities,
    )


@app.get("/static/{name}")
def asset(name: str) -> FileResponse:
    """The pages' own styles and script: nothing comes from a CDN."""
    if name not in ASSETS:
        raise HTTPException(404, f"no asset {name}")
    return FileResponse(ASSETS[name])
