"""The list reads of stored records — leads, opportunities, accounts — filtered, paged and
limited to what the key's scope sees (``Principal.sql_filter`` on the owner column).

    page = opportunity_list(reader, model, principal, OpportunityFilter(stage="proposal"), page_request)

A filter on an owner outside the scope is refused (403) rather than answered empty, so a
key's holder learns why they see nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from revops.access import Principal
from revops.api.deps import allow_owner
from revops.api.paging import PageRequest, Rows, page_of
from revops.api.services import StoreReader


def _scope(principal: Principal, owner_id: str | None, what: str, column: str = "owner_id") -> tuple[list[str], list[Any]]:
    if owner_id is not None:
        allow_owner(principal, owner_id, f"{what} of owner {owner_id!r}")
    sql, params = principal.sql_filter(column)
    return ([] if sql == "TRUE" else [sql]), params


def _equal(where: list[str], params: list[Any], column: str, value: Any) -> None:
    if value is not None:
        where.append(f"{column} = ?")
        params.append(value)


def _at_least(where: list[str], params: list[Any], column: str, value: Any) -> None:
    if value is not None:
        where.append(f"{column} >= ?")
        params.append(value)


def _at_most(where: list[str], params: list[Any], column: str, value: Any) -> None:
    if value is not None:
        where.append(f"{column} <= ?")
        params.append(value)


@dataclass(frozen=True)
class LeadFilter:
    status: str | None = None
    owner_id: str | None = None
    updated_since: datetime | None = None
    created_since: datetime | None = None


def lead_list(reader: StoreReader, principal: Principal, f: LeadFilter, page: PageRequest) -> Rows:
    where, params = _scope(principal, f.owner_id, "leads")
    _equal(where, params, "status", f.status)
    _equal(where, params, "owner_id", f.owner_id)
    _at_least(where, params, "updated_at", f.updated_since)
    _at_least(where, params, "created_at", f.created_since)
    return page_of(reader, "SELECT * FROM leads", "lead_id", where, params, page)


@dataclass(frozen=True)
class OpportunityFilter:
    stage: str | None = None
    owner_id: str | None = None
    account_id: str | None = None
    state: Literal["open", "closed"] | None = None
    close_from: date | None = None
    close_to: date | None = None


def stage_keys(model: Any, *, closed: bool) -> list[str]:
    return [s.key for s in model.pipeline.stages if bool(s.is_closed) == closed]


def stage_list(model: Any, *, closed: bool) -> str:
    """The model's open (or closed) stage keys as an SQL list: written in, not a parameter, as
    they come from revops.yaml (a constant list is cheaper for DuckDB than a list parameter)."""
    keys = stage_keys(model, closed=closed)
    return "(" + (", ".join("'" + k.replace("'", "''") + "'" for k in keys) or "NULL") + ")"


def opportunity_select(model: Any) -> tuple[str, list[Any]]:
    """``SELECT *, is_open FROM opportunities``: is_open from the model's stages (null for a
    stage the model does not know)."""
    return (f"SELECT *, CASE WHEN stage IN {stage_list(model, closed=False)} THEN TRUE "
            f"WHEN stage IN {stage_list(model, closed=True)} THEN FALSE END AS is_open FROM opportunities", [])


def opportunity_list(reader: StoreReader, model: Any, principal: Principal, f: OpportunityFilter,
                     page: PageRequest) -> Rows:
    select, select_params = opportunity_select(model)
    where, params = _scope(principal, f.owner_id, "deals")
    _equal(where, params, "stage", f.stage)
    _equal(where, params, "owner_id", f.owner_id)
    _equal(where, params, "account_id", f.account_id)
    if f.state is not None:
        where.append(f"stage IN {stage_list(model, closed=f.state == 'closed')}")
    _at_least(where, params, "close_date", f.close_from)
    _at_most(where, params, "close_date", f.close_to)
    return page_of(reader, select, "opportunity_id", where, [*select_params, *params], page)


@dataclass(frozen=True)
class AccountFilter:
    owner_id: str | None = None
    segment: str | None = None
    region: str | None = None
    type: str | None = None


def account_list(reader: StoreReader, principal: Principal, f: AccountFilter, page: PageRequest) -> Rows:
    where, params = _scope(principal, f.owner_id, "accounts")
    _equal(where, params, "owner_id", f.owner_id)
    _equal(where, params, "segment", f.segment)
    _equal(where, params, "region", f.region)
    _equal(where, params, "type", f.type)
    return page_of(reader, "SELECT * FROM accounts", "account_id", where, params, page)
