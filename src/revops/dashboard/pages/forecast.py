"""Forecast: the categories (closed won, commit, best case, pipeline), P10/P50/P90, the
roll-up tree by manager and rep with each person's range, and the accuracy of the stored
forecast snapshots against what each quarter booked.

The forecast engine forecasts the company; a team's or a rep's numbers are the sums over
their owners of each owner's deal numbers and simulated bookings, run by run (quantiles do
not add up; runs do), as `revops forecast calls` rolls them up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from revops.dashboard import charts
from revops.dashboard.html import cards, chart, charts as chart_row, note, section, table, text
from revops.reports.definitions import ENGINE_NUMBERS

KEY = NAV = "forecast"
TITLE = "Forecast"
CATEGORIES = ("closed_won", "commit", "best_case", "pipeline", "weighted")
RANGE = ("p10", "p50", "p90")
KEYS = CATEGORIES + RANGE


@dataclass(frozen=True)
class ForecastAnswer:
    """The company's forecast of one quarter, with what a scoped view needs to cut it down."""

    period: str
    as_of: date
    numbers: dict[str, float]
    by_owner: pd.DataFrame
    owner_runs: dict[str, np.ndarray]
    rollup: list[dict[str, Any]]
    warnings: list[str]

    def scoped(self, owners: frozenset[str] | None) -> dict[str, float]:
        """The numbers of ``owners``' deals (None: the company's, deals not created yet included)."""
        if owners is None:
            return dict(self.numbers)
        rows = self.by_owner[self.by_owner.index.isin(list(owners))]
        out = {k: float(rows[k].sum()) if k in rows else 0.0 for k in CATEGORIES}
        runs = [self.owner_runs[o] for o in owners if o in self.owner_runs]
        if runs:
            total = np.sum(runs, axis=0)
            out.update({k: out["closed_won"] + float(q) for k, q in zip(RANGE, np.quantile(total, (0.1, 0.5, 0.9)))})
        else:
            out.update({k: out["closed_won"] for k in RANGE})
        return out


def company_forecast(services: Any, state: Any, day: date, label: str) -> tuple[ForecastAnswer, bool]:
    """The forecast of quarter ``label`` as of the end of ``day`` (kept across writes: see
    ``LastGood``); (answer, fresh)."""

    def compute() -> ForecastAnswer:
        from revops.engines import forecast as engine
        from revops.engines.forecast.calls import latest_calls
        from revops.engines.forecast.rollup import rollup

        with services.analytics() as con:
            world = engine.load_world(con, services.model, day)
            fc = engine.forecast(con, services.model, period=label, as_of=day, world=world, by_owner=True)
            with services.reader() as reader:
                calls = latest_calls(reader, period=fc.period, at=day)
            calls = calls[calls["category"] == "commit"]
            by_owner = engine.numbers_by_owner(fc)
            sim = fc.simulation
            runs = sim.runs_of() if sim else {}
            tree = rollup(world.users, calls, by_owner, owner_runs=runs or None,
                          company_runs=sim.totals if sim else None)
        return ForecastAnswer(fc.period, fc.as_of, dict(fc.numbers), by_owner, runs, tree, list(fc.warnings))

    return state.slow.get(services, ("forecast", label), compute)


def tiles(ctx: Any, numbers: dict[str, float], **link: str) -> str:
    f = ctx.figures
    labels = {"closed_won": "Closed won", "commit": "Commit", "best_case": "Best case", "pipeline": "Pipeline",
              "weighted": "Weighted", "p10": "P10", "p50": "P50", "p90": "P90"}
    return cards([(labels[k], f.number(f"forecast.{k}", numbers.get(k), **link)) for k in KEYS])


def freshness(fresh: bool) -> str:
    return "" if fresh else note("Showing the forecast computed before the latest write; a fresh one is being "
                                 "computed and appears on reload.")


