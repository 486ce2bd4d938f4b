"""``/health`` (and ``/healthz``): is the server up, and how is the intake doing. No token needed."""

from __future__ import annotations

from typing import Any

from dataclasses import asdict

from fastapi import APIRouter, Request

from revops.api.deps import ServicesDep

router = APIRouter(tags=["health"])


@router.get("/health", summary="Liveness and intake figures")
@router.get("/healthz", include_in_schema=False)
async def health(services: ServicesDep, request: Request) -> dict:
    intake = services.intake
    return {"status": "ok", "store": str(services.settings.db), "model_hash": intake.desk.model_hash,
            "started_at": services.started_at.isoformat() + "Z", "pending": intake.pending,
            "predictive_model_version": intake.desk.model_version, "intake": asdict(intake.stats),
            "dashboard": _dashboard(request),
            "read_cache": request.app.state.read_cache.stats() if hasattr(request.app.state, "read_cache") else None,
            "daily": {"at": services.daily.at.strftime("%H:%M") if services.daily.at else None,
                      "next_run": services.daily.next_at, "last_run": services.daily.last},
            "workflows": _workflows(services)}


def _workflows(services: Any) -> dict | None:
    """The workflow worker: whether it runs, what waits, what died, its last failed pass."""
    worker = services.workflows
    if worker is None:
        return None
    stats = worker.stats
    return {"running": worker.running, "steps_waiting": len(worker.steps), "runs_started": stats.runs_started,
            "steps_done": stats.steps_done, "steps_retried": stats.steps_retried, "steps_dead": stats.steps_dead,
            "events_read": stats.events, "cursors": dict(worker.cursors), "last_error": worker.last_error}


def _dashboard(request: Request) -> dict:
    """Whether the dashboard's start-up warm-up is done (its pages for the executive view
    rendered, the shared metric facts built), and how long it took."""
    state = getattr(request.app.state, "dashboard", None)
    seconds = getattr(state, "warm_seconds", None)
    return {"warm": seconds is not None, "warm_seconds": seconds}
