"""``/v1/runs/daily``: the daily run (snapshots, rescoring, SLA and hygiene alerts) now, on the
server's store, as `revops run daily` does it from cron. Admin and ops keys."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from revops.api.deps import PrincipalDep, ServicesDep, allow
from revops.api.schemas.errors import ErrorAnswer

router = APIRouter(tags=["runs"])


@router.post("/runs/daily", summary="Run the daily job now: snapshots, rescoring, SLA and hygiene alerts",
             responses={403: {"model": ErrorAnswer}})
def post_daily(principal: PrincipalDep, services: ServicesDep,
               forecast: bool = Query(True, description="Take today's forecast snapshot (the slow step)."),
               score: bool = Query(True, description="Rescore the stored leads."),
               dry_run: bool = Query(False, description="Alerts: find and route, send nothing.")) -> dict[str, Any]:
    """Leads sent meanwhile wait in the intake's queue and are stored right after the run.
    The answer lists each step with ok and its result; a failed step does not stop the others."""
    allow(principal, "admin", "ops", doing="start the daily run")
    return services.daily.run_now(forecast=forecast, score=score, dry_run=dry_run)
