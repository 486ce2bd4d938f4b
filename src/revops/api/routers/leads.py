"""``/v1/leads``: take a lead in real time (score, route, store), list leads, read one back.

Taking a lead is for admin and ops keys; reading is open to every key within its scope (a rep
their own leads, a manager their team's)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from revops.api.deps import PrincipalDep, ServicesDep, allow, allow_owner
from revops.api.errors import body_invalid
from revops.api.intake.answers import encode
from revops.api.paging import PageDep
from revops.api.query_params import Instant
from revops.api.reads import lead_detail, lead_row, store_tables
from revops.api.record_lists import LeadFilter, lead_list
from revops.api.schemas.errors import ErrorAnswer
from revops.api.schemas.leads import LeadAccepted, LeadIn
from revops.api.schemas.records import LeadPage

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
    responses={403: {"model": ErrorAnswer, "description": "The key's role may not take leads (admin or ops only)."},
               422: {"model": ErrorAnswer, "description": "The payload is malformed: the failing fields."},
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
    allow(request.state.principal, "admin", "ops", doing="take leads")  # set by require_key: no DB access
    # The hot path of the API: the body is validated by pydantic straight from the bytes and the
    # services read from the app, not through FastAPI's body parameter and dependencies (a
    # quarter of a request's CPU). The OpenAPI document still describes the body (REQUEST_SCHEMAS)
    # and errors keep the same 422 shape.
    try:
        lead = LeadIn.model_validate_json(await request.body())
    except ValidationError as exc:
        raise body_invalid(exc) from None
    services = request.app.state.services
    key = request.headers.get("idempotency-key") or None
    errors = _stage_errors(lead, services.model)
    if key is not None and len(key) > 255:
        errors.append({"loc": ("header", "Idempotency-Key"), "type": "string_too_long",
                       "msg": "at most 255 characters"})
    if errors:
        raise RequestValidationError(errors)
    answer = await services.intake.take_lead(lead.record(), key, events=lead.events(), ignored=lead.ignored(),
                                             actor=request.state.principal)
    headers = {IDEMPOTENCY_HEADER: "true"} if answer.replayed else None
    return Response(answer.body, media_type="application/json", headers=headers)


@router.get("", response_model=LeadPage, summary="Stored leads, filtered and paged, in lead_id order",
            responses={403: {"model": ErrorAnswer, "description": "owner_id is outside the key's scope."},
                       422: {"model": ErrorAnswer}})
def list_leads(
    services: ServicesDep, principal: PrincipalDep, page: PageDep,
    status: Annotated[str | None, Query(max_length=200, description="Lifecycle stage (revops.yaml lifecycle).")] = None,
    owner_id: Annotated[str | None, Query(max_length=200)] = None,
    updated_since: Annotated[Instant, Query(description="Only leads updated at or after (UTC).")] = None,
    created_since: Annotated[Instant, Query(description="Only leads created at or after (UTC).")] = None,
) -> Response:
    """The leads the key sees (a rep their own, a manager their team's), with every stored
    column. Page on with ``cursor=<next>`` (or ``offset``)."""
    with services.reader() as reader:  # not ReaderDep: a plain-def dependency costs two thread hand-offs
        found = lead_list(reader, principal, LeadFilter(status, owner_id, updated_since, created_since), page)
    return Response(encode(found.answer()), media_type="application/json")


@router.get("/{lead_id}", summary="A stored lead with its score parts, owner and routing decisions",
            responses={403: {"model": ErrorAnswer, "description": "The lead is outside the key's scope."},
                       404: {"model": ErrorAnswer}})
def get_lead(lead_id: str, services: ServicesDep, principal: PrincipalDep) -> Response:
    with services.reader() as reader:
        lead = lead_row(reader, lead_id)
        if lead is None:
            raise HTTPException(404, detail=f"no lead {lead_id!r} in the store")
        allow_owner(principal, lead.get("owner_id"), f"lead {lead_id!r}")
        tables = services.cached("store tables", lambda: store_tables(reader))
        found = lead_detail(reader, services.model, lead_id, services.intake.clock(), lead, tables)
    return Response(encode(found), media_type="application/json")



def _stage_errors(lead: Any, model: Any) -> list[dict[str, Any]]:
    status = getattr(lead, "status", None)
    stages = [s.key for s in model.lifecycle.stages]
    if status is None or status in stages:
        return []
    return [{"loc": ("body", "status"), "type": "lifecycle_stage",
             "msg": f"{status!r} is not a lifecycle stage of the model; one of {', '.join(stages)}"}]
