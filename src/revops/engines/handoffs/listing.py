"""`revops handoffs list`: every handoff, both ways, with who holds it, its status and its SLA.

| column | meaning |
| --- | --- |
| kind | ``expansion`` (a signal to Sales) or ``sales_to_cs`` (a won deal to CS) |
| handoff_id | the signal's or the handoff record's id |
| account_id, opportunity_id | the account, and the deal (the expansion deal opened, or the deal won) |
| owner, owner_kind | who must act: a user, or a queue |
| status | expansion: ``open``, ``won``, ``lost`` (its deal's stage) or, for a task, ``open`` / ``done``; sales_to_cs: ``complete`` or ``incomplete`` |
| missing_fields | sales_to_cs: required fields still empty, comma-separated |
| reason | expansion: the rule and the values it read |
| sla, started_at, sla_due_at, sla_stopped_at, sla_state | the SLA clock at ``at``: ``due``, ``met`` or ``breached`` |

The clocks of deals are the SLA engine's (:func:`revops.engines.sla.sla_clocks`); a task
signal has no deal, so its clock is worked out here with the same deadline and the same stop
(the first activity by its assignee on the account).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from revops.store.store import utcnow

HANDOFF_COLUMNS: tuple[str, ...] = (
    "kind", "handoff_id", "account_id", "opportunity_id", "owner", "owner_kind", "status", "missing_fields",
    "reason", "sla", "started_at", "sla_due_at", "sla_stopped_at", "sla_state")


def handoff_rows(store: Any, model: Any, at: datetime | None = None, kind: str | None = None) -> list[dict[str, Any]]:
    at = at or utcnow()
    rows: list[dict[str, Any]] = []
    if kind in (None, "expansion") and store.has_table("_expansion_signals"):
        rows += _expansion_rows(store, model, at)
    if kind in (None, "sales_to_cs") and store.has_table("_sales_to_cs_handoffs"):
        rows += _sales_to_cs_rows(store, at)
    clocks = _clocks(store, model, at, {r["sla"] for r in rows if r["sla"] and r["opportunity_id"]},
                     {r["opportunity_id"] for r in rows if r["opportunity_id"]})
    for r in rows:
        clock = clocks.get((r["sla"], r["opportunity_id"]))
        if clock is not None:
            r.update(started_at=clock["started_at"], sla_due_at=clock["due_at"], sla_stopped_at=clock["stopped_at"],
                     sla_state=clock["state"])
        elif r.pop("_task", False):
            r.update(sla_state=_state(r["sla_due_at"], r["sla_stopped_at"], at) if r["sla_due_at"] else None)
        else:
            r.update(sla_stopped_at=None, sla_state=None)
        r.pop("_task", None)
    return [{c: r.get(c) for c in HANDOFF_COLUMNS} for r in sorted(rows, key=lambda r: (str(r["started_at"]),
                                                                                      r["handoff_id"]))]


def _expansion_rows(store: Any, model: Any, at: datetime) -> list[dict[str, Any]]:
    won, lost = model.won_stage_keys, model.lost_stage_keys
    rows = store.query("""
        SELECT s.*, o.stage,
          (SELECT min(a.occurred_at) FROM activities a WHERE a.account_id = s.account_id
             AND a.owner_id = s.routed_to AND a.occurred_at >= s.signalled_at AND a.occurred_at <= ?) AS touched_at
        FROM _expansion_signals s LEFT JOIN opportunities o ON o.opportunity_id = s.opportunity_id
        WHERE s.signalled_at <= ?""", [at, at])
    out = []
    for s in rows:
        task = s["action"] == "task"
        if task:
            status = "done" if s["touched_at"] is not None else "open"
        else:
            status = "won" if s["stage"] in won else "lost" if s["stage"] in lost else "open"
        out.append({"kind": "expansion", "handoff_id": s["signal_id"], "account_id": s["account_id"],
                    "opportunity_id": s["opportunity_id"], "owner": s["routed_to"], "owner_kind": s["routed_kind"],
                    "status": status, "missing_fields": None, "reason": s["reason"], "sla": s["sla"],
                    "started_at": s["signalled_at"], "sla_due_at": s["sla_due_at"],
                    "sla_stopped_at": s["touched_at"] if task else None, "_task": task})
    return out


def _sales_to_cs_rows(store: Any, at: datetime) -> list[dict[str, Any]]:
    rows = store.query("SELECT * FROM _sales_to_cs_handoffs WHERE created_at <= ? OR won_at <= ?", [at, at])
    return [{"kind": "sales_to_cs", "handoff_id": h["handoff_id"], "account_id": h["account_id"],
             "opportunity_id": h["opportunity_id"], "owner": h["cs_owner"], "owner_kind": h["cs_owner_kind"],
             "status": h["status"], "missing_fields": h["missing_fields"] or None, "reason": None,
             "sla": h["kickoff_sla"], "started_at": h["won_at"], "sla_due_at": h["kickoff_due_at"]} for h in rows]


def _clocks(store: Any, model: Any, at: datetime, keys: set[str], ids: set[str]) -> dict[tuple[str, str], dict]:
    from revops.engines.sla import ClockRequest, sla_clocks

    keys = {k for k in keys if k in {s.key for s in model.slas}}
    if not keys or not ids:
        return {}
    t = sla_clocks(store.ibis, model, ClockRequest(at=at, keys=tuple(sorted(keys))))
    frame = store.ibis.execute(t.filter(t.record_id.isin(sorted(ids))))
    frame = frame.astype(object).where(pd.notna(frame), None)
    return {(r["sla"], r["record_id"]): r for r in frame.to_dict("records")}


def _state(due: datetime, stopped: datetime | None, at: datetime) -> str:
    """The SLA engine's states: met (stopped by due), breached (stopped late, or running past
    due), due (running, not yet due)."""
    if stopped is not None:
        return "met" if stopped <= due else "breached"
    return "breached" if at > due else "due"
