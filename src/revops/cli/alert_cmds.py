"""`revops alerts check|list` and `revops run daily`: tell people about SLA breaches, deals
turning at risk and forecast changes, once; and the daily run a scheduler (cron) calls."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Optional

import typer

from revops.cli.context import app_context
from revops.cli.output import FormatOption, OutputFormat, emit, stderr

alerts_app = typer.Typer(help="Alerts to Slack and e-mail: SLA breaches, deals at risk, forecast changes.",
                         no_args_is_help=True, add_completion=False)
run_app = typer.Typer(help="Scheduled runs: `revops run daily` from cron.", no_args_is_help=True,
                      add_completion=False)

LIST_COLUMNS = ["created_at", "kind", "channel", "recipient", "record_id", "owner_id", "status", "attempts",
                "subject", "error"]


def register(app: typer.Typer) -> None:
    app.add_typer(alerts_app, name="alerts")
    app.add_typer(run_app, name="run")


@alerts_app.command("check")
def check(
    ctx: typer.Context,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Find the events and where they would go; send and record nothing.")] = False,
    at: Annotated[Optional[str], typer.Option("--at", help="Read SLA clocks and hygiene at this moment (default: now), as `revops sla status --at`.")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Find SLA breaches, deals newly at risk and forecast changes; send what was not sent
    before (and retry what failed), per the model's alerts section."""
    from revops.alerts import check_alerts
    from revops.moments import parse_moment

    app = app_context(ctx)
    model = app.model()
    with app.existing_store(read_only=dry_run) as store:
        result = check_alerts(store, model, at=parse_moment(at) if at else None, dry_run=dry_run)
    _report(result, fmt, model)
    if result.failed:
        raise typer.Exit(1)


