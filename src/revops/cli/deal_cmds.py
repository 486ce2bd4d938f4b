"""`revops deal move`: move a deal into a pipeline stage through the stage's gate."""

from __future__ import annotations

import random
import sys
import time
from typing import Annotated, Optional

import typer
from rich.console import Console

from revops.cli.context import AppContext, app_context
from revops.cli.output import FormatOption, OutputFormat, emit, stderr, to_json
from revops.errors import StoreError

deal_app = typer.Typer(help="Deals: move them through the pipeline's stage gates.", no_args_is_help=True,
                       add_completion=False)

LOCK_WAIT_S = 10.0
"""How long a move waits for another revops process (a move, an ingest) to let go of the store."""


def register(app: typer.Typer) -> None:
    app.add_typer(deal_app, name="deal")


@deal_app.command("move")
def move(
    ctx: typer.Context,
    opportunity_id: Annotated[str, typer.Argument(help="The deal's opportunity_id.")],
    stage: Annotated[str, typer.Argument(help="The stage to move it into: its key (negotiation) or label.")],
    values: Annotated[Optional[list[str]], typer.Option(
        "--set", help="FIELD=VALUE to set with the move, typed as ingest types a file "
                      "(--set amount=$48,000 --set close_date=2026-09-30); FIELD= clears it. A custom field "
                      "declared in revops.yaml (custom_fields) is typed by its declared type. Repeat it.")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Move a deal into STAGE if it meets the stage's gate: the stage's required fields filled and
    its gate expressions true (revops.yaml), counting the values given with --set. Refused: exit
    1, what is missing and what fails, nothing changed. Moved: the deal is updated and a row is
    appended to opportunity_history; stages jumped over are named (skipped_stages). A declared
    custom field set for the first time gets its column in the store with the move."""
    from revops.engines.deals.moves import MoveRefused, StageMove, move_deal

    app = app_context(ctx)
    model = app.model()
    request = StageMove(opportunity_id, stage, _parse_values(values or []),
                        changed_by=app.user(), source="revops deal move")
    store = _open_store(app)
    try:
        result = move_deal(store, model, request)
    except MoveRefused as refused:
        if fmt is OutputFormat.json:
            sys.stdout.write(to_json(refused.body()) + "\n")
        stderr.print(f"[bold red]refused:[/] {refused.detail}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    finally:
        store.close()
    for note in result.notes:
        stderr.print(f"[yellow]note:[/] {note}", highlight=False, soft_wrap=True)
    if fmt is not OutputFormat.table:
        emit(result.to_dict(), fmt)
        return
    console = Console(highlight=False)
    if result.from_stage == result.stage and not result.changed_fields:
        console.print(f"{result.opportunity_id} is already in {result.stage}; nothing changed.")
        return
    line = f"Moved {result.opportunity_id} from {result.from_stage or '(no stage)'} to {result.stage}"
    if result.skipped_stages:
        line += f" [yellow](skipped {', '.join(result.skipped_stages)})[/]"
    others = [f for f in result.changed_fields if f != "stage"]
    if others:
        line += f"; changed {', '.join(others)}"
    console.print(line + ".")


def _parse_values(pairs: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise typer.BadParameter(f"{pair!r} is not FIELD=VALUE (e.g. --set amount=48000)", param_hint="--set")
        values[name.strip()] = value
    return values


def _open_store(app: AppContext):  # -> Store
    """The store for writing; another revops process holding it (DuckDB's file lock) is waited
    for up to LOCK_WAIT_S, so moves from two terminals land one after the other."""
    app.require_store()
    deadline = time.monotonic() + LOCK_WAIT_S
    while True:
        try:
            return app.store()
        except StoreError as exc:
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                raise
            time.sleep(0.05 + random.random() * 0.1)
