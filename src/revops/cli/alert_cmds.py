"""`revops alerts check|list` and `revops run daily`: tell people about SLA breaches, deals
turning at risk and forecast changes, once; and the daily run a scheduler (cron) calls."""

from __future__ import annotations

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
    from revops.alerts.daily import run_daily
    from revops.store.store import utcnow

    app = app_context(ctx)
    model = app.model()
    now = utcnow()

    def said(step: dict[str, Any]) -> None:
        stderr.print(f"{step['step']}: {'ok' if step['ok'] else 'FAILED'} {step['result']}", highlight=False,
                     soft_wrap=True)

    with app.existing_store() as store:
        run = run_daily(store, model, now, forecast=forecast, score=score, dry_run=dry_run, on_step=said)
        app.record_model(store, model)
    if fmt is OutputFormat.json:
        emit(run.to_dict(), fmt)
    else:
        emit([{"step": s["step"], "ok": s["ok"], "result": str(s["result"])} for s in run.steps], fmt,
             columns=["step", "ok", "result"], title=f"Daily run {now:%Y-%m-%d %H:%M} UTC")
    if not run.ok:
        raise typer.Exit(1)


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