@alerts_app.command("list")
def list_(
    ctx: typer.Context,
    status: Annotated[Optional[str], typer.Option("--status", help="queued, sent or failed.")] = None,
    kind: Annotated[Optional[str], typer.Option("--kind", help="sla_breach, deal_at_risk or forecast_change.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="The latest N alerts (0: all).")] = 200,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Every alert recorded: what, to whom, sent or failed (with the error and the attempts)."""
    from revops.alerts.delivery import STATUSES, AlertLog
    from revops.errors import RevopsError
    from revops.model.sections.alerts import ALERT_KINDS

    if status and status not in STATUSES:
        raise RevopsError(f"unknown status {status!r}; one of {', '.join(STATUSES)}")
    if kind and kind not in ALERT_KINDS:
        raise RevopsError(f"unknown kind {kind!r}; one of {', '.join(ALERT_KINDS)}")
    with app_context(ctx).existing_store(read_only=True) as store:
        rows = AlertLog(store).rows(status, kind, limit or None) if store.has_table("_alerts") else []
    for row in rows:
        row.pop("event", None) if fmt is not OutputFormat.json else None
    emit(rows, fmt, columns=LIST_COLUMNS if fmt is OutputFormat.table else None, title=f"Alerts ({len(rows)})")


@run_app.command("daily")
def daily(
    ctx: typer.Context,
    forecast: Annotated[bool, typer.Option("--forecast/--no-forecast", help="Take today's forecast snapshot (trains the forecast models: the slow step).")] = True,
    score: Annotated[bool, typer.Option("--score/--no-score", help="Rescore the stored leads (rules and the active predictive model).")] = True,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Alerts: find and route, send nothing (the snapshots and scores are still written).")] = False,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """The daily run, for cron: pipeline snapshot, forecast snapshot, rescoring, then SLA and
    hygiene checks and the alerts. A step that fails is reported and the others still run;
    the exit code is 1 if any failed."""
    from revops.alerts import check_alerts
    from revops.store.store import utcnow

    app = app_context(ctx)
    model = app.model()
    now = utcnow()
    steps: list[dict[str, Any]] = []

    def step(name: str, fn: Any) -> None:
        try:
            steps.append({"step": name, "ok": True, "result": fn()})
        except Exception as exc:  # noqa: BLE001 - one failing step must not stop the alerts
            steps.append({"step": name, "ok": False, "result": f"{type(exc).__name__}: {exc}"})
        stderr.print(f"{name}: {'ok' if steps[-1]['ok'] else 'FAILED'} {steps[-1]['result']}", highlight=False,
                     soft_wrap=True)

    with app.existing_store() as store:
        step("pipeline snapshot", lambda: _pipeline_snapshot(store, model, now.date()))
        if forecast:
            step("forecast snapshot", lambda: _forecast_snapshot(store, model, now.date()))
        if score:
            step("rescore leads", lambda: _rescore(store, model, now))
        result = None

        def alerts() -> str:
            nonlocal result
            result = check_alerts(store, model, dry_run=dry_run)
            s = result.summary()
            return (f"events {s['events'] or 'none'}; {s['new_alerts']} new, {s['sent']} sent, {s['failed']} failed"
                    + (" (dry run)" if dry_run else ""))

        step("SLAs, hygiene and alerts", alerts)
        app.record_model(store, model)
    if fmt is OutputFormat.json:
        emit({"at": now.isoformat(timespec="seconds"), "steps": steps,
              "alerts": result.summary() if result else None}, fmt)
    else:
        emit([{"step": s["step"], "ok": s["ok"], "result": str(s["result"])} for s in steps], fmt,
             columns=["step", "ok", "result"], title=f"Daily run {now:%Y-%m-%d %H:%M} UTC")
    if not all(s["ok"] for s in steps) or (result and result.failed):
        raise typer.Exit(1)


def _pipeline_snapshot(store: Any, model: Any, day: date) -> str:
    from revops.engines.metrics.snapshot import take_snapshot

    r = take_snapshot(store, model, day)
    return f"{r['deals']} open deals on {r['snapshot_date']}"


def _forecast_snapshot(store: Any, model: Any, day: date) -> str:
    from revops.engines import forecast as engine
    from revops.engines.forecast.calls import latest_calls
    from revops.engines.forecast.snapshots import take_snapshots
    from revops.engines.forecast.valuation import list_prices

    world = engine.load_world(store.ibis, model)
    day = min(day, world.today_date())
    done = take_snapshots(store, world, model, [day], list_prices=list_prices(store.ibis),
                          calls=lambda label, d: latest_calls(store, period=label, at=d), users=world.users)
    return ", ".join(f"{r.get('period')} p50 {r.get('p50', 0):,.0f}" for r in done) or "nothing to snapshot"


def _rescore(store: Any, model: Any, now: Any) -> str:
    from revops.engines.scoring.combined import save_scores, score_leads
    from revops.engines.scoring.lifecycle import advance_lifecycle

    with store.transaction():
        scored = score_leads(store, model, now)
        changed = save_scores(store, scored)
        moves = advance_lifecycle(store, model, now)
    return f"{scored.leads:,} leads scored, {changed:,} changed; {moves.summary()}"


def _report(result: Any, fmt: OutputFormat, model: Any) -> None:
    if fmt is OutputFormat.json:
        emit({**result.summary(), "alerts": result.planned}, fmt)
        return
    s = result.summary()
    found = ", ".join(f"{n} {k}" for k, n in s["events"].items()) or "no events"
    if not model.alerts.routes:
        stderr.print("no alert routes in the model (alerts.routes): nothing is sent; see docs/alerts.md",
                     highlight=False)
    emit(result.planned, fmt, columns=["kind", "destination", "record_id", "owner_id", "subject"],
         title=f"{'Would send' if result.dry_run else 'New alerts'}: {found}; {s['new_alerts']} new, "
               f"{s['already_alerted']} sent before, {s['sent']} sent, {s['failed']} failed")
    for error in result.errors:
        stderr.print(f"failed: {error}", highlight=False, soft_wrap=True)
