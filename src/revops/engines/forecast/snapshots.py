"""Weekly forecast snapshots: what the forecast said, kept as it was said.

``take_snapshot`` stores the forecast of a period as of a day in ``_forecast_snapshots``:
one ``company`` row (every number of ``revops forecast``, and the company's commit call
then) and one ``owner`` row per owner (closed_won, commit, best_case, pipeline, weighted,
the statistical expectation, and the owner's own commit call). Taking a day's snapshot of a
period again replaces it. Run it weekly (a scheduler calling ``revops forecast snapshot``),
or backfill past weeks from history with ``since``: each week's snapshot then sees only what
was known that week.

``snapshot_accuracy`` sets the stored company rows next to what each period booked:
the record of what the forecast really said, with the model and calls of the time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pandas as pd

from revops.engines.forecast.montecarlo import RUNS, SEED
from revops.engines.forecast.period import (ForecastModels, Known, PeriodForecast, current_period,
                                            forecast_period, numbers_by_owner)
from revops.engines.forecast.world import DealWorld
from revops.store import Store
from revops.store.migrations import FORECAST_SNAPSHOT_COLUMNS
from revops.store.store import utcnow

TABLE = "_forecast_snapshots"
COMPANY = "(company)"


def take_snapshots(store: Store, world: DealWorld, model: Any, days: list[date], *, period: str | None = None,
                   list_prices: dict[str, float] | None = None, runs: int = RUNS, seed: int = SEED,
                   calls: Callable[[str, date], pd.DataFrame] | None = None, users: pd.DataFrame | None = None,
                   progress: Callable[[str], None] | None = None) -> list[dict[str, Any]]:
    """Store the forecast as of each day (of ``period``, else the quarter holding the day);
    ``calls(period, day)`` gives the calls in force that day."""
    out = []
    models: ForecastModels | None = None
    trained_for: tuple[str, str] | None = None
    for day in sorted(days):
        known = Known.at(world, day, list_prices)
        label = period or current_period(known.calendar, day)
        quarter = (known.calendar.label(day, "quarter"), label)
        if trained_for != quarter:  # train once per quarter: no training outcome completes inside it
            models = None
        fc = forecast_period(known, label, models, runs=runs, seed=seed)
        models, trained_for = fc.models or models, quarter
        in_force = calls(label, day) if calls else None
        rows = snapshot_rows(fc, in_force, users, model.hash())
        _store(store, rows, day, label)
        out.append(fc.as_dict())
        if progress:
            progress(f"{day} {label}: p50 {fc.numbers['p50']:,.0f}")
    return out


def snapshot_rows(fc: PeriodForecast, calls: pd.DataFrame | None, users: pd.DataFrame | None,
                  model_hash: str) -> pd.DataFrame:
    from revops.engines.forecast.rollup import company_number

    taken = utcnow()
    own: dict[str, float] = {}
    company_call = None
    if calls is not None and len(calls):
        commit = calls[calls["category"] == "commit"]
        own = dict(zip(commit["user_id"], commit["amount"]))
        company_call = company_number(users, commit) if users is not None else None
    expected = fc.numbers["closed_won"] + (float((fc.deals["p_won"] * fc.deals["booked"]).sum())
                                           if "p_won" in fc.deals else 0.0)
    if fc.creation is not None:
        expected += fc.creation.expected_amount
    rows = [{"level": "company", "key": COMPANY, **{k: fc.numbers[k] for k in
             ("closed_won", "commit", "best_case", "pipeline", "weighted", "p10", "p50", "p90")},
             "expected": expected, "commit_call": company_call}]
    for owner, r in numbers_by_owner(fc).iterrows():
        rows.append({"level": "owner", "key": owner, **r.to_dict(), "p10": None, "p50": None, "p90": None,
                     "commit_call": own.get(owner)})
    frame = pd.DataFrame(rows)
    frame["snapshot_date"] = fc.as_of
    frame["period"] = fc.period
    frame["taken_at"] = taken
    frame["model_hash"] = model_hash
    return frame[[c for c, _ in FORECAST_SNAPSHOT_COLUMNS]]


def _store(store: Store, rows: pd.DataFrame, day: date, period: str) -> None:
    with store.transaction() as con:
        con.execute(f"DELETE FROM {TABLE} WHERE snapshot_date = ? AND period = ?", [day, period])
        store.append(TABLE, rows)


def weekly_days(since: date, until: date) -> list[date]:
    days, d = [], until
    while d >= since:
        days.append(d)
        d -= timedelta(days=7)
    return days[::-1]


def snapshot_accuracy(store: Store, actuals: dict[str, float], period: str | None = None) -> list[dict[str, Any]]:
    """Stored company snapshots with the period's actual bookings (None while it is open)."""
    if not store.has_table(TABLE):
        return []
    sql, params = f"SELECT * FROM {TABLE} WHERE level = 'company'", []
    if period:
        sql, params = sql + " AND period = ?", [period]
    out = []
    for r in store.query(sql + " ORDER BY period, snapshot_date", params):
        actual = actuals.get(r["period"])
        row = {"period": r["period"], "snapshot_date": r["snapshot_date"], **{k: r[k] for k in (
            "closed_won", "commit", "best_case", "weighted", "p10", "p50", "p90", "commit_call")}, "actual": actual}
        for k in ("p50", "weighted", "commit", "commit_call"):
            v = r[k]
            row[f"error_{k}"] = (v - actual) / actual if actual and v is not None and v == v else None
        out.append(row)
    return out

