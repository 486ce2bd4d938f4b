"""`revops ingest` and `revops quarantine`: loading files without losing a row."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from revops.cli.context import app_context
from revops.cli.output import FormatOption, OutputFormat, emit, stderr
from revops.store import schema


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)
    app.command("quarantine")(quarantine)


def ingest(
    ctx: typer.Context,
    table: Annotated[str, typer.Argument(help=f"Canonical table: {', '.join(schema.TABLE_NAMES)}.")],
    file: Annotated[Path, typer.Argument(help="CSV (any delimiter, UTF-8 or Latin-1), Parquet or JSON lines.")],
    mapping: Annotated[Optional[Path], typer.Option("--mapping", help="Mapping YAML: columns, values, formats, constants.")] = None,
    preset: Annotated[Optional[str], typer.Option("--preset", help="Column names of a CRM export: salesforce or hubspot.")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Load FILE into TABLE: upsert by id, bad rows quarantined with their reasons."""
    from revops.ingest.pipeline import ingest_file

    from revops.errors import IngestError

    if table not in schema.TABLES:
        raise IngestError(f"unknown table {table!r}; valid tables: {', '.join(schema.TABLE_NAMES)}")
    if not file.exists():
        raise IngestError(f"file not found: {file} (read from {Path.cwd()}); check the path")
    app = app_context(ctx)
    model = app.model()
    with app.store() as store:
        result = ingest_file(store, table, file, mapping=mapping, preset=preset, model=model,
                             progress=None if fmt is OutputFormat.table else False)
        app.record_model(store, model)
    data = {k: v for k, v in result.to_dict().items() if k != "run_id"}
    if fmt is OutputFormat.table:
        data.pop("warnings", None)
    emit(data, fmt)
    if fmt is OutputFormat.table:
        for warning in result.warnings:
            stderr.print(f"[yellow]warning:[/] {warning}", highlight=False, soft_wrap=True)
    if result.quarantined and fmt is OutputFormat.table:
        stderr.print(f"{result.quarantined} row(s) quarantined: see `revops quarantine --table {table}`")


def quarantine(
    ctx: typer.Context,
    table: Annotated[Optional[str], typer.Option("--table", help="Only this table.")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Rows that could not be stored, with file, row, column, value and reason."""
    from revops.ingest.pipeline import list_quarantine

    if table is not None and table not in schema.TABLES and table != "events":
        raise typer.BadParameter(f"unknown table {table!r}; valid: {', '.join(schema.TABLE_NAMES)}, events")
    app = app_context(ctx)
    if not app.db.exists():
        emit([], fmt)
        return
    with app.store(read_only=True) as store:
        rows = list_quarantine(store, table)
    if fmt is OutputFormat.table:
        rows = [{k: r[k] for k in ("table", "file", "row", "column", "value", "reason")} for r in rows]
    emit(rows, fmt, columns=["table", "file", "row", "column", "value", "reason"] if fmt is not OutputFormat.json else None)
