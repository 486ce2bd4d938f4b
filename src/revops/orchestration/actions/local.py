"""Local actions: what a step changes in the store, returned as an ``Effect`` the engine
writes in the same transaction that marks the step done (so it happens exactly once).

assign, create_task (without a CRM), update_field, create_opportunity, add_to_list,
add_to_sequence and log_touch. Records a step creates get ids derived from the step's key.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from revops.access.audit import audit_entry
from revops.errors import ExpressionError
from revops.model.expressions import parse
from revops.model.sections.workflows import CreateOpportunity, duration_seconds
from revops.jsonable import plain
from revops.orchestration.actions.base import ActionError, Effect, RunInfo, render
from revops.orchestration.actions.owners import Owners
from revops.orchestration.plan import derived_id
from revops.orchestration.subjects import account_of
from revops.store.schema import table as table_spec

LOCAL_ACTIONS = frozenset({"assign", "create_task", "update_field", "create_opportunity", "add_to_list",
                           "add_to_sequence", "log_touch"})


def apply_local(kind: str, spec: Any, run: RunInfo, record: dict[str, Any], key: str, now: datetime,
                owners: Owners, model: Any, con: Any, crm_id: str | None = None, placed: Any = None) -> Effect:
    """The effect of a local step. ``placed``: the task's owner, already chosen (a CRM task)."""
    scope = {**record, **run.extras}
    source = f"workflow:{run.workflow.key}:{key}"
    table, record_id = run.subject_table, run.subject_id
    if kind == "assign":
        return _assign(spec, run, record, scope, now, owners, source)
    if kind == "create_task":
        placed = placed if placed is not None else owners.place(spec.owner, record, table, scope, now)
        if placed.owner is None:
            raise ActionError(f"no owner for the task: {spec.owner!r} gave nobody ({placed.how}); a task without "
                              "an owner is seen by no one", retryable=False)
        task = {"task_id": derived_id("T", key), "step_key": key, "subject": render(spec.subject, scope),
                "body": render(spec.body, scope) or None, "owner_id": placed.owner, "table_name": table,
                "record_id": record_id, "due_at": now + timedelta(seconds=duration_seconds(spec.due_in)),
                "status": "open", "created_at": now, "crm_system": spec.crm, "crm_id": crm_id}
        effect = Effect({"task_id": task["task_id"], "owner_id": placed.owner, "subject": task["subject"],
                         "due_at": task["due_at"].isoformat(), "crm_id": crm_id})
        effect.insert("_tasks", task)
        return effect
    if kind == "update_field":
        value = _value(spec.value, scope)
        before = {spec.field: plain(record.get(spec.field))}
        effect = Effect({"field": spec.field, "before": before[spec.field], "after": plain(value)})
        effect.statements.append((f'UPDATE "{table}" SET "{spec.field}" = ? WHERE "{table_spec(table).key}" = ?',
                                  [value, record_id]))
        if table == "leads" and spec.field == "status" and value != record.get("status"):
            _lifecycle(effect, model, record, value, now, source)
        effect.audits.append(audit_entry(None, "workflow.update_field", table, record_id, before=before,
                                         after={spec.field: value}, at=now, source=source))
        return effect
    if kind == "create_opportunity":
        return _opportunity(spec, run, record, scope, key, now, owners, model, source)
    if kind in ("add_to_list", "add_to_sequence"):
        name = spec.list if kind == "add_to_list" else spec.sequence
        members = _members(spec.members, table, record_id, record, con)
        already = _already_in(con, kind.removeprefix("add_to_"), name, members)
        effect = Effect({"list" if kind == "add_to_list" else "sequence": name,
                         "members": [m for _, m in members], "already_in": sorted(m for _, m in already)})
        members = [m for m in members if m not in already]
        for member_table, member_id in members:
            effect.insert("_list_members", {"list_kind": kind.removeprefix("add_to_"), "list_name": name,
                                            "member_table": member_table, "member_id": member_id,
                                            "added_at": now, "step_key": key})
        return effect
    if kind == "log_touch":
        touch = {"touch_id": derived_id("W", key), "occurred_at": run.extras.get("event_at") or run.triggered_at,
                 "channel": spec.channel, "campaign_id": spec.campaign_id, "touch_type": spec.touch_type,
                 "lead_id": record_id if table == "leads" else record.get("lead_id"),
                 "contact_id": record_id if table == "contacts" else None,
                 "account_id": account_of(record, table),
                 "opportunity_id": record_id if table == "opportunities" else None}
        effect = Effect({"touch_id": touch["touch_id"], "touch_type": spec.touch_type})
        effect.insert("touches", touch)
        return effect
    raise ActionError(f"{kind} is not a local action", retryable=False)


def _value(text: str, scope: dict[str, Any]) -> Any:
    try:
        return parse(text).evaluate(scope)
    except ExpressionError as exc:
        raise ActionError(str(exc), retryable=False) from None


