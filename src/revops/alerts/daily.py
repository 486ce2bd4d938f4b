"""The daily run: pipeline snapshot, forecast snapshot, rescoring and lifecycle, then the SLA
and hygiene checks and their alerts. `revops run daily` (cron) and `revops serve --daily HH:MM`
both call ``run_daily``.

    run = run_daily(store, model, utcnow())
    run.ok, run.steps, run.alerts

A step that fails is recorded with its error and the next steps still run: one broken
forecast must not stop the SLA alerts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from revops.alerts.check import CheckResult, check_alerts


@dataclass
class DailyRun:
    at: datetime
    steps: list[dict[str, Any]] = field(default_factory=list)
    """{"step", "ok", "result"} in the order they ran."""
    alerts: CheckResult | None = None

    @property
    def ok(self) -> bool:
        return all(s["ok"] for s in self.steps) and not (self.alerts and self.alerts.failed)

    def to_dict(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(timespec="seconds"), "ok": self.ok, "steps": self.steps,
                "alerts": self.alerts.summary() if self.alerts else None}


def run_daily(store: Any, model: Any, now: datetime, *, forecast: bool = True, score: bool = True,
              dry_run: bool = False, on_step: Callable[[dict[str, Any]], None] | None = None) -> DailyRun:
    """Every step of the day on ``store`` (a writable Store); ``on_step`` hears each as it ends."""
    run = DailyRun(now)

    def step(name: str, fn: Callable[[], str]) -> None:
        try:
            run.steps.append({"step": name, "ok": True, "result": fn()})
        except Exception as exc:  # noqa: BLE001 - one failing step must not stop the alerts
            run.steps.append({"step": name, "ok": False, "result": f"{type(exc).__name__}: {exc}"})
        if on_step is not None:
            on_step(run.steps[-1])

    step("pipeline snapshot", lambda: pipeline_snapshot(store, model, now.date()))
    if forecast:
        step("forecast snapshot", lambda: forecast_snapshot(store, model, now.date()))
    if score:
        step("rescore leads", lambda: rescore(store, model, now))

    def alerts() -> str:
        run.alerts = check_alerts(store, model, dry_run=dry_run)
        s = run.alerts.summary()
        return (f"events {s['events'] or 'none'}; {s['new_alerts']} new, {s['sent']} sent, {s['failed']} failed"
                + (" (dry run)" if dry_run else ""))

    step("SLAs, hygiene and alerts", alerts)
    return run


def pipeline_snapshot(store: Any, model: Any, day: date) -> str:
    from revops.engines.metrics.snapshot import take_snapshot

    r = take_snapshot(store, model, day)
    return f"{r['deals']} open deals on {r['snapshot_date']}"


def forecast_snapshot(store: Any, model: Any, day: date) -> str:
    from revops.engines import forecast as engine
    from revops.engines.forecast.calls import latest_calls
    from revops.engines.forecast.snapshots import take_snapshots
    from revops.engines.forecast.valuation import list_prices

    world = engine.load_world(store.ibis, model)
    day = min(day, world.today_date())
    done = take_snapshots(store, world, model, [day], list_prices=list_prices(store.ibis),
                          calls=lambda label, d: latest_calls(store, period=label, at=d), users=world.users)
    return ", ".join(f"{r.get('period')} p50 {r.get('p50', 0):,.0f}" for r in done) or "nothing to snapshot"


def rescore(store: Any, model: Any, now: datetime) -> str:
    from revops.engines.scoring.combined import save_scores, score_leads
    from revops.model.sections.workflows import watched
    from revops.engines.scoring.lifecycle import advance_lifecycle

    with store.transaction():
        scored = score_leads(store, model, now)
        changed = save_scores(store, scored, feed=watched(model, "leads"))
        moves = advance_lifecycle(store, model, now)
    return f"{scored.leads:,} leads scored, {changed:,} changed; {moves.summary()}"
