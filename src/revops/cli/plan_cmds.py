"""`revops plan`: capacity, quota, territories, compensation and scenarios (docs/planning.md).

    revops plan capacity --plan capacity.yaml [--format json]    # period, ramped_reps, capacity, target, gap
    revops plan quota --target 12000000 --year 2026              # top-down and bottom-up, reconciled
    revops plan scenarios --year 2026                            # conservative, base, aggressive
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from revops.cli.context import app_context
from revops.cli.output import FormatOption, OutputFormat, emit, stderr

plan_app = typer.Typer(help="Planning: capacity, quota, territories, compensation, scenarios.", no_args_is_help=True,
                       add_completion=False)

CAPACITY_COLUMNS = ["period", "grain", "headcount", "ramped_reps", "capacity", "target", "gap", "hires_needed",
                    "hire_by", "note"]


def register(app: typer.Typer) -> None:
    from revops.cli import plan_comp_cmds, plan_territory_cmds

    plan_territory_cmds.register(plan_app)
    plan_comp_cmds.register(plan_app)
    app.add_typer(plan_app, name="plan")


@plan_app.command("capacity")
def capacity(
    ctx: typer.Context,
    plan: Annotated[Path, typer.Option("--plan", help="The capacity plan (YAML): start, months, ramp, monthly_attrition, quota_per_ramped_rep, reps, hires, targets.")],
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="Read the store's reps and history as of this day (default: today).")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Bookings capacity per month and fiscal quarter from the reps, the hiring plan, the ramp
    and attrition, against the targets; for a quarter short of its target, the hires that
    close the gap and the month they must start by."""
    from revops.engines.planning.capacity import CapacityPlan, plan_capacity, starters_of
    from revops.engines.planning.plan_file import PlanError, load_plan_file
    from revops.moments import parse_moment

    spec = load_plan_file(plan, CapacityPlan)
    app = app_context(ctx)
    model = app.model()
    day = parse_moment(as_of, "--as-of").date()
    store_reps: list = []
    productivity = spec.quota_per_ramped_rep
    notes = []
    if spec.reps is None or productivity is None:
        from revops.engines.planning.history import ramped_productivity, store_reps as read_reps

        with app.existing_store(read_only=True, hint="or give reps: and quota_per_ramped_rep: in the plan") as store:
            if spec.reps is None:
                store_reps = read_reps(store.con, spec.roles, day)
                notes.append(f"{len(store_reps)} reps ({', '.join(spec.roles)}) from the store")
            if productivity is None:
                productivity = ramped_productivity(store.con, model, spec.roles, len(spec.ramp) - 1, day)
                if not productivity:
                    raise PlanError(f"{plan}: no quota_per_ramped_rep, and the store has no bookings of ramped reps "
                                    "in the last 12 months to measure it from; set quota_per_ramped_rep")
                notes.append(f"productivity {productivity:,.0f}/month: the mean monthly bookings of a fully ramped "
                             "rep over the last 12 months")
    rows = plan_capacity(spec, starters=starters_of(spec, store_reps), productivity=productivity,
                         fiscal_start_month=model.company.fiscal_year_start_month)
    for note in notes:
        stderr.print(note, highlight=False)
    emit([r.to_dict() for r in rows], fmt, columns=CAPACITY_COLUMNS,
         caption="capacity = ramped reps x productivity; gap = target - capacity (above 0: short)")


