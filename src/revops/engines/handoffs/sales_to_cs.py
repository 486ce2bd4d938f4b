"""Sales-to-CS handoffs: every closed-won deal the model names (``handoffs.sales_to_cs.deals``,
new business by default) gets one handoff record, and the kickoff SLA runs from the win.

A record (``_sales_to_cs_handoffs``, one per deal) holds:

- the ``required_fields`` (use case, stakeholders, what was promised), read from the deal's
  fields of the same name; empty ones are ``missing_fields`` and the status is ``incomplete``
  until they are filled (a later run, or the next move of the deal, reads them again);
- the CS owner: the account's CSM when the store says who that is (a user with role ``csm``
  who owns the account, else the latest renewal or expansion deal on it, else the latest
  activity on it), else ``cs_queue``;
- ``kickoff_due_at``: the SLA engine's deadline for the kickoff SLA started at ``won_at``.

``revops deal move X closed_won`` opens the record in the move's own transaction
(:func:`open_handoff`); ``revops handoffs sales-to-cs`` opens it for deals won any other way
(an import) and refreshes incomplete ones. Running it again changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd

from revops.store.store import utcnow

HANDOFF_TABLE = "_sales_to_cs_handoffs"
RECORD_COLUMNS: tuple[str, ...] = (
    "handoff_id", "opportunity_id", "account_id", "won_at", "sales_owner", "cs_owner", "cs_owner_kind", "fields",
    "missing_fields", "status", "kickoff_sla", "kickoff_due_at", "source", "created_at", "updated_at")

CSM_SQL = """
SELECT owner_id FROM (
  SELECT a.owner_id, 0 AS rank, NULL::TIMESTAMP AS seen_at FROM accounts a WHERE a.account_id = $account
  UNION ALL
  SELECT o.owner_id, 1, coalesce(o.created_at, o.close_date::TIMESTAMP) FROM opportunities o
   WHERE o.account_id = $account AND o.type IN ('renewal', 'expansion')
  UNION ALL
  SELECT t.owner_id, 2, t.occurred_at FROM activities t WHERE t.account_id = $account
) c JOIN users u ON u.user_id = c.owner_id
WHERE lower(u.role) = 'csm' AND coalesce(u.active, true)
ORDER BY rank, seen_at DESC NULLS LAST LIMIT 1
"""


@dataclass
class HandoffRun:
    opened: list[dict[str, Any]] = field(default_factory=list)
    refreshed: list[dict[str, Any]] = field(default_factory=list)
    """Incomplete handoffs whose fields changed since (now complete, or fewer missing)."""
    dry_run: bool = False


def has_handoffs(con: Any) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ? "
                            "AND table_schema = 'main'", [HANDOFF_TABLE]).fetchall()[0][0])


def open_handoff(con: Any, model: Any, opportunity_id: str, won_at: datetime, *, source: str,
                 now: datetime | None = None, write: bool = True) -> dict[str, Any] | None:
    """The handoff of a deal just won, written on ``con`` (inside the caller's transaction);
    None when the deal is not one the model hands off, or already has one."""
    if not has_handoffs(con):
        return None
    if con.execute(f"SELECT 1 FROM {HANDOFF_TABLE} WHERE opportunity_id = ?", [opportunity_id]).fetchall():
        return None
    deal = _deal(con, opportunity_id)
    if deal is None or not _handed_off(model, deal, now or won_at):
        return None
    now = now or utcnow()
    values, missing = _fields(model, deal)
    cs_owner = _csm(con, deal.get("account_id"))
    to_cs = model.handoffs.sales_to_cs
    row = {
        "handoff_id": f"h2cs:{opportunity_id}", "opportunity_id": opportunity_id, "account_id": deal.get("account_id"),
        "won_at": won_at, "sales_owner": deal.get("owner_id"), "cs_owner": cs_owner or to_cs.cs_queue,
        "cs_owner_kind": "csm" if cs_owner else "queue", "fields": json.dumps(values, default=str, sort_keys=True),
        "missing_fields": ",".join(missing), "status": "incomplete" if missing else "complete",
        "kickoff_sla": to_cs.kickoff_sla, "kickoff_due_at": kickoff_due(model, won_at), "source": source,
        "created_at": now, "updated_at": now}
    if write:
        con.execute(f"INSERT INTO {HANDOFF_TABLE} ({', '.join(RECORD_COLUMNS)}) "
                    f"VALUES ({', '.join('?' * len(RECORD_COLUMNS))})", [row[c] for c in RECORD_COLUMNS])
    return row


def kickoff_due(model: Any, won_at: datetime) -> datetime | None:
    """When the kickoff is due for a deal won at ``won_at``: the SLA engine's deadline."""
    from revops.engines.sla import deadlines

    key = model.handoffs.sales_to_cs.kickoff_sla
    if key is None:
        return None
    due = deadlines(model.sla(key), model.company, pd.DatetimeIndex([won_at]))[0]
    return pd.Timestamp(due).to_pydatetime()


def run_sales_to_cs(store: Any, model: Any, since: date | None = None, at: datetime | None = None, *,
                    dry_run: bool = False) -> HandoffRun:
    """Open a handoff for every deal won (by ``at``, on or after ``since``) that has none, and
    refresh the incomplete ones; one transaction under the store's writer lock."""
    from revops.engines.routing.audit import store_lock
    from revops.errors import RevopsError

    at = at or utcnow()
    run = HandoffRun(dry_run=dry_run)
    if not has_handoffs(store.con):
        raise RevopsError(f"the store has no {HANDOFF_TABLE} table; open it once for writing to migrate it")
    with store_lock(store):
        wins = won_deals(store, model, at, since)
        have = {r[0] for r in store.con.execute(f"SELECT opportunity_id FROM {HANDOFF_TABLE}").fetchall()}
        with store.transaction() as con:
            for opportunity_id, won_at in wins:
                if opportunity_id in have:
                    continue
                row = open_handoff(con, model, opportunity_id, won_at, source="revops handoffs sales-to-cs",
                                   now=at, write=not dry_run)
                if row is not None:
                    run.opened.append(row)
            run.refreshed = _refresh(con, model, at, write=not dry_run)
    return run


def won_deals(store: Any, model: Any, at: datetime, since: date | None = None) -> list[tuple[str, datetime]]:
    """(opportunity_id, won_at) of the deals in a won stage now, won by ``at``: the SLA engine's
    ``opportunity.closed_won`` event (first entry into a won stage, or the close date of a deal
    imported won without history)."""
    from revops.engines.sla.events import event_rows

    rows = event_rows("opportunity.closed_won", store.ibis.table, model).rows
    frame = store.ibis.execute(rows)
    if not len(frame):
        return []
    frame = frame[frame["at"] <= pd.Timestamp(at)]
    if since is not None:
        frame = frame[frame["at"] >= pd.Timestamp(since)]
    won = set(model.won_stage_keys)
    current = dict(store.con.execute("SELECT opportunity_id, stage FROM opportunities").fetchall())
    out = [(str(r), pd.Timestamp(a).to_pydatetime()) for r, a in zip(frame["record_id"], frame["at"])
           if current.get(str(r)) in won]
    return sorted(out, key=lambda p: (p[1], p[0]))


def deal_won(con: Any, model: Any, opportunity_id: str, won_now: bool, now: datetime, source: str) -> None:
    """The hook of a deal move into a won stage: open the deal's handoff when it was just won,
    else read its fields again (a won deal's use case set later completes its handoff)."""
    if not has_handoffs(con):
        return
    if won_now:
        open_handoff(con, model, opportunity_id, now, source=source, now=now)
    else:
        _refresh(con, model, now, write=True, opportunity_id=opportunity_id)


def _refresh(con: Any, model: Any, now: datetime, *, write: bool,
             opportunity_id: str | None = None) -> list[dict[str, Any]]:
    only = " AND opportunity_id = ?" if opportunity_id is not None else ""
    rows = con.execute(f"SELECT handoff_id, opportunity_id, fields, missing_fields FROM {HANDOFF_TABLE} "
                       f"WHERE status = 'incomplete'{only} ORDER BY handoff_id",
                       [opportunity_id] if opportunity_id is not None else []).fetchall()
    changed = []
    for handoff_id, opportunity_id, old_fields, old_missing in rows:
        deal = _deal(con, opportunity_id)
        if deal is None:
            continue
        values, missing = _fields(model, deal)
        text = json.dumps(values, default=str, sort_keys=True)
        if text == old_fields and ",".join(missing) == (old_missing or ""):
            continue
        status = "incomplete" if missing else "complete"
        if write:
            con.execute(f"UPDATE {HANDOFF_TABLE} SET fields = ?, missing_fields = ?, status = ?, updated_at = ? "
                        "WHERE handoff_id = ?", [text, ",".join(missing), status, now, handoff_id])
        changed.append({"handoff_id": handoff_id, "opportunity_id": opportunity_id, "status": status,
                        "missing_fields": ",".join(missing)})
    return changed


def _deal(con: Any, opportunity_id: str) -> dict[str, Any] | None:
    cur = con.execute("SELECT * FROM opportunities WHERE opportunity_id = ? LIMIT 1", [opportunity_id])
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()
    return dict(zip(names, rows[0])) if rows else None


def _handed_off(model: Any, deal: dict[str, Any], now: datetime) -> bool:
    from revops.model.expressions import parse

    text = model.handoffs.sales_to_cs.deals.strip()
    return True if not text else parse(text).matches(deal, now=now)


def _fields(model: Any, deal: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    values, missing = {}, []
    for name in model.handoffs.sales_to_cs.required_fields:
        value = deal.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            missing.append(name)
        else:
            values[name] = value
    return values, missing


def _csm(con: Any, account_id: Any) -> str | None:
    if account_id is None:
        return None
    rows = con.execute(CSM_SQL, {"account": account_id}).fetchall()
    return str(rows[0][0]) if rows else None
