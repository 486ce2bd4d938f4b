"""The web dashboard served by ``revops serve`` at ``/``: the three questions (where is the
pipeline, where do deals break down, what does next quarter look like) and a page per area.

    from revops import dashboard
    dashboard.install(app)          # the routes, /static, and the forecast computed at start

Pages are server-rendered HTML (``pages/``, one module each); every number comes from the
metrics layer or an engine and links to its explanation (``/definitions/metrics/<name>``).
Charts are drawn by plotly.js served from the installed ``plotly`` package (no CDN). Sign-in
is an API key in a cookie (``auth``); what a viewer sees follows the key's role (``view``).
See docs/dashboard.md.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from revops.dashboard.routes import router

__all__ = ["install", "router"]


def install(app: Any) -> None:
    """Mount the dashboard on ``app`` and compute the slow answers (the forecasts of this
    quarter and the next) in the background once the server's services are open."""
    from revops.dashboard.context import DashboardState

    app.include_router(router)
    app.state.dashboard = DashboardState()
    opened = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: Any) -> AsyncIterator[Any]:
        from revops.dashboard.context import BACKGROUND

        async with opened(a) as state:
            BACKGROUND.reset()
            BACKGROUND.start(warm_up, "dashboard-warm-up", a)
            try:
                yield state
            finally:  # before the services (and the store) close
                await asyncio.to_thread(BACKGROUND.stop)

    app.router.lifespan_context = lifespan


def warm_up(app: Any) -> None:
    """Before the first viewer asks: the forecasts every Home and Forecast page needs, then
    every page of the executive view (which builds the shared metric session's facts, so
    other views and filters are computed from them). ``state.warm`` says when it is done
    (GET /health: ``dashboard``)."""
    import logging
    import time

    from revops.access import Principal
    from revops.dashboard.context import BACKGROUND, data_day
    from revops.dashboard.pages.forecast import company_forecast
    from revops.dashboard.routes import PAGES, render
    from revops.dashboard.view import Filters, View
    from revops.engines.metrics.periods import FiscalCalendar

    state = app.state.dashboard
    started = time.perf_counter()
    try:
        services = app.state.services
        calendar = FiscalCalendar(services.model.company.fiscal_year_start_month)
        view = View(Principal("warm-up", "admin"), Filters(), data_day(services), calendar)
        for period in (view.quarter, view.next_quarter()):
            if BACKGROUND.stopping.is_set():
                return
            company_forecast(services, state, view.day, period.label)
        for module in PAGES:
            if BACKGROUND.stopping.is_set():
                return
            render(services, state, module, view, {})
    except Exception:  # a store without deals: pages say so when asked
        logging.getLogger("revops.dashboard").warning("dashboard warm-up stopped early", exc_info=True)
    finally:
        state.warm_seconds = round(time.perf_counter() - started, 2)
        # what the warm-up keeps (forecasts, pages, metric facts' frames) lives until the data
        # changes: out of the collector's sight, as `revops serve` does with what it loads at
        # start, so full collections stay short for the lead intake (p99 +14 ms otherwise)
        gc.collect()
        gc.freeze()
