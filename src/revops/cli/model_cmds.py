"""Commands about the revenue model itself: init, validate, schema, model history/record."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from revops.cli.context import app_context
from revops.cli.output import FormatOption, OutputFormat, emit

model_app = typer.Typer(
    help="The revenue model's definition history.", no_args_is_help=True, add_completion=False,
)


def init(
    directory: Annotated[Path, typer.Argument(help="Folder to write revops.yaml into.")] = Path("."),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing revops.yaml.")] = False,
) -> None:
    """Write the default revenue model, with comments explaining each definition, to DIR/revops.yaml."""
    from revops.model import default_model_text

    target = directory / "revops.yaml"
    if target.exists() and not force:
        typer.echo(f"error: {target} already exists; use --force to overwrite it", err=True)
        raise typer.Exit(1)
    directory.mkdir(parents=True, exist_ok=True)
    target.write_text(default_model_text(), encoding="utf-8")
    typer.echo(f"Wrote {target}. Edit the definitions, then run `revops validate`.")


def validate(ctx: typer.Context, fmt: FormatOption = OutputFormat.table) -> None:
    """Check the revenue model in use (--model, ./revops.yaml, else the default); print FILE:LINE: message for each problem."""
    from revops.model.loader import check

    path = app_context(ctx).model_path
    model, issues = check(path, trust_default=True)
    errors = [i for i in issues if i.is_error]
    valid = model is not None and not errors
    if fmt is OutputFormat.json:
        emit({"valid": valid, "issues": [i.as_dict() for i in issues]}, fmt)
    elif fmt is OutputFormat.csv:
        emit([i.as_dict() for i in issues], fmt, columns=["file", "line", "severity", "message"])
    else:
        for issue in issues:
            typer.echo(str(issue))
        if valid:
            typer.echo(f"OK: {model.summary()}" + (f" ({len(issues)} warning{'s' if len(issues) != 1 else ''})" if issues else ""))
        else:
            typer.echo(f"{len(errors)} error{'s' if len(errors) != 1 else ''} in the revenue model "
                       f"({path or 'built-in default'})", err=True)
    if not valid:
        raise typer.Exit(1)


def schema() -> None:
    """Print the JSON Schema of revops.yaml (for editor completion and validation)."""
    from revops.model.schema import RevenueModel

    doc = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **RevenueModel.model_json_schema(by_alias=True),
    }
    doc["title"] = "revops.yaml — the revenue model"
    sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


@model_app.command("history")
def history(ctx: typer.Context, fmt: FormatOption = OutputFormat.table) -> None:
    """Versions of the revenue model recorded in the store, newest first, with what changed."""
    from revops.model.history import model_history

    store = app_context(ctx).store(read_only=True)
    try:
        rows = model_history(store) if store.has_table("_model_versions") else []
    finally:
        store.close()
    if fmt is OutputFormat.table:
        if not rows:
            typer.echo("No model versions recorded yet; `revops model record` records the model in use.")
            return
        rows = [{**r, "hash": r["hash"][:12], "applied_at": f"{r['applied_at']:%Y-%m-%d %H:%M:%S}"}
                for r in rows]
    emit(rows, fmt, columns=["version", "applied_at", "source", "summary", "hash"],
         title="Revenue model history")


@model_app.command("record")
def record(
    ctx: typer.Context,
    source: Annotated[Optional[str], typer.Option("--source", help="Who or what applied it (default: file and user).")] = None,
) -> None:
    """Record the revenue model in use in the store's history if it changed."""
    from revops.model.history import record_model_version

    app = app_context(ctx)
    model = app.model()
    source = source or app.model_source()
    store = app.store()
    try:
        version = record_model_version(store, model, source)
        latest = store.con.execute(
            "SELECT version, summary FROM _model_versions ORDER BY version DESC LIMIT 1").fetchone()
    finally:
        store.close()
    if version is None:
        typer.echo(f"Unchanged: the model is version {latest[0]}.")
    else:
        typer.echo(f"Recorded version {version}: {latest[1]}")


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("validate")(validate)
    app.command("schema")(schema)
    app.add_typer(model_app, name="model")
