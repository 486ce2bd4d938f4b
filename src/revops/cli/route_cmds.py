"""`revops route`: place leads with their owners, explain why, chase the ones nobody contacted,
and try a routing change on past leads before it goes live.

    revops route [--at DATETIME] [--dry-run]             stored leads waiting for an owner
    revops route --input FILE [--mapping MAP.yaml]       a file's leads, nothing stored
    revops route --explain LEAD_ID                       every decision about a lead, node by node
    revops route --fallbacks [--at DATETIME]             SLA fallback: reassign, remind
    revops route --handoffs [--at DATETIME]              SQLs on from the SDR to the hand-off node
    revops route --replay --from DATE --to DATE --model NEW.yaml
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from revops.moments import parse_moment
from revops.cli.context import AppContext, app_context
from revops.cli.output import FormatOption, OutputFormat, emit, stderr
from revops.errors import RevopsError

ROUTE_COLUMNS = ["lead_id", "assigned_to", "team", "path", "reason"]


def register(app: typer.Typer) -> None:
    app.command("route")(route)


def route(
    ctx: typer.Context,
    input_: Annotated[Optional[Path], typer.Option("--input", help="Route the leads of this file (CSV, Parquet, JSON lines) without storing them.")] = None,
    mapping: Annotated[Optional[Path], typer.Option("--mapping", help="Mapping YAML for --input, as for `revops ingest`.")] = None,
    at: Annotated[Optional[str], typer.Option("--at", help="Route as of this instant, e.g. 2026-05-15T14:30 (UTC unless an offset is given; default now).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Decide and print, store nothing.")] = False,
    limit: Annotated[Optional[int], typer.Option("--limit", min=1, help="Route at most this many stored leads (oldest first).")] = None,
    explain: Annotated[Optional[str], typer.Option("--explain", help="Show every stored routing decision about this lead, node by node.")] = None,
    fallbacks: Annotated[bool, typer.Option("--fallbacks", help="Reassign leads not contacted within routing.fallback; list reminders due.")] = False,
    handoffs: Annotated[bool, typer.Option("--handoffs", help="Route leads that became SQLs from the hand-off node of the node that placed them (SDR -> AE).")] = False,
    replay: Annotated[bool, typer.Option("--replay", help="Route the leads created --from .. --to through --model and the current model; compare.")] = False,
    start: Annotated[Optional[str], typer.Option("--from", help="--replay: first day, YYYY-MM-DD.")] = None,
    end: Annotated[Optional[str], typer.Option("--to", help="--replay: last day, YYYY-MM-DD.")] = None,
    proposed: Annotated[Optional[Path], typer.Option("--model", help="--replay: the proposed revenue model (revops.yaml).")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Route leads through the routing graph of the revenue model: rows with lead_id,
    assigned_to (a user id or a queue), team, path and reason."""
    app = app_context(ctx)
    modes = [name for name, on in (("--input", input_ is not None), ("--explain", explain is not None),
                                   ("--fallbacks", fallbacks), ("--handoffs", handoffs),
                                   ("--replay", replay)) if on]
    if len(modes) > 1:
        raise typer.BadParameter(f"{' and '.join(modes)} cannot be combined; pick one")
    if proposed is not None and not replay:
        raise typer.BadParameter("--model after `route` is the proposed model of --replay; put the model "
                                 "to route with before the command: revops --model FILE route")
    if mapping is not None and input_ is None:
        raise typer.BadParameter("--mapping goes with --input")
    if replay:
        _replay(app, start, end, proposed, fmt)
    elif explain is not None:
        _explain(app, explain, fmt)
    elif fallbacks:
        _fallbacks(app, _moment(at), dry_run, fmt)
    elif handoffs:
        _handoffs(app, _moment(at), dry_run, fmt)
    elif input_ is not None:
        _route_file(app, input_, mapping, _moment(at), fmt)
    else:
        _route_stored(app, _moment(at), dry_run, limit, fmt)


# -- modes ---------------------------------------------------------------------------------------
def _route_stored(app: AppContext, at: datetime, dry_run: bool, limit: int | None, fmt: OutputFormat) -> None:
    from revops.engines.routing.batch import route_chunks

    model = app.model()
    counts: dict[str, int] = {}
    conflicts = stored = 0
    with _open(app, write=not dry_run) as store, _RouteWriter(fmt) as out:
        for part in route_chunks(store, model, at, dry_run=dry_run, limit=limit):
            out.write(part.decisions)
            for d in part.decisions:
                counts[d.assigned_kind] = counts.get(d.assigned_kind, 0) + 1
            conflicts += len(part.conflicts)
            stored += len(part.decisions) if part.stored else 0
        if stored:
            app.record_model(store, model)
    note = "not stored (--dry-run)" if dry_run else "owners and decisions stored"
    stderr.print(f"routed {sum(counts.values())} lead(s) at {at:%Y-%m-%d %H:%M} UTC: {_kinds(counts)}; {note}"
                 + (f"; {conflicts} assigned meanwhile by someone else, left alone" if conflicts else ""),
                 highlight=False, soft_wrap=True)


