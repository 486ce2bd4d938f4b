"""`revops handoffs expansion`: the model's expansion signals, evaluated on the customer
accounts as of a day, each firing turned into an expansion deal (or a task) for the account's
owner, held to an SLA.

A rule fires on an account when its ``when`` holds on the account's facts (:mod:`facts`). It
does not fire again while an earlier firing of the same rule on the account is open (its
deal in an open stage, or its task untouched: no activity by its assignee on the account
since) nor within ``cool_down_days`` of it, so running it twice changes nothing. Each firing
is a row of ``_expansion_signals`` with its reason (the values the rule read) and routing;
an ``opportunity`` action inserts the deal at the first open stage (type ``expansion``,
source ``expansion_signal``) with its opportunity_history row, which starts the SLA clock
(``expansion_signal_to_first_touch``: created -> first touch by the owner). One transaction.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

from revops.engines.handoffs.facts import expansion_facts
from revops.engines.handoffs.owners import SignalRouter
from revops.errors import RevopsError
from revops.store.store import utcnow

SIGNAL_COLUMNS: tuple[str, ...] = (
    "signal_id", "account_id", "rule", "as_of", "signalled_at", "reason", "action", "opportunity_id",
    "account_owner", "routed_to", "routed_kind", "routing_reason", "sla", "sla_due_at", "model_hash", "created_at")
SOURCE = "expansion_signal"


@dataclass
class ExpansionRun:
    as_of: date
    fired: list[dict[str, Any]] = field(default_factory=list)
    """The new signals (rows of _expansion_signals), written unless a dry run."""
    held_back: int = 0
    """Firings left out: an earlier one of the same rule on the account is open or cooling down."""
    customers: int = 0
    dry_run: bool = False


def run_expansion(store: Any, model: Any, at: datetime | None = None, *, dry_run: bool = False) -> ExpansionRun:
    """Evaluate every signal as of ``at`` (naive UTC; the day read is ``at``'s date) and write
    what fires, in one transaction holding the store's writer lock."""
    from revops.engines.routing.audit import store_lock

    at = at or utcnow()
    if not store.has_table("_expansion_signals"):
        raise RevopsError("the store has no _expansion_signals table; open it once for writing to migrate it")
    with store_lock(store):
        run = _evaluate(store.con, model, at)
        run.dry_run = dry_run
        if not dry_run and run.fired:
            with store.transaction() as con:
                for row in run.fired:
                    _write(con, model, row, at)
    return run


def _evaluate(con: Any, model: Any, at: datetime) -> ExpansionRun:
    from revops.engines.sla import deadlines
    from revops.model.expressions import parse

    settings = model.handoffs.expansion
    day = at.date()
    run = ExpansionRun(day)
    facts = expansion_facts(con, model, day)
    run.customers = len(facts)
    if not len(facts) or not settings.signals:
        return run
    records = facts.astype(object).where(pd.notna(facts), None).to_dict("records")
    blocked = _blocked(con, model, at)
    router = SignalRouter(con, model)
    model_hash = model.hash()
    for signal in settings.signals:
        expression = parse(signal.when)
        read = _fields_read(expression)
        sla_key = signal.sla or settings.sla
        sla = model.sla(sla_key) if sla_key else None
        for record in records:
            if not expression.matches(record, now=at):
                continue
            account_id = str(record["account_id"])
            if (account_id, signal.key) in blocked:
                run.held_back += 1
                continue
            who = router.assign(signal, record.get("owner_id"), day)
            signal_id = f"sig:{signal.key}:{account_id}:{day.isoformat()}"
            due = None
            if sla is not None:
                due = pd.Timestamp(deadlines(sla, model.company, pd.DatetimeIndex([at]))[0]).to_pydatetime()
            run.fired.append({
                "signal_id": signal_id, "account_id": account_id, "rule": signal.key, "as_of": day,
                "signalled_at": at, "reason": _reason(signal, record, read), "action": signal.action,
                "opportunity_id": _opportunity_id(signal_id) if signal.action == "opportunity" else None,
                "account_owner": record.get("owner_id"), "routed_to": who.owner_id, "routed_kind": who.kind,
                "routing_reason": who.reason, "sla": sla_key, "sla_due_at": due, "model_hash": model_hash,
                "created_at": at, "_account_name": record.get("name"), "_label": signal.label})
    return run


def _blocked(con: Any, model: Any, at: datetime) -> set[tuple[str, str]]:
    """(account_id, rule) of firings still open or cooling down at ``at``."""
    settings = model.handoffs.expansion
    stages = ", ".join("'" + s.key.replace("'", "''") + "'" for s in model.open_stages) or "NULL"
    rows = con.execute(f"""
        SELECT s.account_id, s.rule FROM _expansion_signals s
        LEFT JOIN opportunities o ON o.opportunity_id = s.opportunity_id
        WHERE s.signalled_at > $since
           OR (s.action = 'opportunity' AND o.stage IN ({stages}))
           OR (s.action = 'task' AND NOT EXISTS (
                 SELECT 1 FROM activities a WHERE a.account_id = s.account_id AND a.owner_id = s.routed_to
                 AND a.occurred_at >= s.signalled_at AND a.occurred_at <= $at))
        """, {"since": at - timedelta(days=settings.cool_down_days), "at": at}).fetchall()
    return {(str(a), str(r)) for a, r in rows}


def _fields_read(expression: Any) -> list[str]:
    from revops.model.expressions import nodes as n

    return list(dict.fromkeys(node.name for node in n.walk(expression.tree) if isinstance(node, n.FieldRef)))


def _reason(signal: Any, record: dict[str, Any], read: list[str]) -> str:
    values = ", ".join(f"{name} {_show(record.get(name))}" for name in read)
    return f"{signal.label}: {signal.when} ({values})"


def _show(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, float):
        return f"{value:.3g}" if math.isfinite(value) and abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def _opportunity_id(signal_id: str) -> str:
    return "opp_exp_" + hashlib.sha1(signal_id.encode("utf-8")).hexdigest()[:12]


def _write(con: Any, model: Any, row: dict[str, Any], at: datetime) -> None:
    if row["action"] == "opportunity":
        stage = model.open_stages[0]
        close = at.date() + timedelta(days=model.handoffs.expansion.close_in_days)
        name = f"{row['_account_name'] or row['account_id']} - expansion ({row['_label']})"
        con.execute(
            "INSERT INTO opportunities (opportunity_id, account_id, owner_id, name, stage, created_at, close_date, "
            "source, type, forecast_category, probability, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [row["opportunity_id"], row["account_id"], row["routed_to"], name, stage.key, at, close, SOURCE,
             "expansion", stage.forecast_category, stage.probability, at])
        con.execute(
            "INSERT INTO opportunity_history (history_id, opportunity_id, changed_at, stage, close_date, "
            "forecast_category, owner_id, changed_fields, changed_by, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [f"signal:{row['opportunity_id']}", row["opportunity_id"], at, stage.key, close, stage.forecast_category,
             row["routed_to"], "stage,close_date,forecast_category,owner_id", "revops", "revops handoffs expansion"])
    con.execute(f"INSERT INTO _expansion_signals ({', '.join(SIGNAL_COLUMNS)}) "
                f"VALUES ({', '.join('?' * len(SIGNAL_COLUMNS))})", [row[c] for c in SIGNAL_COLUMNS])
