"""`revops`: the command line. Global options come before the command:

    revops [--db PATH] [--model PATH] [--backend URL] COMMAND ...

Each command group lives in its own module and registers itself on the app.
Exit codes: 0 success, 1 bad input or bad definitions, 2 usage errors.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from revops.cli.context import AppContext, resolve_model_path
from revops.cli.output import stderr
from revops.errors import RevopsError

app = typer.Typer(
    name="revops",
    help="The open-source Revenue Operations engine.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _global_options(
    ctx: typer.Context,
    db: Annotated[Optional[Path], typer.Option("--db", help="Store file (default: $REVOPS_DB, else ./revops.duckdb).")] = None,
    model: Annotated[Optional[Path], typer.Option("--model", help="Revenue model (default: ./revops.yaml if present, else built-in).")] = None,
    backend: Annotated[Optional[str], typer.Option("--backend", envvar="REVOPS_BACKEND", help="Where `metrics` and `explain` run: spark://local[2], spark://HOST:PORT, postgresql://user:pass@host:port/db (default: the --db store). See docs/backends.md.")] = None,
) -> None:
    db_path = db or Path(os.environ.get("REVOPS_DB") or "revops.duckdb")
    ctx.obj = AppContext(db=db_path, model_path=resolve_model_path(model), backend=backend)


def _register() -> None:
    from revops.cli import (alert_cmds, attribution_cmds, audit_cmds, deal_cmds, demo_cmd, forecast_cmds,
                            handoffs_cmds, health_cmds, hygiene_cmds, identity_cmds, ingest_cmds, keys_cmds, metrics_cmds,
                            model_cmds, pipeline_cmds, plan_cmds, quality_cmds, report_cmds, revenue_cmds, route_cmds,
                            score_cmds, serve_cmd, sla_cmds, store_cmds, workflow_cmds)

    for module in (model_cmds, store_cmds, ingest_cmds, demo_cmd, metrics_cmds, sla_cmds, score_cmds,
                   route_cmds, deal_cmds, hygiene_cmds, pipeline_cmds, forecast_cmds, revenue_cmds,
                   health_cmds, handoffs_cmds, attribution_cmds, report_cmds, alert_cmds, serve_cmd, keys_cmds,
                   quality_cmds, audit_cmds, plan_cmds, identity_cmds, workflow_cmds):
        module.register(app)
    from revops.cli import sync_cmds  # `revops sync hubspot|salesforce`
    sync_cmds.register(app)


def main(argv: list[str] | None = None) -> None:
    _register()
    try:
        app(args=argv, standalone_mode=True)
    except RevopsError as exc:
        stderr.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
