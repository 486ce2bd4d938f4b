"""``/v1/leads``: take a lead in real time (score, route, store), read one back."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from revops.api.deps import ReaderDep, ServicesDep
from revops.api.intake.answers import encode
from revops.api.reads import lead_detail
from revops.api.schemas.errors import ErrorAnswer
from revops.api.schemas.leads import LeadAccepted, LeadIn

router = APIRouter(prefix="/leads", tags=["leads"])

IDEMPOTENCY_HEADER = "Idempotent-Replayed"


IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "description": "Any unique text (at most 255 characters): the same key again returns the first answer "
                   "and changes nothing.",
    "schema": {"type": "string", "maxLength": 255},
}


REQUEST_SCHEMAS = [LeadIn]
"""Models the OpenAPI document lists although no parameter declares them (see post_lead)."""


@router.post(
    "", response_model=LeadAccepted, summary="Score, route and store a lead",
    responses={422: {"model": ErrorAnswer, "description": "The payload is malformed: the failing fields."},
               503: {"model": ErrorAnswer, "description": "Shutting down or too busy; retry."}},
    openapi_extra={"parameters": [IDEMPOTENCY_KEY], "requestBody": {
        "required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/LeadIn"}}}}},
)
async def post_lead(request: Request) -> Response:
    """Scores the lead (rules; blended with the predictive model when one is active), routes it
    through the routing graph (a lead that already has an owner keeps it), stores the lead, the
    routing decision and its touches and activities in one transaction, and answers once all of
    it is committed. The same lead_id or Idempotency-Key again returns the first answer, with
    the header ``Idempotent-Replayed: true``, and changes nothing."""
    # The hot path of the API: the body is validated by pydantic straight from the bytes and the
    # services read from the app, not through FastAPI's body parameter and dependencies (a
    # quarter of a request's CPU). The OpenAPI document still describes the body (REQUEST_SCHEMAS)
    # and errors keep the same 422 shape.
    try:
        lead = LeadIn.model_validate_json(await request.body())
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from None
    services = request.app.state.services
    key = request.headers.get("idempotency-key") or None
    errors = _stage_errors(lead, services.model)
    if key is not None and len(key) > 255:
        errors.append({"loc": ("header", "Idempotency-Key"), "type": "string_too_long",
                       "msg": "at most 255 characters"})
    if errors:
        raise RequestValidationError(errors)
    answer = await services.intake.take_lead(lead.record(), key, events=lead.events(), ignored=lead.ignored())
    headers = {IDEMPOTENCY_HEADER: "true"} if answer.replayed else None
    return Response(answer.body, media_type="application/json", headers=headers)


@router.get("/{lead_id}", summary="A stored lead with its score parts, owner and routing decisions",
            responses={404: {"model": ErrorAnswer}})
def get_lead(lead_id: str, reader: ReaderDep, services: ServicesDep) -> Response:
    found = lead_detail(reader, services.model, lead_id, services.intake.clock())
    if found is None:
        raise HTTPException(404, detail=f"no lead {lead_id!r} in the store")
    return Response(encode(found), media_type="application/json")


def _stage_errors(lead: Any, model: Any) -> list[dict[str, Any]]:
    status = getattr(lead, "status", None)
    stages = [s.key for s in model.lifecycle.stages]
    if status is None or status in stages:
        return []
    return [{"loc": ("body", "status"), "type": "lifecycle_stage",
             "msg": f"{status!r} is not a lifecycle stage of the model; one of {', '.join(stages)}"}]
