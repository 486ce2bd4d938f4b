"""``/v1/users``: change a user (deactivate a rep, mark them out of office) with effect on the
very next lead routed, and read what routing counts for them.

Changing a user takes an admin or ops key, or a manager's key for a user of their team;
reading one is open to every key within its scope (a rep reads themselves)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response

from revops.api.deps import IntakeDep, PrincipalDep, ReaderDep, ServicesDep, allow, allow_owner
from revops.api.reads import user_detail
from revops.api.schemas.errors import ErrorAnswer
from revops.api.schemas.users import UserChange
from revops.api.intake.answers import encode

router = APIRouter(prefix="/users", tags=["users"])


@router.patch("/{user_id}", summary="Change a user; routing applies it to the next lead",
              responses={403: {"model": ErrorAnswer, "description": "A rep's key, or a user outside a manager's team."},
                         404: {"model": ErrorAnswer}, 422: {"model": ErrorAnswer}})
async def patch_user(user_id: str, change: UserChange, intake: IntakeDep, request: Request) -> Response:  # type: ignore[valid-type]
    """Writes the change to the users table and to the router in the writer's order: every lead
    received after this answer is routed with the change (a rep set ``active: false`` gets no
    further lead, at once); leads received before it were routed without it."""
    principal = request.state.principal
    allow(principal, "admin", "ops", "manager", doing="change users")
    allow_owner(principal, user_id, f"user {user_id!r}")  # a manager: only a user of their team
    answer = await intake.change_user(user_id, change.changes(), actor=principal)
    request.app.state.services.keys.users_changed()  # a manager's team may have changed
    return Response(answer.body, media_type="application/json")


@router.get("/{user_id}", summary="A user with their open leads and today's count as routing sees them",
            responses={403: {"model": ErrorAnswer, "description": "The user is outside the key's scope."},
                       404: {"model": ErrorAnswer}})
def get_user(user_id: str, reader: ReaderDep, services: ServicesDep, principal: PrincipalDep) -> Response:
    allow_owner(principal, user_id, f"user {user_id!r}")
    found = user_detail(reader, services.intake.desk.router, user_id, services.intake.clock())
    if found is None:
        raise HTTPException(404, detail=f"no user {user_id!r} in the store")
    return Response(encode(found), media_type="application/json")
