"""The forecast engine: pipeline flow, forecast categories and calls, the statistical
forecast (win probability, close-date slip, deals not created yet, Monte Carlo), its
backtest and its accuracy.

    from revops.engines import forecast
    forecast.forecast(con, model, period="2026-Q3", as_of="2026-07-28").as_dict()
    forecast.pipeline_flow(con, model, start="2026-04-01", end="2026-06-30")

Every function reads the store through an Ibis backend (``Store.ibis``) into a
``DealWorld`` (``world``), and every forecast sees only the world known at its as-of day.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timezone
from typing import Any

from revops.engines.forecast.backtest import BacktestRequest, actual_bookings, quarters_to_test, run_backtest
from revops.engines.forecast.flow import FlowRequest, deal_moves
from revops.engines.forecast.flow import pipeline_flow as _flow
from revops.engines.forecast.freshness import flow_warnings, refuse_future_day, stale_data_warning
from revops.engines.forecast.montecarlo import RUNS, SEED
from revops.engines.forecast.period import (Known, PeriodForecast, current_period, forecast_period,
                                            numbers_by_owner, period_bounds)
from revops.engines.forecast.valuation import comparable_values, list_prices
from revops.engines.forecast.world import DealWorld, cutoff, load_world
from revops.engines.metrics.periods import FiscalCalendar, parse_date
from revops.errors import ForecastError

__all__ = ["BacktestRequest", "DealWorld", "FlowRequest", "Known", "PeriodForecast", "backtest", "deal_moves",
           "flow_request", "flow_warnings", "forecast", "forecast_period", "load_world", "numbers_by_owner", "pipeline_flow"]


def _today(today: date | None) -> date:
    return today or datetime.now(timezone.utc).date()


def flow_request(model: Any, *, start: str | date | None, end: str | date | None, period: str | None = None,
                 by: str | None = None) -> FlowRequest:
    """The flow's days and close-date window: ``period`` (a fiscal quarter label) when given,
    else the two days; without days, the period's first and last."""
    bounds = period_bounds(FiscalCalendar(model.company.fiscal_year_start_month), period) if period else None
    if (start is None or end is None) and bounds is None:
        raise ForecastError("pipeline flow needs --from and --to, or a --period (a fiscal quarter such as "
                            "2026-Q2: the flow runs over it)")
    first = parse_date(start, "--from") if start is not None else bounds[0]
    last = parse_date(end, "--to") if end is not None else bounds[1]
    close_from, close_to = bounds or (first, last)
    return FlowRequest(first, last, close_from, close_to, by)


def pipeline_flow(con: Any, model: Any, *, start: str | date, end: str | date, period: str | None = None,
                  by: str | None = None, today: date | None = None, world: DealWorld | None = None
                  ) -> dict[str, float] | list[dict[str, Any]]:
    """Pipeline flow between two days (``flow``, ``flow_request``)."""
    request = flow_request(model, start=start, end=end, period=period, by=by)
    if world is None:
        world = load_world(con, model, _today(today))
    values = comparable_values(world, cutoff(request.end), list_prices(con))
    return _flow(world, request, values)


def forecast(con: Any, model: Any, *, period: str | None = None, as_of: str | date | None = None,
             today: date | None = None, runs: int = RUNS, seed: int = SEED, world: DealWorld | None = None,
             by_owner: bool = False) -> PeriodForecast:
    """The forecast of a fiscal quarter (default: the one holding the as-of day) as of a day
    (default: today), from what was known at the end of that day; ``by_owner`` also keeps
    each owner's simulated bookings (for ranges in the roll-up).

    Refuses a day after today (``ForecastError``); a day long after the data's last change is
    forecast with a warning in ``PeriodForecast.warnings`` (``freshness``)."""
    day = parse_date(as_of, "--as-of") or _today(today)
    if world is None:
        world = load_world(con, model, _today(today))
    refuse_future_day(world, day)
    known = Known.at(world, day, list_prices(con))
    label = period or current_period(known.calendar, day)
    result = forecast_period(known, label, runs=runs, seed=seed, by_owner=by_owner)
    stale = stale_data_warning(world, day)
    if stale:
        result.warnings.append(stale)
    return result


def backtest(con: Any, model: Any, request: BacktestRequest = BacktestRequest(), *, today: date | None = None,
             commit_call: Callable[[str, date], float | None] | None = None,
             progress: Callable[[str], None] | None = None, world: DealWorld | None = None) -> list[dict[str, Any]]:
    """Backtest rows (``backtest``); ``commit_call(period, day)`` gives the company's commit
    call in force that day (None: nobody called)."""
    if world is None:
        world = load_world(con, model, _today(today))
    calendar = FiscalCalendar(model.company.fiscal_year_start_month)
    labels = quarters_to_test(world, calendar, request)
    actuals = actual_bookings(con, model, labels, today=_today(today))
    return run_backtest(world, actuals, request, commit_call=commit_call, list_prices=list_prices(con),
                        progress=progress)

