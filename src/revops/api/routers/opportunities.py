"""``/v1/opportunities``: move a deal into a stage through the stage's gate."""

from __future__ import annotations

from fastapi import APIRouter, Response

from revops.api.deps import IntakeDep
from revops.api.schemas.errors import ErrorAnswer
from revops.api.schemas.opportunities import MoveError, StageGateRefusal, StageMoved, StageMoveIn

router = APIRouter(prefix="/opportunities", tags=["opportunities"])

SOURCE = "POST /v1/opportunities/{opportunity_id}/stage"


@router.post(
    "/{opportunity_id}/stage", response_model=StageMoved, summary="Move a deal into a stage through its gate",
    responses={404: {"model": MoveError, "description": "No such opportunity."},
               409: {"model": StageGateRefusal, "description": "The stage's gate refuses the move: nothing changed."},
               422: {"model": MoveError | ErrorAnswer,
                     "description": "An unknown stage, a value that does not fit its field, or a malformed body."},
               503: {"model": ErrorAnswer, "description": "Shutting down or too busy; retry."}},
)
async def move_stage(opportunity_id: str, body: StageMoveIn, intake: IntakeDep) -> Response:  # type: ignore[valid-type]
    """Checks the deal, with the values in ``set``, against the stage's required fields and gate
    (revops.yaml). Refused: 409 with what is missing and what fails, and nothing changes. Moved:
    the deal is updated and a row appended to opportunity_history, in the API's single writer
    (the same transaction order as the leads); stages jumped over are listed in
    ``skipped_stages``. The same JSON as `revops deal move --format json`."""
    from revops.engines.deals.moves import StageMove

    move = StageMove(opportunity_id, body.stage, body.set, changed_by=body.changed_by or "api", source=SOURCE)
    answer = await intake.move_stage(move)
    return Response(answer.body, media_type="application/json")

