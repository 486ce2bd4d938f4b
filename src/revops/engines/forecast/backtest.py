"""The forecast's own track record: re-run it as of week 1, 4 and 8 of each past quarter,
using only what was known then, and compare with what the quarter booked.

For each of the last ``quarters`` fiscal quarters that ended by the data's last day, and
each week w asked, the as-of day is the quarter's day 7w (the end of its w-th week). The
world known then (``DealWorld.known_at``) gives the statistical P10/P50/P90, the weighted
pipeline and the category roll-ups; the company's commit call then (``calls``) gives the
reps' commit, null where nobody called. ``actual`` is the quarter's ``won_amount`` from the
metrics layer, as the data stands now.

The models of a quarter are trained as of its first backtest day: a training row's outcome
is complete only once its own period has ended, so a later day of the same quarter would
add no complete row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np

from revops.engines.forecast.montecarlo import RUNS, SEED
from revops.engines.forecast.period import Known, forecast_period, period_bounds, train_models
from revops.engines.forecast.training import TrainingOptions
from revops.engines.forecast.world import DealWorld, day_date
from revops.engines.metrics.periods import FiscalCalendar
from revops.errors import ForecastError

WEEKS = (1, 4, 8)
METHODS = ("p50", "weighted", "commit", "commit_category", "best_case")
ROW_KEYS = ("period", "as_of", "week", "actual", "p10", "p50", "p90", "weighted", "commit", "commit_category",
            "best_case", "pipeline", "closed_won")


@dataclass(frozen=True)
class BacktestRequest:
    quarters: int = 8
    weeks: tuple[int, ...] = WEEKS
    last: str | None = None  # the last quarter to test (default: the last one the data covers)
    runs: int = RUNS
    seed: int = SEED

    def __post_init__(self) -> None:
        if self.quarters < 1:
            raise ForecastError("--quarters must be at least 1")
        if not self.weeks or any(w < 1 or w > 13 for w in self.weeks):
            raise ForecastError("--weeks are weeks of a quarter, 1 to 13, e.g. 1,4,8")


def last_complete_quarter(world: DealWorld, calendar: FiscalCalendar) -> str:
    """The last quarter that ended on or before the data's last day (and before today)."""
    last = data_last_day(world)
    end = calendar.period_end(last, "quarter")
    start = calendar.period_start(last, "quarter")
    if end > last:
        start = calendar.period_start(start - timedelta(days=1), "quarter")
    return calendar.label(start, "quarter")


def data_last_day(world: DealWorld) -> date:
    """The last day anything happened in the data (``DealWorld.last_event``)."""
    if not len(world):
        raise ForecastError("the store holds no deals to backtest a forecast on; load opportunities first")
    return day_date(world.last_event)


def quarters_to_test(world: DealWorld, calendar: FiscalCalendar, request: BacktestRequest) -> list[str]:
    last = request.last or last_complete_quarter(world, calendar)
    start, _ = period_bounds(calendar, last)
    out = [last]
    while len(out) < request.quarters:
        start = calendar.period_start(start - timedelta(days=1), "quarter")
        out.append(calendar.label(start, "quarter"))
    return out[::-1]


def run_backtest(world: DealWorld, actuals: dict[str, float], request: BacktestRequest = BacktestRequest(),
                 commit_call: Callable[[str, date], float | None] | None = None,
                 list_prices: dict[str, float] | None = None,
                 progress: Callable[[str], None] | None = None) -> list[dict[str, Any]]:
    """One row per quarter and week (see the module's docstring)."""
    calendar = FiscalCalendar(world.model.company.fiscal_year_start_month)
    rows = []
    for label in quarters_to_test(world, calendar, request):
        start, end = period_bounds(calendar, label)
        models = None
        for week in sorted(request.weeks):
            as_of = min(start + timedelta(days=7 * week - 1), end)
            known = Known.at(world, as_of, list_prices)
            if models is None:
                models = train_models(known, TrainingOptions(next_period=False))
            fc = forecast_period(known, label, models, runs=request.runs, seed=request.seed)
            n = fc.numbers
            call = commit_call(label, as_of) if commit_call else None
            rows.append({"period": label, "as_of": as_of.isoformat(), "week": week,
                         "actual": float(actuals.get(label, 0.0)), "p10": n["p10"], "p50": n["p50"],
                         "p90": n["p90"], "weighted": n["weighted"], "commit": call,
                         "commit_category": n["commit"], "best_case": n["best_case"], "pipeline": n["pipeline"],
                         "closed_won": n["closed_won"]})
            if progress:
                progress(f"{label} week {week}: p50 {n['p50']:,.0f} vs actual {actuals.get(label, 0.0):,.0f}")
    return rows


def summarise(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per week: the mean absolute percentage error of each method, and how often the
    P10-P90 range held the actual."""
    out = []
    for week in sorted({r["week"] for r in rows}):
        sel = [r for r in rows if r["week"] == week and r["actual"]]
        row: dict[str, Any] = {"week": week, "quarters": len(sel)}
        for m in METHODS:
            pairs = [(r[m], r["actual"]) for r in sel if r[m] is not None]
            row[f"mape_{m}"] = (float(np.mean([abs(f - a) / abs(a) for f, a in pairs])) if pairs else None)
        row["p10_p90_coverage"] = (float(np.mean([r["p10"] <= r["actual"] <= r["p90"] for r in sel]))
                                   if sel else None)
        out.append(row)
    return out


def actual_bookings(con: Any, model: Any, labels: list[str], today: date | None = None) -> dict[str, float]:
    """``won_amount`` per quarter from the metrics layer: the one definition of bookings."""
    from revops.engines.metrics import compute

    if not labels:
        return {}
    calendar = FiscalCalendar(model.company.fiscal_year_start_month)
    first = calendar.label_start(labels[0], "quarter")
    last = calendar.period_end(calendar.label_start(labels[-1], "quarter"), "quarter")
    frame = compute(con, model, "won_amount", period="quarter", start=first, end=last, today=today)
    return {str(p): float(v) for p, v in zip(frame["period"], frame["value"]) if p is not None}
