"""``/v1/accounts``: list accounts, read one with its open deals, subscriptions and, on request,
its revenue (the metrics layer) and health (the health engine). A key sees the accounts it
owns (a rep) or its team owns (a manager); admin and ops every account."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Response

from revops.access import Principal
from revops.api.deal_reads import account_detail, account_row
from revops.api.deps import PrincipalDep, ServicesDep, allow_owner
from revops.api.intake.answers import encode
from revops.api.metric_reads import MetricAsk, metric_rows
from revops.api.operations_reads import HealthAsk, account_health
from revops.api.paging import PageDep
from revops.api.record_lists import AccountFilter, account_list
from revops.api.refusals import refused_as_422
from revops.api.schemas.accounts import AccountDetail, AccountPage
from revops.api.schemas.errors import ErrorAnswer

router = APIRouter(prefix="/accounts", tags=["accounts"])

INCLUDES = ("revenue", "health")


@router.get("", response_model=AccountPage, summary="Accounts, filtered and paged, in account_id order",
            responses={403: {"model": ErrorAnswer, "description": "owner_id is outside the key's scope."},
                       422: {"model": ErrorAnswer}})
def list_accounts(
    services: ServicesDep, principal: PrincipalDep, page: PageDep,
    owner_id: Annotated[str | None, Query(max_length=200)] = None,
    segment: Annotated[str | None, Query(max_length=200)] = None,
    region: Annotated[str | None, Query(max_length=200)] = None,
    type: Annotated[str | None, Query(max_length=200, description="prospect, customer, partner…")] = None,
) -> Response:
    with services.reader() as reader:  # not ReaderDep: a plain-def dependency costs two thread hand-offs
        found = account_list(reader, principal, AccountFilter(owner_id, segment, region, type), page)
    return Response(encode(found.answer()), media_type="application/json")


@router.get("/{account_id}", response_model=AccountDetail,
            summary="An account with its open deals, subscriptions and (on request) revenue and health",
            responses={403: {"model": ErrorAnswer, "description": "The account is outside the key's scope."},
                       404: {"model": ErrorAnswer}, 422: {"model": ErrorAnswer}})
def get_account(
    account_id: str, services: ServicesDep, principal: PrincipalDep,
    include: Annotated[list[str], Query(description="revenue (mrr, arr from the metrics layer) and/or health "
                                                    "(the health engine's row); both cost a computation.")] = [],  # noqa: B006
) -> Response:
    unknown = [i for i in include if i not in INCLUDES]
    if unknown:
        raise HTTPException(422, detail=f"include {unknown[0]!r}: one of {', '.join(INCLUDES)}")
    with services.reader() as reader:
        account = account_row(reader, account_id)
        if account is None:
            raise HTTPException(404, detail=f"no account {account_id!r} in the store")
        allow_owner(principal, account.get("owner_id"), f"account {account_id!r}")
        found = account_detail(reader, services.model, principal, account)
    today = services.intake.clock().date()
    found.update(revenue=None, health=None)
    with refused_as_422():
        if "revenue" in include:  # the account is in scope: its own numbers, not the key's owner filter
            where = "account_id = '" + account_id.replace("\\", "\\\\").replace("'", "\\'") + "'"
            found["revenue"] = metric_rows(services, _everything(principal), MetricAsk(("mrr", "arr"), where=where),
                                           today)["items"]
        if "health" in include:
            every = account_health(services, _everything(principal), HealthAsk(), today)["items"]  # computed once
            found["health"] = next((r for r in every if r["account_id"] == account_id), None)
    return Response(encode(found), media_type="application/json")


def _everything(principal: Principal) -> Principal:
    """The key's holder seeing every owner: for numbers of one record already checked in scope."""
    return replace(principal, owners=None)
