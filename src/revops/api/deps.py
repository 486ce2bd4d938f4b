"""Typed dependencies of the routers: settings, services, the intake, a store reader, auth.

    async def handler(intake: IntakeDep, settings: SettingsDep) -> ...

The cheap ones are ``async def``: FastAPI runs a plain ``def`` dependency in a worker thread,
a hand-off that costs more than everything else a request does.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request

from revops.api.intake import LeadIntake
from revops.api.services import ApiServices, StoreReader
from revops.api.settings import ApiSettings


async def get_services(request: Request) -> ApiServices:
    return request.app.state.services


async def get_settings(request: Request) -> ApiSettings:
    return request.app.state.settings


async def get_intake(request: Request) -> LeadIntake:
    return request.app.state.services.intake


async def get_model(request: Request) -> Any:
    return request.app.state.services.model


def get_reader(request: Request) -> Iterator[StoreReader]:
    with request.app.state.services.reader() as reader:
        yield reader


ServicesDep = Annotated[ApiServices, Depends(get_services)]
SettingsDep = Annotated[ApiSettings, Depends(get_settings)]
IntakeDep = Annotated[LeadIntake, Depends(get_intake)]
ModelDep = Annotated[Any, Depends(get_model)]
ReaderDep = Annotated[StoreReader, Depends(get_reader)]


async def require_token(request: Request) -> None:
    """With REVOPS_API_TOKEN set, the request must carry ``Authorization: Bearer <token>``."""
    token = request.app.state.settings.token
    if token is None:
        return
    scheme, _, given = (request.headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise HTTPException(401, detail="missing or wrong API token: send the header "
                                        "'Authorization: Bearer <REVOPS_API_TOKEN>'",
                            headers={"WWW-Authenticate": "Bearer"})
