"""``/v1/opportunities``: list deals, read one with its stage history and its next stage's gate,
move a deal into a stage through its gate.

Every key reads within its scope; a move needs the deal in scope too (a rep their own deals, a
manager their team's, admin and ops any): the owner is read first and a deal outside the
scope is refused (403) before the move reaches the writer."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Response

from revops.api.deal_reads import deal_row, opportunity_detail, owner_of
from revops.api.deps import IntakeDep, PrincipalDep, ServicesDep, allow_owner
from revops.api.intake.answers import encode
from revops.api.paging import PageDep
from revops.api.query_params import Day
from revops.api.record_lists import OpportunityFilter, opportunity_list
from revops.api.schemas.errors import ErrorAnswer
from revops.api.schemas.opportunities import (MoveError, OpportunityDetail, OpportunityPage, StageGateRefusal,
                                              StageMoved, StageMoveIn)

router = APIRouter(prefix="/opportunities", tags=["opportunities"])

SOURCE = "POST /v1/opportunities/{opportunity_id}/stage"
OUT_OF_SCOPE = {403: {"model": ErrorAnswer, "description": "Outside the key's scope."}}


@router.get("", response_model=OpportunityPage, summary="Deals, filtered and paged, in opportunity_id order",
            responses={**OUT_OF_SCOPE, 422: {"model": ErrorAnswer}})
def list_opportunities(
    services: ServicesDep, principal: PrincipalDep, page: PageDep,
    stage: Annotated[str | None, Query(max_length=200, description="A pipeline stage key.")] = None,
    owner_id: Annotated[str | None, Query(max_length=200)] = None,
    account_id: Annotated[str | None, Query(max_length=200)] = None,
    state: Annotated[Literal["open", "closed"] | None, Query(description="Open or closed stages (revops.yaml).")] = None,
    close_from: Annotated[Day, Query(description="Only deals closing on or after this day.")] = None,
    close_to: Annotated[Day, Query(description="Only deals closing on or before this day.")] = None,
) -> Response:
    """The deals the key sees, every stored column and ``is_open``."""
    f = OpportunityFilter(stage, owner_id, account_id, state, close_from, close_to)
    with services.reader() as reader:  # not ReaderDep: a plain-def dependency costs two thread hand-offs
        found = opportunity_list(reader, services.model, principal, f, page)
    return Response(encode(found.answer()), media_type="application/json")


@router.get("/{opportunity_id}", response_model=OpportunityDetail,
            summary="A deal with its stage history and what its next stage's gate needs",
            responses={**OUT_OF_SCOPE, 404: {"model": ErrorAnswer}})
def get_opportunity(opportunity_id: str, services: ServicesDep, principal: PrincipalDep) -> Response:
    """``next_stage``: the stage the deal would move into next, its required fields and gate,
    and what of them the deal fails now — what `revops deal move` would refuse the move for."""
    with services.reader() as reader:
        deal = deal_row(reader, services.model, opportunity_id)
        if deal is None:
            raise HTTPException(404, detail=f"no opportunity {opportunity_id!r} in the store")
        allow_owner(principal, deal.get("owner_id"), f"opportunity {opportunity_id!r}")
        found = opportunity_detail(reader, services.model, deal, services.intake.clock())
    return Response(encode(found), media_type="application/json")


@router.post(
    "/{opportunity_id}/stage", response_model=StageMoved, summary="Move a deal into a stage through its gate",
    responses={403: {"model": ErrorAnswer, "description": "The deal is outside the key's scope."},
               404: {"model": MoveError, "description": "No such opportunity."},
               409: {"model": StageGateRefusal, "description": "The stage's gate refuses the move: nothing changed."},
               422: {"model": MoveError | ErrorAnswer,
                     "description": "An unknown stage, a value that does not fit its field, or a malformed body."},
               503: {"model": ErrorAnswer, "description": "Shutting down or too busy; retry."}},
)
async def move_stage(opportunity_id: str, body: StageMoveIn, intake: IntakeDep,  # type: ignore[valid-type]
                     services: ServicesDep, principal: PrincipalDep) -> Response:
    """Checks the deal, with the values in ``set``, against the stage's required fields and gate
    (revops.yaml). Refused: 409 with what is missing and what fails, and nothing changes. Moved:
    the deal is updated and a row appended to opportunity_history, in the API's single writer
    (the same transaction order as the leads); stages jumped over are listed in
    ``skipped_stages``. The same JSON as `revops deal move --format json`. ``changed_by``
    defaults to the key's user (else its key id)."""
    from revops.engines.deals.moves import StageMove

    if not principal.sees_everything:  # admin and ops move any deal: no read on their path
        with services.reader() as reader:
            exists, owner = owner_of(reader, "opportunities", "opportunity_id", opportunity_id)
        if exists:  # an unknown deal stays the writer's 404, as before
            allow_owner(principal, owner, f"opportunity {opportunity_id!r}")
    who = body.changed_by or principal.user_id or principal.key_id
    move = StageMove(opportunity_id, body.stage, body.set, changed_by=who, source=SOURCE)
    answer = await intake.move_stage(move, actor=principal)
    return Response(answer.body, media_type="application/json")