def _assign(spec: Any, run: RunInfo, record: dict[str, Any], scope: dict[str, Any], now: datetime,
            owners: Owners, source: str) -> Effect:
    table, record_id = run.subject_table, run.subject_id
    if table == "contacts":
        raise ActionError("contacts have no owner: assign their account or lead", retryable=False)
    before = record.get("owner_id")
    current = owners.users().get(before) if before else None
    if spec.keep_owner and current is not None and current["active"] is not False:
        return Effect({"owner_id": before, "previous_owner": before, "kind": "user", "how": "kept: an active owner"})
    placed = owners.place(spec.owner, record, table, scope, now)
    effect = Effect({"owner_id": placed.owner, "previous_owner": before, "kind": placed.kind, "how": placed.how})
    if placed.decision is not None:
        effect.decisions.append(placed.decision)
    if placed.owner is None:  # routing placed it nowhere (nurture, no rep available): the owner stays
        effect.result.update({"owner_id": before, "kept": True})
        return effect
    if placed.owner == before:
        return effect
    sets = '"owner_id" = ?' + (', "assigned_at" = ?' if table == "leads" else "")
    params: list[Any] = [placed.owner] + ([now] if table == "leads" else []) + [record_id]
    effect.statements.append((f'UPDATE "{table}" SET {sets} WHERE "{table_spec(table).key}" = ?', params))
    effect.audits.append(audit_entry(None, "workflow.assign", table, record_id, before={"owner_id": before},
                                     after={"owner_id": placed.owner}, at=now, source=source))
    return effect


def _opportunity(spec: Any, run: RunInfo, record: dict[str, Any], scope: dict[str, Any], key: str,
                 now: datetime, owners: Owners, model: Any, source: str) -> Effect:
    table = run.subject_table
    stage = spec.stage or model.open_stages[0].key
    amount = _value(spec.amount, scope) if spec.amount.strip() else None
    account = account_of(record, table)
    if account is None:
        raise ActionError(f"the {table[:-1]} {run.subject_id} has no account: a deal needs one (convert or match "
                          "the lead first)", retryable=False)
    placed = owners.place(spec.owner, record, table, scope, now)
    row = {"opportunity_id": derived_id("O", key), "account_id": account,
           "close_date": (now + timedelta(seconds=duration_seconds(spec.close_in))).date(),
           "owner_id": placed.owner, "name": render(opportunity_name(spec.name, table), scope), "stage": stage,
           "amount": float(amount) if amount is not None else None, "created_at": now, "source": "workflow",
           "type": spec.type, "lead_id": run.subject_id if table == "leads" else None,
           "contact_id": run.subject_id if table == "contacts" else None, "updated_at": now}
    effect = Effect({"opportunity_id": row["opportunity_id"], "stage": stage, "owner_id": placed.owner})
    effect.insert("opportunities", row)
    effect.audits.append(audit_entry(None, "opportunity.create", "opportunities", row["opportunity_id"],
                                     before=None, after=row, at=now, source=source))
    return effect


def opportunity_name(template: str, table: str) -> str:
    """The name a create_opportunity step gives: as written, but the default ("{name} - new
    business") reads the company on a lead or contact, which have no name field."""
    if template == CreateOpportunity.model_fields["name"].default and table in ("leads", "contacts"):
        return "{company} - new business"
    return template


def _already_in(con: Any, kind: str, name: str, members: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """Members already on the list (a list is a set: a second run adds no one twice)."""
    if not members:
        return set()
    rows = con.execute("SELECT member_table, member_id FROM _list_members WHERE list_kind = ? AND list_name = ? "
                       "AND member_id IN (SELECT unnest(?::VARCHAR[]))", [kind, name, [m for _, m in members]]).fetchall()
    return {(t, m) for t, m in rows}


def _members(members: str, table: str, record_id: str, record: dict[str, Any], con: Any) -> list[tuple[str, str]]:
    if members == "record":
        return [(table, record_id)]
    account = account_of(record, table)
    if account is None:
        raise ActionError(f"the {table[:-1]} {record_id} has no account, so it has no {members}", retryable=False)
    if members == "contacts":
        rows = con.execute("SELECT contact_id FROM contacts WHERE account_id = ? AND left_at IS NULL "
                           "ORDER BY contact_id", [account]).fetchall()
        return [("contacts", r[0]) for r in rows]
    rows = con.execute("SELECT lead_id FROM leads WHERE converted_account_id = ? ORDER BY lead_id",
                       [account]).fetchall()
    return [("leads", r[0]) for r in rows]


def _lifecycle(effect: Effect, model: Any, record: dict[str, Any], stage: Any, now: datetime, source: str) -> None:
    """A lead moved to another lifecycle stage by a step: the stage's date (mql_at …) when it has
    none yet, and the move in ``_lifecycle_events``, as the lead engine records its own moves."""
    column = f"{stage}_at"
    if column in LEAD_STAGE_DATES and record.get(column) is None:
        effect.statements.append((f'UPDATE leads SET "{column}" = ? WHERE lead_id = ?', [now, record["lead_id"]]))
    effect.insert("_lifecycle_events", {"lead_id": record["lead_id"], "from_stage": record.get("status"),
                                        "to_stage": stage, "changed_at": now, "reason": "workflow step",
                                        "source": source})


LEAD_STAGE_DATES = frozenset({"mql_at", "sql_at", "sal_at", "disqualified_at", "recycled_at"})
