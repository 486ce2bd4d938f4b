"""`revops demo`: build the demo company into the store."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Optional

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from revops.cli.context import app_context
from revops.cli.output import FormatOption, OutputFormat, emit, stderr
from revops.errors import RevopsError
from revops.store import schema


def _parse_today(value: Optional[str]) -> Optional[date]:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise RevopsError(f"--today {value!r} is not a date; use YYYY-MM-DD, e.g. 2026-03-31") from None


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(
        ctx: typer.Context,
        scale: Annotated[str, typer.Option("--scale", help="small (~5k leads), medium (~200k) or large (~2M).")] = "small",
        seed: Annotated[int, typer.Option("--seed", help="Random seed: same seed and --today, same company.")] = 42,
        today: Annotated[Optional[str], typer.Option("--today", help="The simulation's today, YYYY-MM-DD (default: today, UTC).")] = None,
        fmt: FormatOption = OutputFormat.table,
    ) -> None:
        """Replace the store's contents with a simulated B2B SaaS company (and its ground truth)."""
        from revops.demo.builder import build_demo, resolve_scale

        resolve_scale(scale)
        day = _parse_today(today)
        app = app_context(ctx)
        model = app.model()
        store = app.store()
        with Progress(TextColumn("[bold]demo[/] {task.description}"), BarColumn(),
                      TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                      console=stderr, transient=True) as bar:
            task = bar.add_task(f"simulating {scale} company", total=None)

            def start(total: int):
                bar.update(task, total=total, description="writing")

                def step(label: str) -> None:
                    bar.update(task, advance=1, description=label)
                return step

            try:
                build = build_demo(store, scale, seed, day, progress=start, model=model)
                app.record_model(store, model)
            finally:
                store.close()
        rows = [{"table": t, "rows": build.rows.get(t, 0)}
                for t in (*schema.TABLE_NAMES, *schema.TRUTH_TABLES)]
        decisions = build.rows.get("_routing_decisions", 0)
        if fmt is OutputFormat.json:
            emit({"source": build.source, "scale": build.scale, "seed": build.seed,
                  "today": build.today, "seconds": round(build.seconds, 2), "tables": rows,
                  "routing_decisions": decisions}, fmt)
            return
        if fmt is OutputFormat.table:
            stderr.print(f"built {build.source} (today={build.today}) in {build.seconds:.1f}s; "
                         f"{decisions:,} routing decisions (`revops route --explain LEAD_ID`)")
        emit(rows, fmt, columns=["table", "rows"], title=f"{build.source}, today {build.today}")
