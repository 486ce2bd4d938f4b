"""`revops forecast`: the period's forecast, its deals and risks, forecast calls and their
roll-up, weekly snapshots, the backtest and the accuracy by category and rep.

    revops forecast [--period 2026-Q3] [--as-of DATE] --format json
    revops forecast deals [--period P] [--as-of DATE] [--risk-only]
    revops forecast call --period P --user USER --amount N [--category commit] [--by MANAGER --note TEXT]
    revops forecast calls [--period P] [--as-of DATE] [--history]
    revops forecast backtest [--quarters N] [--weeks 1,4,8] --format json
    revops forecast snapshot [--as-of DATE]      revops forecast snapshots [--period P]
    revops forecast accuracy [--quarters N] [--week 4]
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Optional

import typer

from revops.cli.context import app_context
from revops.cli.output import FormatOption, OutputFormat, emit, plain, stderr
from revops.errors import ForecastError

forecast_app = typer.Typer(add_completion=False)

PeriodOption = Annotated[Optional[str], typer.Option("--period", help="Fiscal quarter, e.g. 2026-Q3 (default: the quarter holding the as-of day).")]
AsOfOption = Annotated[Optional[str], typer.Option("--as-of", help="Forecast as the data stood at the end of this day, YYYY-MM-DD (default: today). Nothing decided later is used.")]
RunsOption = Annotated[int, typer.Option("--runs", help="Monte Carlo runs.", min=100)]
SeedOption = Annotated[int, typer.Option("--seed", help="Monte Carlo seed: the same seed and data give the same numbers.")]

FORECAST_HELP = (
    "The forecast of a fiscal quarter as of a day: closed_won, commit, best_case, pipeline, weighted and "
    "the statistical P10, P50 and P90.\n\n"
    "commit = closed_won + open deals closing in the period called commit (the rep's category, else the "
    "stage's default); best_case = commit + those called best_case; pipeline = every open deal closing in "
    "the period; weighted = closed_won + pipeline x stage probability; pN = closed_won + the N-th percentile "
    "of a Monte Carlo over every open deal (its chance to be won inside the period, from models learned "
    "on the company's own history) and the deals not created yet that will be. See docs/forecast.md."
)
FORECAST_KEYS = ["period", "as_of", "closed_won", "commit", "best_case", "pipeline", "weighted", "p10", "p50", "p90"]


def register(app: typer.Typer) -> None:
    app.add_typer(forecast_app, name="forecast")


@forecast_app.callback(invoke_without_command=True, help=FORECAST_HELP)
def forecast(ctx: typer.Context, period: PeriodOption = None, as_of: AsOfOption = None,
             runs: RunsOption = 10_000, seed: SeedOption = 20_260_101, fmt: FormatOption = OutputFormat.table) -> None:
    if ctx.invoked_subcommand is not None:
        return
    from revops.engines import forecast as engine

    app = app_context(ctx)
    model = app.model()
    with app.existing_store(read_only=True) as store:
        fc = engine.forecast(store.ibis, model, period=period, as_of=as_of, runs=runs, seed=seed)
    _warn(fc)
    result = fc.as_dict()
    if fmt is OutputFormat.table:
        emit([{"number": k, "amount": f"{result[k]:,.0f}"} for k in FORECAST_KEYS[2:]], fmt,
             title=f"Forecast {result['period']} as of {result['as_of']}")
        if fc.creation is not None:
            stderr.print(f"P50 includes {fc.creation.expected_amount:,.0f} expected from "
                         f"{fc.creation.expected_count:.0f} deals not created yet")
    else:
        emit({k: result[k] for k in FORECAST_KEYS}, fmt)


DEAL_COLUMNS = ["opportunity_id", "owner", "stage", "category", "amount", "value", "close_date", "p_in_period",
                "p_win", "p_won", "expected", "risks", "upside"]


@forecast_app.command("deals")
def deals(ctx: typer.Context, period: PeriodOption = None, as_of: AsOfOption = None,
          risk_only: Annotated[bool, typer.Option("--risk-only", help="Only deals with at least one risk flag (upside is not a risk).")] = False,
          owner: Annotated[Optional[str], typer.Option("--owner", help="Only this owner's deals (user_id).")] = None,
          fmt: FormatOption = OutputFormat.table) -> None:
    """Every open deal of the forecast with its chance to be decided in the period (p_in_period),
    to be won when decided (p_win), both (p_won), its expected booking, its risk flags (risks, a
    list: close_date_passed, no_close_date, pushed_often, stale, no_amount, likely_to_slip,
    commit_at_risk) and upside (true: not called commit or best case, yet a 60%+ chance to be won)."""
    from revops.engines import forecast as engine
    from revops.engines.forecast.risk import risk_flags, upside_signal
    from revops.engines.forecast.world import day_date

    app = app_context(ctx)
    model = app.model()
    with app.existing_store(read_only=True) as store:
        fc = engine.forecast(store.ibis, model, period=period, as_of=as_of, runs=1000)
    _warn(fc)
    d = fc.deals.copy()
    d["risks"] = risk_flags(d)
    d["upside"] = upside_signal(d)
    d["expected"] = d["p_won"] * d["booked"]
    d["close_date"] = [day_date(c).isoformat() if c == c else None for c in d["close_day"]]
    if risk_only:
        d = d[d["risks"].map(len) > 0]
    if owner:
        d = d[d["owner"] == owner]
    d = d.sort_values("expected", ascending=False)
    rows = [{c: plain(r[c]) for c in DEAL_COLUMNS} for _, r in d.iterrows()]
    if fmt is OutputFormat.table:
        columns = ["opportunity_id", "owner", "stage", "category", "value", "close_date", "p_won", "expected", "risks",
                   "upside"]
        shown = [{**r, **{k: _money(r[k]) for k in ("value", "expected")}, "p_won": _pct(r["p_won"]),
                  "risks": ", ".join(r["risks"]), "upside": "upside" if r["upside"] else ""}
                 for r in rows[:200]]
        emit(shown, fmt, columns=columns, title=f"Deals in the forecast of {fc.period} as of {fc.as_of} ({len(rows):,})")
        if len(rows) > 200:
            stderr.print(f"first 200 of {len(rows):,} deals; --format json or csv gives them all")
    else:
        emit(rows, fmt, columns=DEAL_COLUMNS)


@forecast_app.command("call")
def call(ctx: typer.Context,
         period: Annotated[str, typer.Option("--period", help="Fiscal quarter the call is for, e.g. 2026-Q3.")],
         user: Annotated[str, typer.Option("--user", help="Whose number it is (users.user_id).")],
         amount: Annotated[float, typer.Option("--amount", help="The number, in the company currency.")],
         category: Annotated[str, typer.Option("--category", help="commit or best_case.")] = "commit",
         by: Annotated[Optional[str], typer.Option("--by", help="A manager adjusting a report's number (users.user_id above --user); needs --note.")] = None,
         note: Annotated[Optional[str], typer.Option("--note", help="Why: required for a manager's adjustment.")] = None,
         at: Annotated[Optional[str], typer.Option("--at", help="When it was submitted (default: now), YYYY-MM-DD[THH:MM].")] = None,
         fmt: FormatOption = OutputFormat.table) -> None:
    """Submit a forecast call: a rep's or manager's number for a period. Each call is a new
    version; earlier versions are kept."""
    from revops.engines.forecast.calls import submit_call
    from revops.moments import parse_moment

    app = app_context(ctx)
    model = app.model()
    with app.existing_store() as store:
        result = submit_call(store, model, period=period, user_id=user, amount=amount, category=category,
                             submitted_by=by, note=note, at=parse_moment(at, "--at", ForecastError) if at else None)
    emit(result.as_dict(), fmt)


@forecast_app.command("calls")
def calls(ctx: typer.Context, period: PeriodOption = None, as_of: AsOfOption = None,
          category: Annotated[str, typer.Option("--category", help="commit or best_case.")] = "commit",
          history: Annotated[bool, typer.Option("--history", help="Every version of every call instead of the roll-up.")] = False,
          fmt: FormatOption = OutputFormat.table) -> None:
    """The roll-up rep -> manager -> company of the calls in force at the end of --as-of: each
    person's own call (adjusted_by: the manager who changed it), the sum of their reports'
    numbers, their number, and the deal roll-ups of everyone under them."""
    from revops.engines import forecast as engine
    from revops.engines.forecast.calls import call_history, latest_calls
    from revops.engines.forecast.rollup import rollup

    app = app_context(ctx)
    model = app.model()
    with app.existing_store(read_only=True) as store:
        if history:
            frame = call_history(store, period=period)
            rows = [{k: plain(v) for k, v in r.items()} for r in frame.to_dict("records")]
            if fmt is OutputFormat.table:  # amounts in whole units, as in the roll-up
                rows = [{**r, **{k: _money(r.get(k)) for k in ("amount", "previous_amount")}} for r in rows]
            emit(rows, fmt, title=f"Forecast calls{f' for {period}' if period else ''}, every version"
                 if fmt is OutputFormat.table else None)
            return
        world = engine.load_world(store.ibis, model)
        fc = engine.forecast(store.ibis, model, period=period, as_of=as_of, world=world, by_owner=True)
        _warn(fc)
        day = fc.as_of
        in_force = latest_calls(store, period=fc.period, at=day)
        in_force = in_force[in_force["category"] == category]
        sim = fc.simulation
        rows = rollup(world.users, in_force, engine.numbers_by_owner(fc), owner_runs=sim.runs_of() if sim else None,
                      company_runs=sim.totals if sim else None)
    if fmt is OutputFormat.table:
        shown = [{"who": "  " * r["depth"] + (r["name"] or r["user_id"]), "role": r["role"],
                  "call": _money(r["call"]), "reports": _money(r["reports_call"]), "number": _money(r["number"]),
                  "closed_won": _money(r["closed_won"]), "commit": _money(r["commit"]),
                  "best_case": _money(r["best_case"]), "p10": _money(r.get("p10")), "p50": _money(r.get("p50")),
                  "p90": _money(r.get("p90")),
                  "adjusted_by": r["adjusted_by"]} for r in rows]
        emit(shown, fmt, title=f"{category} calls for {fc.period} as of {day}")
    else:
        emit(rows, fmt)


@forecast_app.command("backtest")
def backtest(ctx: typer.Context,
             quarters: Annotated[int, typer.Option("--quarters", help="How many past quarters.", min=1)] = 8,
             weeks: Annotated[str, typer.Option("--weeks", help="Weeks of each quarter to forecast as of, comma-separated.")] = "1,4,8",
             last: Annotated[Optional[str], typer.Option("--last", help="The last quarter to test (default: the last the data covers).")] = None,
             runs: RunsOption = 10_000, seed: SeedOption = 20_260_101,
             fmt: FormatOption = OutputFormat.table) -> None:
    """Re-run the forecast as of week 1, 4 and 8 of each past quarter with only what was known
    then, next to the actual bookings. Rows: period, as_of, week, actual, p10, p50, p90, weighted,
    commit (the company's commit call then; null where nobody called), commit_category,
    best_case, pipeline, closed_won. The table format adds the error of each method by week."""
    from revops.engines import forecast as engine
    from revops.engines.forecast.backtest import summarise

    try:
        week_list = tuple(int(w) for w in weeks.split(",") if w.strip())
    except ValueError:
        raise ForecastError(f"--weeks {weeks!r}: write weeks of a quarter, e.g. 1,4,8") from None
    request = engine.BacktestRequest(quarters=quarters, weeks=week_list, last=last, runs=runs, seed=seed)
    app = app_context(ctx)
    model = app.model()
    with app.existing_store(read_only=True) as store:
        world = engine.load_world(store.ibis, model)
        rows = engine.backtest(store.ibis, model, request, commit_call=_company_call(store, world.users),
                               progress=lambda m: stderr.print(m, highlight=False), world=world)
    if fmt is not OutputFormat.table:
        emit(rows, fmt)
        return
    shown = ["period", "as_of", "week", "actual", "p10", "p50", "p90", "weighted", "commit", "commit_category"]
    emit([{k: (_money(r[k]) if isinstance(r[k], float) else r[k]) for k in shown} for r in rows], fmt,
         columns=shown, title="Forecast backtest")
    emit([{k: (f"{v:.1%}" if isinstance(v, float) else v) for k, v in r.items()} for r in summarise(rows)], fmt,
         title="Mean absolute percentage error by week, and P10-P90 coverage")


@forecast_app.command("snapshot")
def snapshot(ctx: typer.Context, period: PeriodOption = None, as_of: AsOfOption = None,
             since: Annotated[Optional[str], typer.Option("--since", help="Backfill: one snapshot every 7 days from this day to --as-of, each from what was known that day.")] = None,
             runs: RunsOption = 10_000, fmt: FormatOption = OutputFormat.table) -> None:
    """Store the forecast as of --as-of (default today) in the store's _forecast_snapshots: the
    company's numbers and each owner's, with the commit calls in force. Run it weekly; taking a
    day's snapshot again replaces it."""
    from revops.engines import forecast as engine
    from revops.engines.forecast.calls import latest_calls
    from revops.engines.forecast.snapshots import take_snapshots, weekly_days
    from revops.engines.forecast.valuation import list_prices
    from revops.engines.metrics.periods import parse_date

    app = app_context(ctx)
    model = app.model()
    with app.existing_store() as store:
        world = engine.load_world(store.ibis, model)
        last = parse_date(as_of, "--as-of") or world.today_date()
        first = parse_date(since, "--since")
        days = weekly_days(first, last) if first else [last]

        def in_force(label: str, day: date):
            return latest_calls(store, period=label, at=day)

        done = take_snapshots(store, world, model, days, period=period, list_prices=list_prices(store.ibis),
                              runs=runs, calls=in_force, users=world.users,
                              progress=lambda m: stderr.print(m, highlight=False))
    if fmt is OutputFormat.table:
        done = [{k: (_money(v) if isinstance(v, float) else v) for k, v in r.items()} for r in done]
    emit(done, fmt, columns=FORECAST_KEYS if fmt is not OutputFormat.json else None,
         title="Forecast snapshots stored")


@forecast_app.command("snapshots")
def snapshots(ctx: typer.Context, period: PeriodOption = None, fmt: FormatOption = OutputFormat.table) -> None:
    """The stored company snapshots next to what each period booked (actual: null while the
    period is open), with each number's error."""
    from revops.engines.forecast.backtest import actual_bookings
    from revops.engines.forecast.snapshots import snapshot_accuracy

    app = app_context(ctx)
    model = app.model()
    with app.existing_store(read_only=True) as store:
        labels = sorted({r[0] for r in store.con.execute("SELECT DISTINCT period FROM _forecast_snapshots").fetchall()}) \
            if store.has_table("_forecast_snapshots") else []
        rows = snapshot_accuracy(store, actual_bookings(store.ibis, model, labels) if labels else {}, period)
    emit([{k: plain(v) for k, v in r.items()} for r in rows], fmt)


@forecast_app.command("accuracy")
def accuracy(ctx: typer.Context,
             quarters: Annotated[int, typer.Option("--quarters", help="How many past quarters.", min=1)] = 8,
             week: Annotated[int, typer.Option("--week", help="Week of each quarter the categories are read at.", min=1, max=13)] = 4,
             by: Annotated[str, typer.Option("--by", help="category, rep or bias.")] = "bias",
             fmt: FormatOption = OutputFormat.table) -> None:
    """Forecast accuracy reconstructed from history at --week of each past quarter: by category
    (how much of what was called commit, best_case or pipeline landed), by rep (commit and
    call against the rep's actual), and each rep's bias (sandbagging or happy ears)."""
    from revops.engines import forecast as engine
    from revops.engines.forecast.accuracy import accuracy as compute_accuracy
    from revops.engines.forecast.accuracy import median_ratio
    from revops.engines.forecast.calls import latest_calls
    from revops.engines.forecast.valuation import list_prices

    if by not in ("category", "rep", "bias"):
        raise ForecastError(f"--by {by!r}: accuracy is by category, rep or bias")
    app = app_context(ctx)
    model = app.model()
    with app.existing_store(read_only=True) as store:
        has_calls = store.has_table("_forecast_calls")
        commits: dict[tuple[str, date], dict[str, float]] = {}  # the calls in force, read once per quarter

        def rep_call(label: str, owner: str, day: date) -> float | None:
            if (label, day) not in commits:
                calls = latest_calls(store, period=label, at=day)
                mine = calls[calls["category"] == "commit"]
                commits[label, day] = {u: float(a) for u, a in zip(mine["user_id"], mine["amount"])}
            return commits[label, day].get(owner)

        world = engine.load_world(store.ibis, model)
        result = compute_accuracy(world, quarters=quarters, week=week,
                                  list_prices=list_prices(store.ibis), rep_call=rep_call if has_calls else None)
    key = {"category": "categories", "rep": "reps", "bias": "bias"}[by]
    rows = [{k: plain(v) for k, v in r.items()} for r in result[key]]
    if fmt is not OutputFormat.table:
        emit(rows, fmt)
        return
    names = {u: n for u, n in zip(world.users["user_id"], world.users["name"]) if isinstance(n, str)}
    money = ("called", "landed", "commit", "best_case", "call", "actual")
    rows = [{**({"owner": r["owner"], "name": names.get(r["owner"], "")} if "owner" in r else {}),
             **{k: (_money(v) if k in money else f"{v:.2f}" if isinstance(v, float) else v)
                for k, v in r.items()}} for r in rows]
    emit(rows, fmt, title=f"Forecast accuracy by {by} at week {week}",
         caption=_bias_caption(median_ratio(result["reps"])) if by == "bias" else None)


def _bias_caption(median: float | None) -> str:
    """How to read ``bias`` (``accuracy.rep_bias``)."""
    from revops.engines.forecast.accuracy import BIAS_BAND, MIN_ACTUAL_QUARTERS

    yardstick = f"the median rep's ({median:.2f})" if median is not None else "the median rep's (none yet)"
    return (f"bias = the rep's commit/actual over {yardstick}: above {1 + BIAS_BAND:.2f} happy ears, below "
            f"{1 - BIAS_BAND:.2f} sandbagging (a verdict needs {MIN_ACTUAL_QUARTERS}+ quarters with bookings)")


def _warn(fc: Any) -> None:
    """The forecast's warnings (``PeriodForecast.warnings``) on stderr: stdout stays the result."""
    for text in fc.warnings:
        stderr.print(f"[yellow]warning:[/] {text}", highlight=False, soft_wrap=True)


def _company_call(store: Any, users: Any):
    """The company's commit call in force on a day (``rollup.company_number``), None when
    nobody called; ``users`` is the world's (``DealWorld.users``)."""
    from revops.engines.forecast.calls import latest_calls
    from revops.engines.forecast.rollup import company_number

    if not store.has_table("_forecast_calls"):
        return None

    def commit(period: str, day: date) -> float | None:
        in_force = latest_calls(store, period=period, at=day)
        in_force = in_force[in_force["category"] == "commit"]
        if not len(in_force):
            return None
        return company_number(users, in_force)

    return commit


def _money(v: Any) -> str:
    return "" if v is None or (isinstance(v, float) and v != v) else f"{v:,.0f}"


def _pct(v: Any) -> str:
    return "" if v is None or (isinstance(v, float) and v != v) else f"{v:.0%}"
