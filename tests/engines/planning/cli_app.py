"""A `revops plan` app with one command group's commands, on a given store, for tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from revops.cli.context import AppContext


def plan_cli(db: Path, register: Callable[[Any], None]) -> typer.Typer:
    root = typer.Typer()
    plan_app = typer.Typer()
    register(plan_app)
    root.add_typer(plan_app, name="plan")

    @root.callback()
    def _options(ctx: typer.Context) -> None:
        ctx.obj = AppContext(db=db, model_path=None)

    return root
