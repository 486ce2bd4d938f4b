"""`revops workflows list|runs|dead|replay-dead|work` and `revops events ingest`.

    revops events ingest signals.jsonl             # store each event once, then run the workflows
    revops workflows runs --workflow intent_spike --format json
    revops workflows replay-dead                   # dead steps back in the queue, and done now

While `revops serve` runs, the server does the work (POST /v1/events, GET /v1/workflows/runs,
POST /v1/workflows/replay-dead). See docs/workflows.md.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from revops.cli.context import app_context
from revops.cli.output import FormatOption, OutputFormat, emit, stderr

workflows_app = typer.Typer(help="Workflows: triggers, runs with each step, the dead-letter queue.",
                            no_args_is_help=True, add_completion=False)
events_app = typer.Typer(help="Events (signals) that start workflows.", no_args_is_help=True, add_completion=False)

LIST_COLUMNS = ["key", "enabled", "when", "steps", "runs", "running", "completed", "failed", "dead_steps",
                "last_run_at"]
RUN_COLUMNS = ["run_id", "workflow", "status", "subject_table", "subject_id", "triggered_at", "finished_at", "steps"]
DEAD_COLUMNS = ["step_key", "workflow", "subject_id", "action", "attempts", "error", "dead_at"]


def register(app: typer.Typer) -> None:
    app.add_typer(workflows_app, name="workflows")
    app.add_typer(events_app, name="events")


@workflows_app.command("list")
def list_(ctx: typer.Context, fmt: FormatOption = OutputFormat.table) -> None:
    """Each workflow of revops.yaml: its trigger in words, its steps, its runs by status."""
    from revops.orchestration.history import list_workflows

    app = app_context(ctx)
    model = app.model()
    with app.existing_store(read_only=True) as store:
        emit(list_workflows(store.con, model), fmt, columns=LIST_COLUMNS, title="Workflows")


@workflows_app.command("runs")
def runs(
    ctx: typer.Context,
    workflow: Annotated[Optional[str], typer.Option("--workflow", help="Only this workflow's runs.")] = None,
    status: Annotated[Optional[str], typer.Option("--status", help="running, waiting, completed or failed.")] = None,
    record: Annotated[Optional[str], typer.Option("--record", help="Only runs about this record id.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000)] = 50,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Runs, newest first, each with every step: status, attempts, result or error."""
    from revops.orchestration.history import list_runs

    app = app_context(ctx)
    _known(app.model(), workflow)
    with app.existing_store(read_only=True) as store:
        found = list_runs(store.con, workflow=workflow, status=status, record_id=record, limit=limit)
    if fmt is not OutputFormat.table:
        emit(found, fmt)
        return
    shown = [{**r, "steps": " > ".join(f"{s['action']}:{s['status']}" for s in r["steps"])} for r in found]
    emit(shown, fmt, columns=RUN_COLUMNS, title="Workflow runs")


@workflows_app.command("dead")
def dead(ctx: typer.Context,
         workflow: Annotated[Optional[str], typer.Option("--workflow")] = None,
         fmt: FormatOption = OutputFormat.table) -> None:
    """The dead-letter queue: steps that failed every try (or could not succeed), with the error."""
    from revops.orchestration.history import dead_letters

    app = app_context(ctx)
    _known(app.model(), workflow)
    with app.existing_store(read_only=True) as store:
        emit(dead_letters(store.con, workflow), fmt, columns=DEAD_COLUMNS, title="Dead steps")


