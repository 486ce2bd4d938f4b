"""One deal, one account, as ``GET /v1/opportunities/{id}`` and ``GET /v1/accounts/{id}`` answer.

``opportunity_detail``: the deal, its stage history (opportunity_history, oldest first) and
what its next stage would need: the stage gate (revops.yaml ``required_fields`` and ``gate``)
checked against the deal as it stands, by the same code `revops deal move` refuses a move with
(``revops.engines.deals.gates``), so ``missing`` and ``failed`` are what a move would be
refused for now. ``account_detail``: the account, its open deals in the key's scope and its
subscriptions.

The router reads the record first (``deal_row``, ``account_row``; ``owner_of`` for a check
alone) and refuses one outside the key's scope before anything else is read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from revops.access import Principal
from revops.api.record_lists import opportunity_select, stage_list
from revops.api.services import StoreReader


def owner_of(reader: StoreReader, table: str, key: str, value: str) -> tuple[bool, str | None]:
    """(found, owner_id) of one record; ``table`` and ``key`` are the API's own names."""
    rows = reader.query(f"SELECT owner_id FROM {table} WHERE {key} = ? LIMIT 1", [value])
    return (True, rows[0]["owner_id"]) if rows else (False, None)


def next_stage(model: Any, current: str | None) -> Any:
    """The stage a deal moves into next: the first open stage after ``current`` (the won
    stage after the last open one); the first stage for a deal without a known stage; None
    for a closed deal."""
    stages = list(model.pipeline.stages)
    keys = [s.key for s in stages]
    if current not in keys:
        return next((s for s in stages if not s.is_closed), None)
    here = stages[keys.index(current)]
    if here.is_closed:
        return None
    return next((s for s in stages[keys.index(current) + 1:] if not s.is_closed or s.is_won), None)


def gate_ahead(reader: StoreReader, model: Any, deal: dict[str, Any], now: datetime) -> dict[str, Any] | None:
    """What the deal lacks to enter its next stage, as a move would see it now."""
    from revops.engines.deals.gates import requirements, skipped_stages
    from revops.engines.deals.moves import _gate_record  # the record a move checks: one definition

    target = next_stage(model, deal.get("stage"))
    if target is None:
        return None
    gate = requirements(model)[target.key]
    skipped = tuple(skipped_stages(model, deal.get("stage"), target.key))
    record = _gate_record(reader.con, model, gate.fields, deal, {**deal, "stage": target.key}, target, skipped, now)
    check = gate.check(record, now)
    return {"stage": target.key, "label": target.label, "required_fields": list(gate.required_fields),
            "gate": [g.text.strip() for g in gate.gates], "missing": list(check.missing),
            "failed": list(check.failed), "passes": check.passed}


def deal_row(reader: StoreReader, model: Any, opportunity_id: str) -> dict[str, Any] | None:
    """The stored deal with ``is_open``, or None."""
    select, params = opportunity_select(model)
    rows = reader.query(f"{select} WHERE opportunity_id = ? LIMIT 1", [*params, opportunity_id])
    return rows[0] if rows else None


def opportunity_detail(reader: StoreReader, model: Any, deal: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The deal (``deal_row``) with its stage history and the gate ahead."""
    opportunity_id = deal["opportunity_id"]
    history = reader.query("SELECT * FROM opportunity_history WHERE opportunity_id = ? "
                           "ORDER BY changed_at, history_id", [opportunity_id])
    stored = {k: v for k, v in deal.items() if k != "is_open"}
    return {"opportunity_id": opportunity_id, "opportunity": deal, "stage_history": history,
            "next_stage": gate_ahead(reader, model, stored, now)}


def account_row(reader: StoreReader, account_id: str) -> dict[str, Any] | None:
    rows = reader.query("SELECT * FROM accounts WHERE account_id = ? LIMIT 1", [account_id])
    return rows[0] if rows else None


def account_detail(reader: StoreReader, model: Any, principal: Principal, account: dict[str, Any]) -> dict[str, Any]:
    """The account (``account_row``) with its open deals in the key's scope and its subscriptions."""
    account_id = account["account_id"]
    select, params = opportunity_select(model)
    scope, scope_params = principal.sql_filter("owner_id")
    deals = reader.query(f"{select} WHERE account_id = ? AND stage IN {stage_list(model, closed=False)} AND {scope} "
                         "ORDER BY close_date NULLS LAST, opportunity_id", [*params, account_id, *scope_params])
    subscriptions = reader.query("SELECT * FROM subscriptions WHERE account_id = ? ORDER BY start_date, "
                                 "subscription_id", [account_id])  # a canonical table: every store has it
    return {"account_id": account_id, "account": account, "open_opportunities": deals,
            "subscriptions": subscriptions}
