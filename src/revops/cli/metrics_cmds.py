"""`revops metrics`, `revops explain` and `revops snapshot`: every number from one definition."""

from __future__ import annotations

import math
from typing import Annotated, Any, Optional

import typer

from revops.cli.context import app_context
from revops.cli.output import FormatOption, OutputFormat, emit, stderr

ByOption = Annotated[Optional[str], typer.Option("--by", help="Dimensions, comma-separated: source,segment,owner,team,region,industry,product,type, a custom attribute…")]
PeriodOption = Annotated[Optional[str], typer.Option("--period", help="month, quarter or year (fiscal, from company.fiscal_year_start_month).")]
FromOption = Annotated[Optional[str], typer.Option("--from", help="First day counted, YYYY-MM-DD (on the metric's date).")]
ToOption = Annotated[Optional[str], typer.Option("--to", help="Last day counted, YYYY-MM-DD.")]
AsOfOption = Annotated[Optional[str], typer.Option("--as-of", help="Compute as the data looked at the end of this day, YYYY-MM-DD.")]
WhereOption = Annotated[Optional[str], typer.Option("--where", help="Filter in the model's expression language, e.g. \"segment = 'smb'\".")]


def register(app: typer.Typer) -> None:
    app.command("metrics")(metrics)
    app.command("explain")(explain)
    app.command("snapshot")(snapshot)


DURATION_UNITS = ("days", "months", "minutes")


def format_value(value: Any, fmt: str, unit: str | None = None) -> str:
    """A metric's value as a table shows it, by its ``format`` (and ``unit`` for plain numbers):
    currency without cents, percent and durations to one decimal, counts whole."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if fmt == "percent":
        return f"{value:.1%}"
    if fmt == "currency":
        return f"{value:,.0f}"
    if fmt in ("days", "months"):
        return f"{value:,.1f} {fmt}"
    if fmt == "ratio":
        return f"{value:.2f}x"
    if unit in DURATION_UNITS:
        return f"{value:,.1f} {unit}"
    if unit == "count" and float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.6g}" if abs(value) < 1000 else f"{value:,.0f}"


def plain_value(value: Any, unit: str | None) -> Any:
    """A metric's value as JSON and CSV hold it: full precision, and a count as a whole number
    (31, not 31.0)."""
    if unit == "count" and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def metrics(
    ctx: typer.Context,
    names: Annotated[Optional[list[str]], typer.Argument(help="Metric names (see --list).")] = None,
    by: ByOption = None, period: PeriodOption = None, start: FromOption = None, end: ToOption = None,
    as_of: AsOfOption = None, where: WhereOption = None,
    list_: Annotated[bool, typer.Option("--list", help="List the metrics: built-in and revops.yaml's.")] = False,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Compute metrics: one row per metric, period and dimension value."""
    from revops.engines import metrics as engine

    app = app_context(ctx)
    model = app.model()
    if list_:
        rows = engine.list_metrics(model)
        emit(rows if fmt is not OutputFormat.table else
             [{k: r[k] for k in ("name", "unit", "description")} for r in rows], fmt, title="Metrics")
        return
    if not names:
        raise typer.BadParameter("name at least one metric, or use --list")
    with app_context(ctx).analytics() as con:
        frame = engine.compute(con, model, names, by=by, period=period, start=start, end=end,
                               as_of=as_of, where=where)
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    listed = {m["name"]: m for m in engine.list_metrics(model)}
    if fmt is OutputFormat.table:
        for r in rows:
            m = listed.get(r["metric"], {})
            r["value"] = format_value(r["value"], m.get("format", "number"), m.get("unit"))
            for dim in (by or "").split(","):
                if dim.strip() and r.get(dim.strip()) is None:
                    r[dim.strip()] = "(none)"  # records with no value for the dimension
        title = "as of " + as_of if as_of else None
        emit(rows, fmt, title=title)
        return
    for r in rows:
        r["value"] = plain_value(r["value"], listed.get(r["metric"], {}).get("unit"))
    emit(rows, fmt)


def explain(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Metric name.")],
    by: ByOption = None, period: PeriodOption = None, start: FromOption = None, end: ToOption = None,
    as_of: AsOfOption = None, where: WhereOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Print a metric's definition, its inputs and the SQL it runs on the backend in use."""
    from revops.engines import metrics as engine

    model = app_context(ctx).model()
    with app_context(ctx).analytics() as con:
        info = engine.explain(con, model, name, by=by, period=period, start=start,
                              end=end, as_of=as_of, where=where)
    if fmt is not OutputFormat.table:
        emit(info, fmt)
        return
    out = typer.echo
    out(f"{info['metric']}: {info['description']}")
    out(f"  definition : {info['definition']}")
    out(f"  based on   : {info['based_on']}")
    out(f"  unit       : {info['unit']} ({info['format']}); good when it goes {info['direction']}")
    if info["inputs"]:
        out(f"  inputs     : {', '.join(info['inputs'])}")
    out(f"  backend    : {info['backend']}")
    for q in info["sql"]:
        out(f"\n-- {q['query']}\n{q['sql'].strip()}")


def snapshot(
    ctx: typer.Context,
    day: Annotated[Optional[str], typer.Option("--date", help="Day to snapshot, YYYY-MM-DD (default: today, UTC).")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Store the state of the open pipeline on a day, for trends and the pipeline waterfall."""
    from revops.engines.metrics.snapshot import take_snapshot

    app = app_context(ctx)
    with app.existing_store() as store:
        result = take_snapshot(store, app.model(), day)
    emit(result, fmt)
    if fmt is OutputFormat.table:
        stderr.print(f"snapshot of {result['deals']} open deals on {result['snapshot_date']} stored")
