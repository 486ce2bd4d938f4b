"""``POST /v1/events``: signals from forms, product analytics and intent providers.

A sender authenticates with an API key (admin or ops) or, with no key, by signing the body
with the shared key in REVOPS_EVENTS_SECRET:

    X-Revops-Signature: t=1767225600,v1=<hex HMAC-SHA256(secret, "1767225600." + body)>

(the time stops a captured request being replayed after ``SIGNATURE_TOLERANCE``). The event
is stored once per event_id before the answer (202); workflows run on it right after.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError

from revops.api.deps import allow, require_key
from revops.api.errors import body_invalid
from revops.api.intake.answers import Answer
from revops.api.schemas.errors import ErrorAnswer
from revops.orchestration.events import IncomingEvent
from revops.orchestration.signing import SIGNATURE_HEADER, verify

router = APIRouter(prefix="/events", tags=["events"])
MAX_EVENTS = 1000
REQUEST_SCHEMAS = [IncomingEvent]
_MANY = TypeAdapter(list[IncomingEvent])


@router.post(
    "", status_code=202, summary="Take an event (or a list of up to 1,000): stored once per event_id",
    responses={202: {"description": "Stored (status accepted) or stored before (status duplicate): "
                                    "{event_id, status}, or for a list {accepted, duplicates, events}."},
               401: {"model": ErrorAnswer, "description": "No valid API key and no valid signature."},
               403: {"model": ErrorAnswer, "description": "The key's role may not send events (admin or ops)."},
               422: {"model": ErrorAnswer, "description": "The event is malformed: the failing fields."},
               503: {"model": ErrorAnswer, "description": "Shutting down or too busy; retry."}},
    openapi_extra={"parameters": [{"name": SIGNATURE_HEADER, "in": "header", "required": False,
                                   "schema": {"type": "string"},
                                   "description": "t=UNIX,v1=HMAC-SHA256(REVOPS_EVENTS_SECRET, 't.body'): "
                                                  "instead of an API key."}],
                   "requestBody": {"required": True, "content": {"application/json": {"schema": {"oneOf": [
                       {"$ref": "#/components/schemas/IncomingEvent"},
                       {"type": "array", "items": {"$ref": "#/components/schemas/IncomingEvent"},
                        "maxItems": MAX_EVENTS}]}}}}},
)
async def post_event(request: Request) -> Response:
    """Stores the event, once per ``event_id`` (the same id again answers ``duplicate`` and
    changes nothing), then wakes the workflows. Give one of account_id, lead_id or email."""
    services = request.app.state.services
    body = await request.body()
    header = request.headers.get(SIGNATURE_HEADER.lower())
    secret = services.settings.events_key
    actor: Any = None
    if header is not None and secret:
        problem = verify(secret, header, body, time.time())
        if problem is not None:
            raise HTTPException(401, detail=f"bad {SIGNATURE_HEADER}: {problem}")
    else:
        actor = await require_key(request)
        allow(actor, "admin", "ops", doing="send events")
    events, single = _parse(body)
    now = services.intake.clock()
    problems = [{"loc": ("body", *((i,) if not single else ()), "occurred_at"), "type": "future", "msg": problem}
                for i, e in enumerate(events) if (problem := e.future_problem(now)) is not None]
    if problems:
        raise RequestValidationError(problems)
    if single and events[0].event_id is None and request.headers.get("idempotency-key"):
        events[0].event_id = request.headers["idempotency-key"][:200]  # a retried request is the same event
    answer: Answer = await services.intake.take_events(events, single=single, actor=actor)
    return Response(answer.body, status_code=202, media_type="application/json")


def _parse(body: bytes) -> tuple[list[IncomingEvent], bool]:
    text = body.lstrip()
    try:
        if text.startswith(b"["):
            events = _MANY.validate_json(body)
            if not events or len(events) > MAX_EVENTS:
                raise RequestValidationError([{"loc": ("body",), "type": "too_many",
                                               "msg": f"send 1 to {MAX_EVENTS} events in a list"}])
            return events, False
        return [IncomingEvent.model_validate_json(body)], True
    except ValidationError as exc:
        raise body_invalid(exc) from None
