"""`revops tables` and `revops status`: what the store holds, from where, how fresh."""

from __future__ import annotations

import typer

from revops.cli.context import app_context
from revops.cli.output import FormatOption, OutputFormat, emit
from revops.store import schema


def register(app: typer.Typer) -> None:
    app.command("tables")(tables)
    app.command("status")(status)


def tables(ctx: typer.Context, fmt: FormatOption = OutputFormat.table) -> None:
    """Row counts of the canonical tables."""
    app = app_context(ctx)
    if not app.db.exists():
        emit([{"table": t, "rows": 0} for t in schema.TABLE_NAMES], fmt)
        return
    with app.store(read_only=True) as store:
        counts = store.row_counts()
    emit([{"table": t, "rows": n} for t, n in counts.items()], fmt)


def _short_time(value: object) -> object:
    """A timestamp to the minute, a date as it is, for a table that fits a terminal."""
    from datetime import datetime

    return f"{value:%Y-%m-%d %H:%M}" if isinstance(value, datetime) else value


def status(ctx: typer.Context, fmt: FormatOption = OutputFormat.table) -> None:
    """What is loaded, from where, how fresh, and which model version applies."""
    from revops.store.status import store_status

    app = app_context(ctx)
    model = app.model()
    report = store_status(app.db, model, str(app.model_path or "built-in default"))
    if fmt is OutputFormat.json:
        emit(report, fmt)
        return
    rows = report["tables"]
    if fmt is OutputFormat.table:
        rows = [{**r, "newest_record": _short_time(r["newest_record"]),
                 "last_loaded_at": _short_time(r["last_loaded_at"])} for r in rows]
    emit(rows, fmt, title=f"{report['store']} · schema v{report['schema_version']} · "
                                      f"model {report['model']['hash'][:12]} ({report['model']['source']})")
    latest = report["model"].get("recorded_version")
    if fmt is OutputFormat.table:
        from revops.cli.output import stderr

        stderr.print(f"model version recorded in store: {latest or 'none yet'}; "
                     f"quarantined rows: {report['quarantined']}")