@plan_app.command("quota")
def quota(
    ctx: typer.Context,
    target: Annotated[float, typer.Option("--target", min=0, help="The company's bookings target for the fiscal year.")],
    year: Annotated[int, typer.Option("--year", help="The fiscal year planned (named by the calendar year it ends in).")],
    over_assignment: Annotated[float, typer.Option("--over-assignment", min=0, max=1, help="Quota handed out above the target, as a share (0.1: 10%).")] = 0.1,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Each rep's quota top-down (by ramped capacity) and bottom-up (history and owned potential),
    reconciled; by team; and last year's attainment distribution."""
    from revops.engines.planning.quota import plan_quota

    app = app_context(ctx)
    model = app.model()
    with app.existing_store(read_only=True) as store:
        result = plan_quota(store.con, model, target=target, year=year, over_assignment=over_assignment)
    if fmt is OutputFormat.json:
        emit(result, fmt)
        return
    emit(result["reps"], fmt, columns=["user_id", "name", "team", "ramped_rep_months", "last_year_bookings",
                                       "potential", "top_down", "bottom_up", "reconciled"],
         title=f"Quota {result['year']}: target {target:,.0f} + {over_assignment:.0%} = {result['quota_total']:,.0f}")
    emit(result["teams"], fmt, columns=["team", "reps", "top_down", "bottom_up", "reconciled"], title="By team")
    dist = result["attainment"]
    if dist["reps"]:
        emit(dist["bands"], fmt, columns=["band", "reps"],
             title=f"Attainment {dist['year']}: {dist['at_or_above_100']:.0%} of {dist['reps']} reps at 100%+")
    else:
        result["notes"].append(f"no quota attainment for {dist['year']} (no quotas in users.quota or targets.quotas)")
    for note in result["notes"]:
        stderr.print(note, highlight=False, soft_wrap=True)


@plan_app.command("scenarios")
def scenarios(
    ctx: typer.Context,
    year: Annotated[int, typer.Option("--year", help="The fiscal year to project.")],
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="Measure the last 12 months before this day (default: today).")] = None,
    plan: Annotated[Optional[Path], typer.Option("--plan", help="A capacity plan (as `plan capacity`) covering the year: bookings are capped by each scenario's capacity, its ramp and the plan's attrition varied.")] = None,
    where: Annotated[Optional[str], typer.Option("--where", help="Measure and project only these deals, e.g. \"type = 'new_business'\" (default: every deal, renewals included).")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Conservative, base and aggressive bookings for the year, each assumption next to its
    measured value; an assumption better than history is listed as a miracle."""
    from revops.engines.metrics.periods import FiscalCalendar
    from revops.engines.planning.months import Month
    from revops.engines.planning.scenarios import measure, revops_headcount, run_scenarios
    from revops.moments import parse_moment

    app = app_context(ctx)
    model = app.model()
    day = parse_moment(as_of, "--as-of").date()
    first = Month.of(FiscalCalendar(model.company.fiscal_year_start_month).label_start(str(year), "year"))
    with app.existing_store(read_only=True) as store:
        measured = measure(store.con, model, day, where=where)
        curve = _capacity_curve(plan, store, model, day, year_first=first) if plan is not None else None
        result = run_scenarios(measured, year_months=[first.plus(i) for i in range(12)], as_of=day, capacity=curve)
        result["revops_headcount"] = revops_headcount(store.con)
    result["year"] = str(year)
    if fmt is OutputFormat.json:
        emit(result, fmt)
        return
    m = result["measured"]
    rows = [{"scenario": "measured (last 12 months)", **{k: m[k] for k in ("win_rate", "cycle_days",
                                                                          "pipeline_per_month", "monthly_attrition")},
             "bookings": m["bookings_last_12_months"], "miracles": ""}]
    rows += [{**s, "miracles": "; ".join(s["miracles"]) or "none"} for s in result["scenarios"]]
    if fmt is OutputFormat.table:
        rows = [{**r, "win_rate": f"{r['win_rate']:.1%}", "cycle_days": f"{r['cycle_days']:.0f}",
                 "pipeline_per_month": f"{r['pipeline_per_month']:,.0f}",
                 "monthly_attrition": f"{r['monthly_attrition']:.1%}", "bookings": f"{r['bookings']:,.0f}",
                 "capacity": "" if r.get("capacity") is None else f"{r['capacity']:,.0f}"} for r in rows]
    columns = ["scenario", "win_rate", "cycle_days", "pipeline_per_month", "monthly_attrition", "bookings"]
    columns += ["capacity", "months_capped_by_capacity"] if plan is not None else []
    emit(rows, fmt, columns=[*columns, "miracles"], title=f"Bookings scenarios, fiscal {year}"
         + (f" ({where})" if where else " (every deal type; --where to narrow)"))
    h = result["revops_headcount"]
    band = (f"{h['recommended_min']}" if h["recommended_min"] == h["recommended_max"]
            else f"{h['recommended_min']} to {h['recommended_max']}")
    stderr.print(f"\nRevOps headcount: {h['revops_staff']} for {h['gtm_staff']} GTM staff; one per 20-30 GTM staff "
                 f"suggests {band}.", highlight=False, soft_wrap=True)



def _capacity_curve(path: Path, store: Any, model: Any, day: Any, *, year_first: Any) -> Any:
    from revops.engines.planning.capacity import CapacityPlan, starters_of
    from revops.engines.planning.history import ramped_productivity, store_reps
    from revops.engines.planning.months import Month
    from revops.engines.planning.plan_file import PlanError, load_plan_file
    from revops.engines.planning.scenarios import capacity_curve

    spec = load_plan_file(path, CapacityPlan)
    start = Month.parse(spec.start)
    end = start.plus(spec.months - 1)
    if start > year_first or end < year_first.plus(11):
        raise PlanError(f"{path}: the plan covers {start} to {end}, not the whole fiscal year from {year_first}; "
                        "plan the year you project")
    reps = store_reps(store.con, spec.roles, day) if spec.reps is None else []
    productivity = spec.quota_per_ramped_rep or ramped_productivity(store.con, model, spec.roles, len(spec.ramp) - 1,
                                                                    day)
    if not productivity:
        raise PlanError(f"{path}: set quota_per_ramped_rep (no bookings of ramped reps to measure it from)")
    return capacity_curve(spec, starters_of(spec, reps), productivity, model.company.fiscal_year_start_month)
