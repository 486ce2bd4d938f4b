"""Typed dependencies of the routers: settings, services, the intake, a store reader, auth.

    async def handler(intake: IntakeDep, settings: SettingsDep) -> ...

The cheap ones are ``async def``: FastAPI runs a plain ``def`` dependency in a worker thread,
a hand-off that costs more than everything else a request does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request

from revops.access import Principal
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


async def require_key(request: Request) -> Principal:
    """The key's holder (``request.state.principal``): every /v1 request carries
    ``Authorization: Bearer <key>`` (401 without a live key)."""
    ring = request.app.state.services.keys
    scheme, _, given = (request.headers.get("authorization") or "").partition(" ")
    principal = ring.principal(given.strip()) if scheme.lower() == "bearer" and given.strip() else None
    if principal is None:
        hint = ("no API key exists yet: make one with `revops keys create --role admin` (server stopped) "
                "or set REVOPS_API_TOKEN" if ring.empty else "send the header 'Authorization: Bearer <key>' "
                "with a key from `revops keys create`")
        raise HTTPException(401, detail=f"missing, wrong or revoked API key: {hint}",
                            headers={"WWW-Authenticate": "Bearer"})
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(require_key)]


def allow(principal: Principal, *roles: str, doing: str) -> None:
    """403 unless the key's role is one of ``roles``."""
    if principal.role not in roles:
        raise HTTPException(403, detail=f"a {principal.role} key may not {doing}; it takes a key with role "
                                        f"{' or '.join(roles)}")


def allow_owner(principal: Principal, owner_id: str | None, what: str) -> None:
    """403 when the record (owned by ``owner_id``) is outside the key's scope."""
    if not principal.sees(owner_id):
        scope = "their own records" if principal.role == "rep" else "their team's records"
        raise HTTPException(403, detail=f"{what} is outside this key's scope: a {principal.role} key sees {scope}")
