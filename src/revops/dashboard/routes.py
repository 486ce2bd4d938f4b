"""The dashboard's routes: sign-in, static assets, and one route per page (``pages/``).

Each page render is timed; the time is sent as ``Server-Timing: page;dur=<ms>`` (with
``cache;desc=hit|miss|stale``). A page's body is cached per store generation, viewer scope
and filters; after a write the previous body is served (marked as refreshing) while it is
rendered again in the background (``LastGood``). The shell around it (who is signed in) is
written per request.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from revops.dashboard import auth
from revops.dashboard.context import DashboardState, PageContext, data_day
from revops.dashboard.figures import Figures
from revops.dashboard.html import shell
from revops.dashboard.view import Filters, View
from revops.engines.metrics.periods import FiscalCalendar

router = APIRouter(include_in_schema=False)
STATIC = Path(__file__).parent / "static"
LONG_CACHE = "public, max-age=31536000, immutable"


def plotly_js() -> Path:
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


@router.get("/static/plotly.min.js")
async def plotly_asset() -> FileResponse:
    return FileResponse(plotly_js(), media_type="application/javascript", headers={"Cache-Control": LONG_CACHE})


@router.get("/static/{name}")
async def asset(name: str) -> Response:
    path = STATIC / name
    if name not in {p.name for p in STATIC.iterdir()}:
        return Response("not found", status_code=404)
    kind = "text/css" if name.endswith(".css") else "application/javascript"
    return FileResponse(path, media_type=kind, headers={"Cache-Control": LONG_CACHE})


@router.get("/login")
def login_page(request: Request, key: str | None = None) -> Response:
    if key:
        return auth.signed_in(request, key)
    return auth.sign_in_page()


@router.post("/login")
async def login(request: Request) -> Response:
    """The sign-in form (application/x-www-form-urlencoded, read here: no multipart parser needed)."""
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    return auth.signed_in(request, (form.get("key") or [""])[0])


@router.get("/logout")
async def logout() -> Response:
    return auth.signed_out()


def state_of(request: Request) -> DashboardState:
    found = getattr(request.app.state, "dashboard", None)
    if found is None:
        found = request.app.state.dashboard = DashboardState()
    return found


def make_view(request: Request, principal: Any) -> View:
    services = request.app.state.services
    filters = Filters.of(request.query_params)
    calendar = FiscalCalendar(services.model.company.fiscal_year_start_month)
    team = None
    if filters.team:
        team = services.cached(("dashboard", "team", filters.team), lambda: _team(services, filters.team))
    return View(principal, filters, data_day(services), calendar, team)


def _team(services: Any, team: str) -> frozenset[str]:
    with services.reader() as reader:
        return frozenset(r["user_id"] for r in reader.query("SELECT user_id FROM users WHERE team = ?", [team]))


def choices(services: Any, view: View) -> dict[str, list[tuple[str, str]]]:
    """The filter bar's options: teams, segments and owners the viewer may pick."""
    scope = view.principal.owners

    def compute() -> dict[str, list[tuple[str, str]]]:
        with services.reader() as reader:
            users = reader.query("SELECT user_id, name, team, segment FROM users WHERE user_id IS NOT NULL "
                                 "ORDER BY name, user_id")
        seen = [u for u in users if scope is None or u["user_id"] in scope]
        teams = sorted({u["team"] for u in seen if u["team"]})
        segments = sorted({u["segment"] for u in seen if u["segment"]})
        owners = [(u["user_id"], f"{u['name'] or u['user_id']} ({u['user_id']})") for u in seen]
        return {"team": [(t, t) for t in teams], "segment": [(s, s) for s in segments], "owner": owners}

    found = dict(services.cached(("dashboard", "choices", None if scope is None else tuple(sorted(scope))), compute))
    found["period"] = view.period_choices()
    return found


def page(request: Request, module: Any, **params: Any) -> Response:
    """Render page ``module`` (``KEY``, ``NAV``, ``TITLE``, ``build(ctx, **params) -> (body,
    subtitle[, title])``)
    for the signed-in viewer; 303 to /login without a session."""
    t0 = time.perf_counter()
    principal = auth.principal_of(request)
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    services = request.app.state.services
    view = make_view(request, principal)
    (body, subtitle, *title), fresh, hit = render(services, state_of(request), module, view, params)
    html = shell(view, module.NAV, title[0] if title else module.TITLE, body, choices(services, view), subtitle,
                 fresh=fresh)
    ms = (time.perf_counter() - t0) * 1000
    return HTMLResponse(html, headers={"Server-Timing": f"page;dur={ms:.1f}, cache;desc={'miss' if not hit else 'hit' if fresh else 'stale'}",
                                       "Cache-Control": "no-store"})


def render(services: Any, state: DashboardState, module: Any, view: View, params: dict[str, Any]
           ) -> tuple[tuple, bool, bool]:
    """A page's body for ``view`` from the page cache (stale-while-revalidate after a write):
    (the build's answer, fresh, hit)."""
    hit = True
    me = threading.get_ident()

    def build() -> tuple[str, str]:
        nonlocal hit
        if threading.get_ident() == me:  # rendered for this request (not a background refresh)
            hit = False
        # the server's shared session: facts built once per store generation, for every view
        with services.analytics() as con, Figures(services.metric_session(view.day), services.model, view) as figures:
            return module.build(PageContext(services, view, con, figures, state), **params)

    key = ("page", module.KEY, tuple(sorted(params.items())), view.key())
    answer, fresh = state.pages.get(services, key, build)
    return answer, fresh, hit


def _modules() -> list[Any]:
    from revops.dashboard.pages import (customers, definitions, forecast, funnel, home, leads, pipeline, quality,
                                        workflows)

    return [home, funnel, pipeline, forecast, leads, customers, quality, workflows, definitions]


PAGES = _modules()
"""The pages of the navigation, in its order."""


def _pages() -> None:
    from revops.dashboard.pages import (customers, definitions, forecast, funnel, home, leads, metric, pipeline, quality,
                                        workflows)

    @router.get("/", response_class=HTMLResponse)
    def home_page(request: Request) -> Response:
        if auth.principal_of(request) is None:
            return auth.sign_in_page()
        return page(request, home)

    for module, path in ((funnel, "/funnel"), (pipeline, "/pipeline"), (forecast, "/forecast"), (leads, "/leads"),
                         (customers, "/customers"), (quality, "/quality"), (workflows, "/workflows"),
                         (definitions, "/definitions")):
        router.add_api_route(path, _handler(module), methods=["GET"], response_class=HTMLResponse)

    @router.get("/definitions/metrics/{name}", response_class=HTMLResponse)
    def metric_page(request: Request, name: str) -> Response:
        return page(request, metric, name=name)


def _handler(module: Any):
    def handler(request: Request) -> Response:
        return page(request, module)

    handler.__name__ = f"{module.KEY}_page"
    return handler


_pages()
