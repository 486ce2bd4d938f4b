"""`revops pipeline flow`: the pipeline waterfall between two days, reconciling exactly.

    revops pipeline flow --from DATE --to DATE [--period 2026-Q2] [--by owner|team] --format json
    revops pipeline flow --period 2026-Q2      # the flow over the quarter, of the deals closing in it
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from revops.cli.context import app_context
from revops.cli.output import FormatOption, OutputFormat, emit, stderr

pipeline_app = typer.Typer(help="The pipeline's movement: flow (waterfall) between two days.",
                           no_args_is_help=True, add_completion=False)

FLOW_HELP = (
    "How the pipeline moved between two days, in amounts that reconcile exactly: start + new + pulled_in "
    "+ increased - pushed_out - decreased - won - lost = end.\n\n"
    "Pipeline: deals open at the moment whose close date falls in the close-date window (--period, else "
    "--from to --to), at their amount (no amount: the median of comparable won deals). start is the "
    "pipeline at the start of --from, end at the end of --to. Each change of a deal in between is booked "
    "close date first (pulled_in / pushed_out), then amount (increased / decreased), then stage (won / "
    "lost, or new when a deal not open before enters the pipeline). With --by, a deal changing hands "
    "while in the pipeline is transferred_out of one group and transferred_in to the other. "
    "See docs/forecast.md."
)


def register(app: typer.Typer) -> None:
    app.add_typer(pipeline_app, name="pipeline")


@pipeline_app.command("flow", help=FLOW_HELP)
def flow(
    ctx: typer.Context,
    start: Annotated[Optional[str], typer.Option("--from", help="First day of the flow, YYYY-MM-DD (default: the --period's first day).")] = None,
    end: Annotated[Optional[str], typer.Option("--to", help="Last day of the flow, YYYY-MM-DD (default: the --period's last day).")] = None,
    period: Annotated[Optional[str], typer.Option("--period", help="Close-date window: a fiscal quarter such as 2026-Q2 (default: --from to --to).")] = None,
    by: Annotated[Optional[str], typer.Option("--by", help="owner or team: one row per group, with transfers between groups.")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    from revops.engines.forecast import flow_request, flow_warnings, load_world, pipeline_flow
    from revops.engines.forecast.flow import deals_valued

    app = app_context(ctx)
    model = app.model()
    request = flow_request(model, start=start, end=end, period=period, by=by)
    start, end = request.start.isoformat(), request.end.isoformat()
    with app.existing_store(read_only=True) as store:
        world = load_world(store.ibis, model)
        for text in flow_warnings(world, request.end):
            stderr.print(f"[yellow]warning:[/] {text}", highlight=False, soft_wrap=True)
        result = pipeline_flow(store.ibis, model, start=start, end=end, period=period, by=by, world=world)
        valued = deals_valued(world, request)
    if valued:
        stderr.print(f"note: {valued:,} deal{'s' * (valued != 1)} in the pipeline at the start or end had no "
                     f"amount: counted at the median of comparable deals won by {end} (one value per deal, so the "
                     "flow reconciles; `metrics open_pipeline --as-of` values them with what was won by its own "
                     "day)", highlight=False, soft_wrap=True)
    if isinstance(result, dict):
        if fmt is OutputFormat.table:
            emit([{"bucket": k, "amount": f"{v:,.0f}"} for k, v in result.items()], fmt,
                 title=f"Pipeline flow {start} to {end}")
        else:
            emit(result, fmt)
        return
    if fmt is OutputFormat.table:
        emit([{k: (f"{v:,.0f}" if isinstance(v, float) else v) for k, v in r.items()} for r in result], fmt,
             title=f"Pipeline flow {start} to {end} by {by}")
    else:
        emit(result, fmt)
