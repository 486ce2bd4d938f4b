"""How the API reports problems: one JSON shape for every error.

    {"detail": "what went wrong, in words", "errors": [{"field": "email", "message": "…", "type": "…"}]}

A malformed payload gets 422 with one entry per failing field (``field`` dotted for nested
values, ``body`` for the payload as a whole); 401 a missing or wrong token; 404 an unknown
id; 503 a server shutting down or too busy (with Retry-After).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from revops.api.intake import Rejection, Unavailable
from revops.engines.deals.moves import MoveRefused


def field_name(loc: tuple | list) -> str:
    """('body', 'touches', 0, 'touch_type') -> 'touches.0.touch_type'; ('body',) -> 'body'."""
    parts = list(loc)
    if parts and parts[0] == "body":
        parts = parts[1:]
    return ".".join(str(p) for p in parts) or "body"


def _entry(error: dict[str, Any]) -> dict[str, str]:
    kind = str(error.get("type", "value_error"))
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    if kind == "json_invalid":
        why = (error.get("ctx") or {}).get("error") or message
        return {"field": "body", "message": f"not valid JSON ({why}); send a JSON object with "
                                            "Content-Type: application/json", "type": kind}
    field = field_name(error.get("loc", ()))
    if field == "body" and kind in ("model_attributes_type", "model_type", "dict_type"):
        message = "the body must be a JSON object (send it with Content-Type: application/json)"
    return {"field": field, "message": message, "type": kind}


def validation_body(errors: list[dict[str, Any]]) -> dict[str, Any]:
    entries = [_entry(e) for e in errors]
    fields = list(dict.fromkeys(e["field"] for e in entries))
    return {"detail": f"invalid request: {', '.join(fields)}", "errors": entries}


async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
    return JSONResponse(validation_body(list(exc.errors())), status_code=422)


async def _rejected(request: Request, exc: Rejection) -> JSONResponse:
    return JSONResponse(exc.body(), status_code=exc.status)


async def _move_refused(request: Request, exc: MoveRefused) -> JSONResponse:
    """A stage move refused: the same JSON as `revops deal move --format json` (a stage gate:
    ``{"error": "stage_gate", "missing": […], "failed": […]}``), 409 / 404 / 422."""
    return JSONResponse(exc.body(), status_code=exc.status)


async def _unavailable(request: Request, exc: Unavailable) -> JSONResponse:
    return JSONResponse({"detail": exc.detail, "errors": []}, status_code=503,
                        headers={"Retry-After": str(exc.retry_after)})


async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    return JSONResponse({"detail": exc.detail, "errors": []}, status_code=exc.status_code,
                        headers=getattr(exc, "headers", None))


def body_invalid(exc: Any) -> RequestValidationError:
    """A body a route validated itself (pydantic, from the raw bytes) refused in FastAPI's own
    422 shape, each error located under ``body``."""
    return RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()])


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(Rejection, _rejected)
    app.add_exception_handler(Unavailable, _unavailable)
    app.add_exception_handler(MoveRefused, _move_refused)
    app.add_exception_handler(StarletteHTTPException, _http)
