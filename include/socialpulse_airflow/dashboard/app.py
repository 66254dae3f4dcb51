"""The dashboard's FastAPI app: every route behind Airflow's own login, the warehouse read-only, assets served here.

A mounted app does not inherit Airflow's authentication, so the app itself requires an
authenticated user allowed to see plugins (the UI's `_token` cookie or a bearer token).
Links and assets are relative, so the pages work under an api-server `base_url` sub-path.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

from airflow.api_fastapi.auth.managers.models.resource_details import AccessView
from airflow.api_fastapi.core_api.security import requires_access_view
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates

from socialpulse_airflow.dashboard.warehouse import WarehouseUnavailableError, read_only

HERE = Path(__file__).parent
DEFAULT_DAYS = 28
templates = Jinja2Templates(directory=HERE / "templates")

# Served by a route: a mounted StaticFiles app would skip the login.
ASSETS = {p.name: p for p in (HERE / "static").iterdir() if p.is_file()}

# FastAPI's own docs routes would skip the app's dependencies: none are served.
app = FastAPI(title="SocialPulse marketing", dependencies=[Depends(requires_access_view(AccessView.PLUGINS))],
              docs_url=None, redoc_url=None, openapi_url=None)


def _range(since: date | None, until: date | None) -> tuple[str, str]:
    last = until or date.today()
    first = since or last - timedelta(days=DEFAULT_DAYS - 1)
    return min(first, last).isoformat(), max(first, last).isoformat()


def _page(request: Request, name: str, read, **context) -> HTMLResponse:
    """Render a page from what `read(conn)` returns; a warehouse that cannot be read is a message, with 503."""
    try:
        with read_only() as conn:
            data = read(conn)
    except WarehouseUnavailableError as error:
        return templates.TemplateResponse(request, "unavailable.html", {"error": str(error), **context},
                                          status_code=503)
    return templates.TemplateResponse(request, name, {**data, **context})


@app.get("/", response_class=HTMLResponse)
def overview(request: Request, since: Annotated[date | None, Query()] = None,
             until: Annotated[date | None, Query()] = None):
    """Spend, conversions, revenue, ROAS, CTR and CPC per platform and account; the latest day against the week."""
    from socialpulse.dashboard import queries

    first, last = _range(since, until)

    def read(conn) -> dict:
        return {"accounts": queries.overview(conn, first, last), "daily": queries.daily_totals(conn, first, last),
                "latest": queries.latest_against_trailing(conn, last)}

    return _page(request, "overview.html", read, since=first, until=last, page="overview")


@app.get("/experiments", response_class=HTMLResponse)
def experiments(request: Request):
    """Each experiment's decision and its arms' lifts with the always-valid intervals, as of its newest look."""
    from socialpulse.dashboard import queries

    return _page(request, "experiments.html", lambda conn: {"arms": queries.experiments(conn)}, page="experiments")


@app.get("/health", response_class=HTMLResponse)
def health(request: Request):
    """Rows and quarantine share per entity and day, and the data-quality findings, of the last four weeks."""
    from socialpulse.dashboard import queries

    since = (date.today() - timedelta(days=DEFAULT_DAYS)).isoformat()
    return _page(request, "health.html", lambda conn: {"audit": queries.audit(conn, since),
                                                       "findings": queries.open_findings(conn, since)},
                 page="health")


@app.get("/static/{name}")
def asset(name: str) -> FileResponse:
    """The pages' own styles and script: nothing comes from a CDN."""
    if name not in ASSETS:
        raise HTTPException(404, f"no asset {name}")
    return FileResponse(ASSETS[name])