class _RouteWriter:
    """Prints route rows as chunks arrive (json and csv stream; a table is printed at the end)."""

    def __init__(self, fmt: OutputFormat) -> None:
        self.fmt, self.rows, self.first = fmt, [], True

    def __enter__(self) -> _RouteWriter:
        return self

    def write(self, decisions: list[Any]) -> None:
        import sys

        if self.fmt is OutputFormat.table:
            self.rows += [{**d.row(), "path": " > ".join(d.path), "reason": d.summary} for d in decisions]
            return
        if self.fmt is OutputFormat.json:
            from revops.cli.output import to_json

            for d in decisions:
                text = "  " + to_json(d.row()).replace("\n", "\n  ")
                sys.stdout.write(("[\n" if self.first else ",\n") + text)
                self.first = False
            return
        import csv

        from revops.cli.output import _csv_cell

        writer = csv.writer(sys.stdout, lineterminator="\n")
        if self.first:
            writer.writerow(ROUTE_COLUMNS)
            self.first = False
        for d in decisions:
            row = d.row()
            writer.writerow(["" if row[c] is None else _csv_cell(row[c]) for c in ROUTE_COLUMNS])

    def __exit__(self, exc_type: object, *exc: object) -> None:
        import sys

        if exc_type is not None:
            return
        if self.fmt is OutputFormat.table:
            emit(self.rows, self.fmt, columns=ROUTE_COLUMNS)
        elif self.fmt is OutputFormat.json:
            sys.stdout.write("[]\n" if self.first else "\n]\n")
        elif self.first:
            emit([], self.fmt, columns=ROUTE_COLUMNS)


def _route_file(app: AppContext, path: Path, mapping: Path | None, at: datetime, fmt: OutputFormat) -> None:
    from revops.engines.routing.batch import fill_missing_scores, read_lead_file, route_records
    from revops.errors import IngestError

    if not path.exists():
        raise IngestError(f"file not found: {path} (read from {Path.cwd()}); check the path")
    model = app.model()
    leads, quarantined = read_lead_file(path, mapping, model)
    with _open(app, write=False) as store:
        scored = fill_missing_scores(model, leads, at, store)
        run = route_records(store, model, leads, at)
    with _RouteWriter(fmt) as out:
        out.write(run.decisions)
    counts: dict[str, int] = {}
    for d in run.decisions:
        counts[d.assigned_kind] = counts.get(d.assigned_kind, 0) + 1
    extra = f"; {scored} scored here (no score in the file)" if scored else ""
    bad = f"; {len(quarantined)} row(s) could not be read: " + "; ".join(quarantined[:3]) if quarantined else ""
    stderr.print(f"routed {len(run.decisions)} lead(s) from {path.name}: {_kinds(counts)}{extra}; "
                 f"nothing stored{bad}", highlight=False, soft_wrap=True)


def _fallbacks(app: AppContext, at: datetime, dry_run: bool, fmt: OutputFormat) -> None:
    from revops.engines.routing.fallback import ROW_COLUMNS, run_fallbacks

    model = app.model()
    if model.routing.fallback is None:
        raise RevopsError("the revenue model has no routing.fallback; add one (e.g. action: reassign_to_manager, "
                          "after: 4, unit: business_hours) to chase leads nobody contacted")
    with _open(app, write=not dry_run) as store:
        run = run_fallbacks(store, model, at, dry_run=dry_run)
        if run.moved and not dry_run:
            app.record_model(store, model)
    if fmt is OutputFormat.table:
        emit(run.rows, fmt, columns=["lead_id", "action", "previous_owner", "assigned_to", "due_at", "reason"])
    else:
        emit(run.rows, fmt, columns=list(ROW_COLUMNS) if fmt is OutputFormat.csv else None)
    counts: dict[str, int] = {}
    for r in run.rows:
        counts[r["action"]] = counts.get(r["action"], 0) + 1
    fb = model.routing.fallback
    summary = ", ".join(f"{n} {a}" for a, n in sorted(counts.items())) or "nothing due"
    stderr.print(f"fallback ({fb.action}, after {fb.after:g} {fb.unit}) at {at:%Y-%m-%d %H:%M} UTC: {summary}"
                 + ("; not stored (--dry-run)" if dry_run else ""), highlight=False, soft_wrap=True)


