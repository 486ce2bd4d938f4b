"""``/v1/workflows``: the workflows of revops.yaml, their runs step by step, the dead-letter
queue and its replay (while the server runs, its own worker does the steps)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response

from revops.api.deps import PrincipalDep, ServicesDep, allow, allow_owner
from revops.api.intake.answers import encode
from revops.api.schemas.errors import ErrorAnswer
from revops.orchestration.history import dead_letters, list_members, list_runs, list_tasks, list_workflows

router = APIRouter(prefix="/workflows", tags=["workflows"])


@router.get("", summary="Each workflow: its trigger in words, steps, runs by status")
def get_workflows(services: ServicesDep, principal: PrincipalDep) -> Response:
    allow(principal, "admin", "ops", doing="read workflows")
    with services.reader() as reader:
        return Response(encode(list_workflows(reader.con, services.model)), media_type="application/json")


@router.get("/runs", summary="Runs, newest first, each with every step (status, attempts, result, error)",
            responses={403: {"model": ErrorAnswer}})
def get_runs(
    services: ServicesDep, principal: PrincipalDep,
    workflow: Annotated[str | None, Query(max_length=200)] = None,
    status: Annotated[str | None, Query(pattern="^(running|waiting|completed|failed)$")] = None,
    record_id: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> Response:
    allow(principal, "admin", "ops", doing="read workflow runs")
    with services.reader() as reader:
        found = list_runs(reader.con, workflow=workflow, status=status, record_id=record_id, limit=limit)
    return Response(encode(found), media_type="application/json")


@router.get("/dead", summary="The dead-letter queue: steps that failed every try, with the error")
def get_dead(services: ServicesDep, principal: PrincipalDep,
             workflow: Annotated[str | None, Query(max_length=200)] = None) -> Response:
    allow(principal, "admin", "ops", doing="read the dead-letter queue")
    with services.reader() as reader:
        return Response(encode(dead_letters(reader.con, workflow)), media_type="application/json")


@router.post("/replay-dead", summary="Put dead steps back in the queue; the server's worker does them",
             responses={403: {"model": ErrorAnswer}, 409: {"model": ErrorAnswer}})
def replay_dead(request: Request, services: ServicesDep, principal: PrincipalDep,
                workflow: Annotated[str | None, Query(max_length=200)] = None,
                step: Annotated[str | None, Query(max_length=300)] = None) -> Response:
    allow(principal, "admin", "ops", doing="replay dead steps")
    if services.workflows is None:
        raise HTTPException(409, detail="no workflow runs in this server (revops.yaml has none, or "
                                        "REVOPS_WORKFLOWS=0)")
    from revops.orchestration.engine import replay

    found = replay(services.workflows, workflow=workflow, step=step)
    return Response(encode({"replayed": len(found), "steps": found}), media_type="application/json")


@router.get("/tasks", summary="Tasks workflows created, the soonest due first (a rep: their own)",
            responses={403: {"model": ErrorAnswer}})
def get_tasks(services: ServicesDep, principal: PrincipalDep,
              owner_id: Annotated[str | None, Query(max_length=200)] = None,
              status: Annotated[str, Query(pattern="^(open|done|all)$")] = "open",
              record_id: Annotated[str | None, Query(max_length=200)] = None,
              limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> Response:
    if owner_id is not None:
        allow_owner(principal, owner_id, f"the tasks of {owner_id!r}")
    with services.reader() as reader:
        found = list_tasks(reader.con, owner_id=owner_id, status=None if status == "all" else status,
                           record_id=record_id, limit=limit)
    found = [t for t in found if principal.sees(t["owner_id"])]
    return Response(encode(found), media_type="application/json")


@router.get("/lists", summary="Lists and sequences workflows added records to, with each member")
def get_lists(services: ServicesDep, principal: PrincipalDep,
              name: Annotated[str | None, Query(max_length=200)] = None) -> Response:
    allow(principal, "admin", "ops", doing="read lists and sequences")
    with services.reader() as reader:
        return Response(encode(list_members(reader.con, name=name)), media_type="application/json")
