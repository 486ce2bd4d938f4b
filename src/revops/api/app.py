"""The FastAPI application of `revops serve`.

    app = create_app(ApiSettings.from_env())

One router per resource (``routers/``), typed dependencies (``deps``), settings in one object
(``settings``), one error shape (``errors``). The server opens the store and starts the lead
intake when it starts and drains and closes them when it stops; ``services`` may be passed
in already open (the CLI opens them first so that a locked store or a bad model is reported
before the server listens).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from pydantic import BaseModel

from revops import __version__, dashboard
from revops.api import errors
from revops.api.deps import require_key
from revops.api.read_cache import ReadCache
from revops.api.routers import (accounts, events, forecast, health, keys, leads, metrics, operations,
                                opportunities, runs, users, workflows)
from revops.api.services import ApiServices
from revops.api.settings import ApiSettings

V1 = "/v1"


def create_app(settings: ApiSettings | None = None, *, services: ApiServices | None = None) -> FastAPI:
    settings = settings or (services.settings if services is not None else ApiSettings.from_env())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        opened = services if services is not None else ApiServices.open(settings)
        app.state.services = opened
        try:
            yield
        finally:
            opened.close()

    # No /docs or /redoc pages: FastAPI serves them with scripts from a CDN, and revops serves
    # nothing from a CDN; /openapi.json is the document.
    app = FastAPI(title="revops", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="The open-source Revenue Operations engine: real-time lead intake and the "
                              "revenue data behind it. Every /v1 request needs `Authorization: Bearer <key>` "
                              "with a key from `revops keys create` (its role decides what it sees: admin and "
                              "ops everything, a manager their team, a rep their own records).")
    app.state.settings = settings
    errors.install(app)
    app.include_router(health.router)
    secured = [Depends(require_key)]
    for module in (leads, users, opportunities, accounts, metrics, forecast, operations, keys, runs, workflows):
        app.include_router(module.router, prefix=V1, dependencies=secured)
    app.include_router(events.router, prefix=V1)  # an API key or a signature (routers/events.py)
    _describe_bodies(app, [m for module in (leads, users, events) for m in getattr(module, "REQUEST_SCHEMAS", [])])
    dashboard.install(app)  # the web dashboard at / (docs/dashboard.md)
    app.add_middleware(ReadCache)  # GET answers under /v1, per store generation and key scope
    return app


def _describe_bodies(app: FastAPI, models: list[type[BaseModel]]) -> None:
    """Add request models that routes parse themselves to the OpenAPI components."""
    build = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = build()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            for model in models:
                found = model.model_json_schema(ref_template="#/components/schemas/{model}")
                components.update(found.pop("$defs", {}))
                components[model.__name__] = found
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