def _handoffs(app: AppContext, at: datetime, dry_run: bool, fmt: OutputFormat) -> None:
    from revops.engines.routing.batch import route_handoffs

    model = app.model()
    with _open(app, write=not dry_run) as store:
        run = route_handoffs(store, model, at, dry_run=dry_run)
        if run.stored:
            app.record_model(store, model)
    with _RouteWriter(fmt) as out:
        out.write(run.decisions)
    stderr.print(f"handed on {len(run.decisions)} qualified lead(s) at {at:%Y-%m-%d %H:%M} UTC"
                 + ("; not stored (--dry-run)" if dry_run else ""), highlight=False, soft_wrap=True)


def _explain(app: AppContext, lead_id: str, fmt: OutputFormat) -> None:
    from revops.engines.routing.audit import decisions_for

    with _open(app, write=False) as store:
        decisions = decisions_for(store, lead_id)
    if not decisions:
        raise RevopsError(f"no routing decision about lead {lead_id!r}; route it with `revops route` "
                          "(or check the id with `revops tables`)")
    if fmt is not OutputFormat.table:
        emit(decisions, fmt)
        return
    out = typer.echo
    for d in decisions:
        out(f"{d['decided_at']:%Y-%m-%d %H:%M} UTC  {d['trigger']}  lead {d['lead_id']}: "
            f"{d['previous_owner'] or '(no owner)'} -> {d['assigned_to'] or '(nobody)'} ({d['assigned_kind']}"
            + (f", team {d['team']}" if d["team"] else "") + f")  model {str(d['model_hash'])[:12]}")
        for step in d["steps"]:
            tested = ", ".join(f"{k}={v}" for k, v in step.get("tested", {}).items())
            out(f"  {step['node']} [{step['type']}]" + (f" ({tested})" if tested else "") + f": {step['outcome']}")
            for c in step.get("candidates", []):
                mark = "*" if c["outcome"] == "chosen" else "-"
                out(f"      {mark} {c['user_id']}: {c['why']}")
        out("")


def _replay(app: AppContext, start: str | None, end: str | None, proposed: Path | None, fmt: OutputFormat) -> None:
    from revops.engines.routing.replay import replay as run_replay
    from revops.model import load_model

    missing = [flag for flag, value in (("--from", start), ("--to", end), ("--model", proposed)) if value is None]
    if missing:
        raise typer.BadParameter(f"--replay needs {', '.join(missing)} (e.g. --from 2026-01-01 --to 2026-03-31 "
                                 "--model proposed.yaml)")
    first, last = _day(start, "--from"), _day(end, "--to")
    if last < first:
        raise typer.BadParameter(f"--to {last} is before --from {first}")
    current, new = app.model(), load_model(proposed)
    with _open(app, write=False) as store:
        report = run_replay(store, current, new, first, last)
    if fmt is OutputFormat.json:
        emit(report, fmt)
        return
    if fmt is OutputFormat.csv:
        emit(report["reps"], fmt)
        return
    stderr.print(f"replay of {report['leads']} leads created {first} .. {last}: current model "
                 f"{report['models']['current']} vs proposed {proposed} ({report['models']['proposed']})",
                 highlight=False, soft_wrap=True)
    emit(report["summary"], fmt, title="Side by side")
    emit(report["reps"], fmt, title="Load per rep")
    emit(report["teams"], fmt, title="Load per team")
    emit(report["fairness"], fmt, title="Fairness among the reps each node considered")
    stderr.print(f"{report['changed_assignments']} lead(s) would go elsewhere. SLA estimate: "
                 f"{report['sla_estimate']}", highlight=False, soft_wrap=True)


# -- helpers -------------------------------------------------------------------------------------
def _kinds(counts: dict[str, int]) -> str:
    return (f"{counts.get('user', 0)} to reps, {counts.get('queue', 0)} to queues, "
            f"{counts.get('nurture', 0)} to nurture"
            + (f", {counts['none']} not placed" if counts.get("none") else ""))


class _open:
    """The store, migrated to the current schema (routing reads v3 columns), read-only unless
    writing."""

    def __init__(self, app: AppContext, *, write: bool) -> None:
        app.require_store()
        self.app, self.write = app, write

    def __enter__(self) -> Any:
        store = self.app.store(read_only=not self.write)
        if not self.write and (not store.has_table("_schema_migrations") or store.schema_version() < 3):
            store.close()
            store = self.app.store()  # migrating adds the routing columns; no lead is written
        self.store = store
        return store

    def __exit__(self, *exc: object) -> None:
        self.store.close()


def _moment(text: str | None) -> datetime:
    try:
        return parse_moment(text)
    except RevopsError as exc:  # a malformed option is a usage error here (exit 2)
        raise typer.BadParameter(f"{exc}; e.g. 2026-05-15T14:30 (UTC): not a date and time") from None


def _day(text: str, flag: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise typer.BadParameter(f"{flag} {text!r} is not a date; write YYYY-MM-DD") from None
