"""`revops plan comp`: payouts per person for a period under a comp plan file, from the deals
that happened (docs/planning-comp.md).

    revops plan comp --plan comp.yaml --period 2026-Q1 [--summary] [--format json]
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from revops.cli.context import app_context
from revops.cli.output import FormatOption, OutputFormat, emit, stderr

TABLE_COLUMNS = ["user_id", "plan", "quota", "credited", "attainment", "base", "variable", "spiff_pay",
                 "clawback_amount", "payout", "total_pay"]


def register(plan_app: typer.Typer) -> None:
    plan_app.command("comp")(comp)


def comp(
    ctx: typer.Context,
    plan: Annotated[Path, typer.Option("--plan", help="The comp plan file (YAML), see docs/planning-comp.md.")],
    period: Annotated[str, typer.Option("--period", help="Fiscal quarter 2026-Q1, month 2026-05 or fiscal year 2026.")],
    summary: Annotated[bool, typer.Option("--summary", help="Print the totals (total pay, bookings, cost of sales) instead of the rows.")] = False,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Payout of everyone on the plans: attainment, tiers, caps, SPIFs and clawbacks.

    JSON: one row per person with user_id, attainment, payout, quota, credited, base, variable,
    tiers_applied, spiffs, clawbacks, total_pay, bookings."""
    from revops.engines.planning.comp import simulate_comp
    from revops.engines.planning.comp_plan import StoreVocabulary, load_comp_plan

    app = app_context(ctx)
    with app.existing_store(read_only=True) as store:
        plans = load_comp_plan(plan, StoreVocabulary.read(store.con))
        run = simulate_comp(store.con, app.model(), plans, period)
    for note in run.notes:
        stderr.print(f"note: {note}", highlight=False, markup=False)
    cos = "n/a" if run.cost_of_sales is None else f"{run.cost_of_sales:.1%}"
    if summary:
        totals = run.summary()
        if fmt is OutputFormat.table:  # the notes are printed above; shares as percentages
            totals = {k: v for k, v in totals.items() if k != "notes"} | {"cost_of_sales": cos}
        emit(totals, fmt)
        return
    if fmt is OutputFormat.table:
        rows = [r | {"attainment": "n/a" if r["attainment"] is None else f"{r['attainment']:.1%}"} for r in run.rows]
        emit(rows, fmt, columns=TABLE_COLUMNS, title=f"Compensation {run.period.label}",
             caption=f"total pay {run.total_pay:,.2f} on bookings {run.bookings:,.2f}: cost of sales {cos}")
    else:
        emit(run.rows, fmt)
