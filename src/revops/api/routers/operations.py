"""``/v1/sla``, ``/v1/hygiene``, ``/v1/health``: the SLA clocks and breach queue, the pipeline
hygiene findings and the customer health scores, as `revops sla`, `revops hygiene` and
`revops health` give them, limited to the records the key sees (by the record's owner; for
health, the account's owner) and paged."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from revops.api.deps import PrincipalDep, ServicesDep
from revops.api.intake.answers import encode
from revops.api.operations_reads import (HealthAsk, HygieneAsk, SlaAsk, account_health, hygiene_findings,
                                         sla_rows)
from revops.api.paging import PageDep, slice_of
from revops.api.query_params import Day, Moment, text
from revops.api.refusals import refused_as_422
from revops.api.schemas.errors import ErrorAnswer
from revops.api.schemas.operations import HealthPage, HygienePage, SlaPage

router = APIRouter(tags=["operations"])

REFUSED = {422: {"model": ErrorAnswer, "description": "An option the engine cannot read: its message."}}


@router.get("/sla", response_model=SlaPage, summary="SLA clocks, or the breach queue, of the key's records",
            responses=REFUSED)
def get_sla(
    services: ServicesDep, principal: PrincipalDep, page: PageDep,
    view: Annotated[Literal["status", "breaches"], Query(description="status: every clock (`revops sla status`); "
                                                                     "breaches: the open breach queue.")] = "status",
    sla: Annotated[str | None, Query(max_length=500, description="SLA keys, comma-separated.")] = None,
    state: Annotated[str | None, Query(max_length=100, description="due, met, breached (comma-separated).")] = None,
    open: Annotated[bool, Query(description="Only clocks still running.")] = False,
    at: Annotated[Moment, Query(max_length=40, description="Read the clocks at this moment, YYYY-MM-DD[THH:MM[:SS]]"
                                                           "[Z|+HH:MM] (default: now).")] = None,
    start: Annotated[Day, Query(alias="from", description="Clocks started on or after this day.")] = None,
    end: Annotated[Day, Query(alias="to", description="Clocks started on or before this day.")] = None,
) -> Response:
    ask = SlaAsk(view, sla, state, open, at, start, end)
    with refused_as_422():
        rows = sla_rows(services, principal, ask, services.intake.clock())
    cut = slice_of(rows, page)
    return Response(encode({**cut.answer(), "total": len(rows)}), media_type="application/json")


@router.get("/hygiene", response_model=HygienePage, summary="Pipeline hygiene findings on the key's deals",
            responses=REFUSED)
def get_hygiene(
    services: ServicesDep, principal: PrincipalDep, page: PageDep,
    as_of: Annotated[Moment, Query(max_length=40, description="YYYY-MM-DD[THH:MM] (default: now, deals as they "
                                                              "are).")] = None,
    owner_id: Annotated[str | None, Query(max_length=500, description="Owners, comma-separated.")] = None,
    rule: Annotated[str | None, Query(max_length=500, description="Rule keys, comma-separated.")] = None,
    severity: Annotated[str | None, Query(max_length=100, description="critical, warning, info.")] = None,
) -> Response:
    """The findings of `revops hygiene --format json`, most severe first."""
    with refused_as_422():
        found = hygiene_findings(services, principal, HygieneAsk(as_of, owner_id, rule, severity),
                                 services.intake.clock())
    cut = slice_of(found["findings"], page)
    return Response(encode({"as_of": found["as_of"], **cut.answer(), "total": len(found["findings"]),
                            "rules": found["rules"]}), media_type="application/json")


@router.get("/health", response_model=HealthPage, summary="Customer health of the key's accounts",
            responses=REFUSED)
def get_health(
    services: ServicesDep, principal: PrincipalDep, page: PageDep,
    as_of: Annotated[Day, Query(description="YYYY-MM-DD (default: today).")] = None,
    band: Annotated[str | None, Query(max_length=200, description="Bands, comma-separated.")] = None,
    account_id: Annotated[str | None, Query(max_length=2000, description="Accounts, comma-separated.")] = None,
) -> Response:
    """The rows of `revops health --format json`, weakest first, with the account's owner."""
    with refused_as_422():
        found = account_health(services, principal, HealthAsk(text(as_of), band, account_id),
                               services.intake.clock().date())
    cut = slice_of(found["items"], page)
    return Response(encode({"as_of": found["as_of"], **cut.answer(), "total": len(found["items"]),
                            "unmeasured": found["unmeasured"]}), media_type="application/json")
