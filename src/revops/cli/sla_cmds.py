"""`revops sla status` and `revops sla breaches`: every SLA clock of the model, and the queue
of promises broken and still open."""

from __future__ import annotations

import io
import sys
from datetime import datetime
from typing import Annotated, Any, Optional

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import typer

from revops.cli.context import app_context
from revops.cli.output import FormatOption, OutputFormat, emit, stderr

sla_app = typer.Typer(help="SLA clocks: due, met and breached, and the breach queue.",
                      no_args_is_help=True, add_completion=False)

SlaOption = Annotated[Optional[str], typer.Option("--sla", help="SLA keys, comma-separated (default: every SLA in the model).")]
AtOption = Annotated[Optional[str], typer.Option("--at", help="Read the clocks at this moment: YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM], UTC unless an offset is given (default: now).")]
FromOption = Annotated[Optional[str], typer.Option("--from", help="Only clocks started on or after this day, YYYY-MM-DD.")]
ToOption = Annotated[Optional[str], typer.Option("--to", help="Only clocks started on or before this day, YYYY-MM-DD.")]

STATUS_TABLE = ("sla", "record_id", "owner_id", "state", "reminder", "started_at", "due_at", "stopped_at",
                "minutes_late", "minutes_remaining")
QUEUE_TABLE = ("sla", "record_id", "owner_name", "team", "manager_name", "due_at", "minutes_late", "fallback")


def register(app: typer.Typer) -> None:
    app.add_typer(sla_app, name="sla")


@sla_app.command("status")
def status(
    ctx: typer.Context,
    sla: SlaOption = None,
    state: Annotated[Optional[str], typer.Option("--state", help="due, met or breached (comma-separated for several).")] = None,
    open_: Annotated[bool, typer.Option("--open", help="Only clocks still running (not stopped): with --state breached, the open breaches.")] = False,
    at: AtOption = None, start: FromOption = None, end: ToOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """One row per SLA and record: when the clock started, when it is due, whether it stopped,
    and its state (due, met or breached) at --at."""
    from revops.engines import sla as engine

    model = app_context(ctx).model()
    request = engine.clock_request(at, sla, start, end)
    with app_context(ctx).analytics() as con:
        table = engine.status(con, model, request, states=(state or "").split(","), open_only=open_)
    _emit(table, fmt, STATUS_TABLE, f"SLA clocks at {request.at:%Y-%m-%d %H:%M} UTC")


@sla_app.command("breaches")
def breaches(
    ctx: typer.Context,
    sla: SlaOption = None, at: AtOption = None, start: FromOption = None, end: ToOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """The breach queue: SLAs broken and still open at --at, the longest overdue first, with
    the record's owner, their team and manager, and the SLA's fallback."""
    from revops.engines import sla as engine

    model = app_context(ctx).model()
    request = engine.clock_request(at, sla, start, end)
    with app_context(ctx).analytics() as con:
        table = engine.breach_queue(con, model, request)
    _emit(table, fmt, QUEUE_TABLE, f"Open SLA breaches at {request.at:%Y-%m-%d %H:%M} UTC")


TABLE_ROWS = 200  # a table for people shows the first rows; json and csv carry them all


def _emit(table: pa.Table, fmt: OutputFormat, columns: tuple[str, ...], title: str) -> None:
    """Arrow rows out, fast enough for millions: JSON through pandas' writer, CSV through
    Arrow's, timestamps as ISO 8601 to the second (UTC)."""
    if fmt is OutputFormat.json:
        frame = table.to_pandas(timestamp_as_object=False)
        sys.stdout.write((frame.to_json(orient="records", date_format="iso", date_unit="s", indent=2)
                          if len(frame) else "[]") + "\n")
        return
    if fmt is OutputFormat.csv:
        buf = io.BytesIO()
        pa_csv.write_csv(_iso_timestamps(table), buf)
        sys.stdout.write(buf.getvalue().decode())
        return
    if table.num_rows == 0:
        stderr.print(f"{title}: none")
        return
    shown = [{c: _cell(r.get(c)) for c in columns} for r in table.slice(0, TABLE_ROWS).to_pylist()]
    emit(shown, fmt, columns=list(columns), title=f"{title} ({table.num_rows:,})")
    if table.num_rows > TABLE_ROWS:
        stderr.print(f"first {TABLE_ROWS} of {table.num_rows:,} rows; --format json or csv gives them all")


def _iso_timestamps(table: pa.Table) -> pa.Table:
    for i, field in enumerate(table.schema):
        if pa.types.is_timestamp(field.type):
            seconds = pc.cast(table.column(i), pa.timestamp("s"), safe=False)
            table = table.set_column(i, field.name, pc.strftime(seconds, format="%Y-%m-%dT%H:%M:%S"))
    return table


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, float):
        return round(value)
    if value is False:
        return ""
    return value
