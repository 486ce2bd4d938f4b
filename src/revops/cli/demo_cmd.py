"""`revops demo`: build the demo company into the store."""

from __future__ import annotations

import re
from dataclasses import asdict
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from revops.cli.context import AppContext, app_context
from revops.cli.output import FormatOption, OutputFormat, emit, stderr
from revops.errors import RevopsError
from revops.store import schema

if TYPE_CHECKING:
    from revops.demo.builder import DemoBuild


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
                  "routing_decisions": decisions, "events": build.events,
                  "workflows": asdict(build.workflows) if build.workflows else None}, fmt)
            return
        if fmt is OutputFormat.table:
            stderr.print(f"built {build.source} (today={build.today}) in {build.seconds:.1f}s; "
                         f"{decisions:,} routing decisions (`revops route --explain LEAD_ID`)")
            for line in workflow_lines(build, app):
                stderr.print(line, highlight=False, markup=False, soft_wrap=True)
        emit(rows, fmt, columns=["table", "rows"], title=f"{build.source}, today {build.today}")


def workflow_lines(build: DemoBuild, app: AppContext) -> list[str]:
    """What the workflows did with the demo's events, and what to do about dead steps."""
    events = f"{build.events:,} web, product and intent events"
    worked = build.workflows
    if worked is None:
        from importlib import resources

        demo_model = resources.files("revops.demo").joinpath("revops.yaml")
        return [f"{events}; the model in use has no workflows. The demo's (an intent spike at an enterprise "
                f"account, and more) are in {demo_model}: revops --model {demo_model} demo"]
    options = "".join(f" {flag} {value}" for flag, value in (("--db", app.db), ("--model", app.model_path))
                      if value is not None)
    waiting = f", {worked.steps_waiting:,} due later (a wait or a retry)" if worked.steps_waiting else ""
    lines = [f"workflows: {worked.runs:,} runs ({worked.completed:,} completed), {worked.steps_done:,} steps done, "
             f"{worked.steps_dead:,} dead{waiting}, on {events} (revops{options} workflows runs)"]
    for error in worked.dead_errors[:3]:
        lines.append(f"  dead: {error}")
    missing = sorted({m.group(1) for e in worked.dead_errors
                      for m in [re.search(r"environment variable (\w+)", e)] if m})
    if missing:
        lines.append(f"  {' and '.join(missing)} not set, so nothing was sent: set it (for a Slack channel, "
                     f"to an incoming-webhook URL), then replay the dead steps:")
    elif worked.steps_dead:
        lines.append("  fix the cause, then replay the dead steps:")
    if worked.steps_dead:
        lines.append(f"  revops{options} workflows replay-dead")
    return lines