def build(ctx: Any) -> tuple[str, str]:
    view = ctx.view
    quarter = view.quarter
    if quarter.start > view.next_quarter().start:
        return note(f"{quarter.label} is too far ahead to forecast: pick this quarter or the next."), quarter.label
    answer, fresh = company_forecast(ctx.services, ctx.state, ctx.day, quarter.label)
    numbers = answer.scoped(view.owners)
    link = {"period": quarter.label}
    scope_note = ("The company's forecast, deals not created yet included." if view.owners is None else
                  "The forecast of the deals of the owners in view (deals not created yet are the company's and "
                  "are left out).")
    body = section(f"Forecast {answer.period} as of {answer.as_of}", tiles(ctx, numbers, **link),
                   chart_row(chart("forecast-categories", charts.bar(
                       [(k.replace("_", " "), numbers.get(k)) for k in KEYS], f"Forecast {answer.period}"))),
                   note(scope_note), freshness(fresh), *[note(w) for w in answer.warnings])
    body += _tree(ctx, answer, link)
    body += _accuracy(ctx)
    return body, (f"{quarter.label} ({quarter.start} to {quarter.end}) · as of the end of {ctx.day} · "
                  f"{ENGINE_NUMBERS['forecast.p50'][1]}")


def _tree(ctx: Any, answer: ForecastAnswer, link: dict[str, str]) -> str:
    f = ctx.figures
    owners = ctx.view.owners
    rows, attrs = [], []
    for r in answer.rollup:
        uid = r["user_id"]
        is_company = r["depth"] == 0
        if owners is not None and (is_company or uid not in owners):
            continue
        who = "Company" if is_company else (r.get("name") or uid)
        indent = "&nbsp;&nbsp;&nbsp;" * r["depth"]
        rows.append([f"{indent}{text(who)}", text(r.get("role")), *[f.number(f"forecast.{k}", r.get(k), **link)
                                                                     for k in ("closed_won", "commit", "best_case",
                                                                               "p10", "p50", "p90")],
                     f.number("forecast.call", r.get("number"), **link)])
        attrs.append(f' data-owner="{text(uid)}"')
    shown = rows[:400]
    return section("Roll-up by manager and rep",
                   table(["who", "role", "closed won", "commit", "best case", "P10", "P50", "P90", "commit call"],
                         shown, numeric=set(range(2, 9)), ident="rollup", row_attrs=attrs[:400]),
                   note("Each person's numbers cover everyone under them; the range sums their owners' simulated "
                        "bookings run by run. The commit call is the call in force (`revops forecast call`), else "
                        "the sum of their reports' calls."))


def _accuracy(ctx: Any) -> str:
    from revops.engines.forecast.backtest import actual_bookings
    from revops.engines.forecast.snapshots import snapshot_accuracy

    def compute() -> list[dict[str, Any]]:
        with ctx.services.reader() as reader:
            if not reader.has_table("_forecast_snapshots"):
                return []
            labels = sorted(r["period"] for r in reader.query("SELECT DISTINCT period FROM _forecast_snapshots"))
            if not labels:
                return []
            return snapshot_accuracy(reader, actual_bookings(ctx.con, ctx.model, labels), None)

    rows = ctx.shared("snapshot_accuracy", compute)
    if ctx.view.owners is not None:
        return section("Forecast accuracy", note("The stored snapshots are the company's: shown in the executive view."))
    if not rows:
        return section("Forecast accuracy", note("No forecast snapshots are stored yet: `revops forecast snapshot` "
                                                 "stores the forecast each week, and this shows each against what "
                                                 "the quarter booked."))
    f = ctx.figures
    last = {}
    for r in rows:
        last[r["period"]] = r
    periods = sorted(last)
    fig = charts.interval(periods, [last[p]["p10"] for p in periods], [last[p]["p50"] for p in periods],
                          [last[p]["p90"] for p in periods], "Latest snapshot per quarter against the actual",
                          [last[p]["actual"] for p in periods])
    table_rows = [[text(r["period"]), text(r["snapshot_date"]), f.number("forecast.p50", r["p50"]),
                   f.number("backtest.actual", r["actual"]),
                   f.number("snapshot.error_p50", r["error_p50"], "percent")] for r in rows[-40:]]
    return section("Forecast accuracy (stored snapshots)", chart_row(chart("forecast-accuracy", fig)),
                   table(["quarter", "snapshot", "P50", "actual", "error of the P50"], table_rows, numeric={2, 3, 4}))