@workflows_app.command("replay-dead")
def replay_dead(
    ctx: typer.Context,
    workflow: Annotated[Optional[str], typer.Option("--workflow", help="Only this workflow's dead steps.")] = None,
    step: Annotated[Optional[str], typer.Option("--step", help="Only this step (its step_key).")] = None,
    work: Annotated[bool, typer.Option("--work/--no-work", help="Do the replayed steps now (default), or only put them back in the queue.")] = True,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Put dead steps back in the queue with a fresh attempt budget, and do them."""
    from revops.orchestration.engine import Orchestrator, replay

    app = app_context(ctx)
    model = app.model()
    _known(model, workflow)
    with app.existing_store() as store:
        orchestrator = Orchestrator(store, model)
        try:
            found = replay(orchestrator, workflow=workflow, step=step)
            if work and found:
                orchestrator.run_until_idle()
            outcome = _outcomes(store.con, [d["step_key"] for d in found])
        finally:
            orchestrator.close()
    result = {"replayed": len(found), "steps": [{**d, "status_now": outcome.get(d["step_key"])} for d in found]}
    if fmt is not OutputFormat.table:
        emit(result, fmt)
        return
    stderr.print(f"{len(found)} dead step(s) replayed" + (" and worked" if work and found else ""), highlight=False)
    emit(result["steps"], fmt, columns=["step_key", "workflow", "action", "status_now"])


def _known(model, workflow: str | None) -> None:
    """--workflow names a workflow of the model (a typo is an error, not an empty answer)."""
    import difflib

    from revops.errors import RevopsError

    keys = [w.key for w in model.workflows]
    if workflow is not None and workflow not in keys:
        close = difflib.get_close_matches(workflow, keys, n=1)
        raise RevopsError(f"--workflow: no workflow {workflow!r} in the model"
                          + (f"; did you mean {close[0]!r}?" if close else "")
                          + (f" (workflows: {', '.join(keys)})" if keys else " (it has no workflows)"))


def _outcomes(con, keys: list[str]) -> dict[str, str]:
    if not keys:
        return {}
    return dict(con.execute("SELECT step_key, status FROM _workflow_steps WHERE step_key IN (SELECT unnest(?::VARCHAR[]))",
                            [keys]).fetchall())


@workflows_app.command("tasks")
def tasks(
    ctx: typer.Context,
    owner: Annotated[Optional[str], typer.Option("--owner", help="Only this user's tasks.")] = None,
    status: Annotated[str, typer.Option("--status", help="open (default), or all.")] = "open",
    record: Annotated[Optional[str], typer.Option("--record", help="Only tasks about this record id.")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Tasks workflows created, the soonest due first (with the CRM task id when written there)."""
    from revops.orchestration.history import list_tasks

    app = app_context(ctx)
    with app.existing_store(read_only=True) as store:
        found = list_tasks(store.con, owner_id=owner, status=None if status == "all" else status, record_id=record)
    emit(found, fmt, columns=["due_at", "owner_id", "subject", "table_name", "record_id", "status", "crm_id"],
         title="Tasks")


@workflows_app.command("lists")
def lists(
    ctx: typer.Context,
    name: Annotated[Optional[str], typer.Option("--name", help="Only this list or sequence.")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Lists and sequences workflows added records to, with each member."""
    from revops.orchestration.history import list_members

    app = app_context(ctx)
    with app.existing_store(read_only=True) as store:
        emit(list_members(store.con, name=name), fmt,
             columns=["list_kind", "list_name", "member_table", "member_id", "added_at"], title="Lists and sequences")


@workflows_app.command("work")
def work(
    ctx: typer.Context,
    forever: Annotated[bool, typer.Option("--forever", help="Keep working (new events, waits, retries, schedules) until stopped; default: until nothing is left to do now.")] = False,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Process the events and changes not processed yet and do every due step."""
    from revops.orchestration.engine import Orchestrator

    app = app_context(ctx)
    model = app.model()
    with app.existing_store() as store:
        orchestrator = Orchestrator(store, model)
        try:
            if forever:
                orchestrator.start()
                stderr.print("working; Ctrl-C stops", highlight=False)
                try:
                    while True:
                        time.sleep(3600)
                except KeyboardInterrupt:
                    pass
            else:
                orchestrator.run_until_idle()
        finally:
            orchestrator.close()
        emit(_stats(orchestrator), fmt, title="Workflows worked")


def _stats(orchestrator) -> dict:
    from dataclasses import asdict

    stats = asdict(orchestrator.stats)
    stats["seconds"] = round(stats["seconds"], 3)
    stats["steps_waiting"] = len(orchestrator.steps)
    return stats


@events_app.command("ingest")
def ingest(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="JSON lines: one event per line, as POST /v1/events takes it.")],
    source: Annotated[Optional[str], typer.Option("--source", help="Who sent these events (kept on each).")] = None,
    work: Annotated[bool, typer.Option("--work/--no-work", help="Run the workflows on them now (default).")] = True,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Store a file of events, each event_id once (bad lines quarantined with the reason), then
    run the workflows they start."""
    from revops.orchestration.ingest import ingest_events

    app = app_context(ctx)
    model = app.model()
    with app.store() as store:
        result = ingest_events(store, model, file, source=source, work=work)
    emit(result, fmt, title="Events")
    if result["quarantined"]:
        stderr.print(f"{result['quarantined']} line(s) quarantined: `revops quarantine --table events`",
                     highlight=False)
