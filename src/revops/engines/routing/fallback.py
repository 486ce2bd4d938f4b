"""The routing SLA: a lead assigned to a rep and not contacted in time moves on.

``routing.fallback`` says how long an owner has for the first touch (``after`` in ``unit``;
4 business hours by default, counted in the company's business hours and holidays) and what
happens then: ``reassign_to_manager`` (users.manager_id, the first active one up the chain),
``reassign_to_team`` (the least-loaded available teammate), ``reassign_to_queue``, or only a
notification (``notify_owner`` / ``notify_manager``). ``reminder_before`` (same unit) earlier,
the owner is reminded. A lead falls back once: the new owner is not chased again.

Every move is a ``RoutingDecision`` with trigger ``fallback``, audited like any other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from revops.engines.business_time import BusinessCalendar
from revops.engines.routing.audit import record
from revops.engines.routing.decision import RoutingDecision
from revops.engines.routing.pools import PoolRules, choose
from revops.engines.routing.router import Router
from revops.engines.routing.state import OPEN_LEAD_STATUSES

ROW_COLUMNS: tuple[str, ...] = ("lead_id", "action", "previous_owner", "assigned_to", "team", "assigned_at",
                                "due_at", "path", "reason")

_OPEN = ", ".join(f"'{s}'" for s in OPEN_LEAD_STATUSES)
_WAITING = f"""
SELECT l.* FROM leads l JOIN users u ON u.user_id = l.owner_id
WHERE l.assigned_at IS NOT NULL AND l.assigned_at <= $at
  AND (l.first_contacted_at IS NULL OR l.first_contacted_at > $at)
  AND coalesce(l.status, 'new') IN ({_OPEN}) AND coalesce(l.converted, false) = false
  AND l.disqualified_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM _routing_decisions r WHERE r.lead_id = l.lead_id
                  AND r.trigger = 'fallback' AND r.decided_at >= l.assigned_at)
ORDER BY l.assigned_at, l.lead_id
"""


def deadlines(model: Any, starts: Any, amount: float | None = None) -> np.ndarray:
    """When ``amount`` (default routing.fallback.after) of the fallback's unit has passed since
    each start: business units count only the company's business hours."""
    fb = model.routing.fallback
    amount = fb.after if amount is None else amount
    unit = fb.unit or "business_hours"
    starts = pd.DatetimeIndex(pd.to_datetime(list(starts) if not isinstance(starts, pd.Series) else starts))
    if unit in ("business_hours", "business_days"):
        calendar = BusinessCalendar.of(model.company)
        if unit == "business_hours":
            return calendar.add_business_minutes(starts, amount * 60.0)
        return calendar.add_business_days(starts, amount)
    step = {"minutes": timedelta(minutes=1), "hours": timedelta(hours=1), "days": timedelta(days=1)}[unit]
    return np.asarray(starts + step * amount, dtype="datetime64[us]")


def first_contact_due(model: Any, assigned_at: datetime) -> datetime | None:
    """When a lead assigned at ``assigned_at`` falls back if nobody contacts it (the routing SLA)."""
    if model.routing.fallback is None:
        return None
    due = deadlines(model, [assigned_at])[0]
    return None if np.isnat(due) else pd.Timestamp(due).to_pydatetime()


@dataclass
class FallbackRun:
    moved: list[RoutingDecision] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    """One row per lead acted on: reassigned, notify_*, kept (no one to move it to), reminder."""
    conflicts: list[RoutingDecision] = field(default_factory=list)


def run_fallbacks(store: Any, model: Any, at: datetime, *, dry_run: bool = False) -> FallbackRun:
    """Move the leads whose first-contact window has passed at ``at`` and list the reminders due."""
    run = FallbackRun()
    fb = model.routing.fallback
    if fb is None or fb.after is None:
        return run
    cur = store.con.execute(_WAITING, {"at": at})
    names = [d[0] for d in cur.description]
    leads = [dict(zip(names, r)) for r in cur.fetchall()]
    if not leads:
        return run
    assigned = [lead["assigned_at"] for lead in leads]
    due = deadlines(model, assigned)
    remind = deadlines(model, assigned, fb.after - fb.reminder_before) if fb.reminder_before else None
    at64 = np.datetime64(at, "us")
    router = Router.from_store(store, model, at)
    calendar = BusinessCalendar.of(model.company)
    waited = calendar.minutes_between(assigned, [at] * len(assigned))
    for i, lead in enumerate(leads):
        due_at = pd.Timestamp(due[i]).to_pydatetime()
        if due[i] <= at64:
            _fall_back(router, run, lead, at, due_at, float(waited[i]))
        elif remind is not None and remind[i] <= at64:
            run.rows.append(_row(lead, "reminder", lead["owner_id"], lead["owner_id"], due_at,
                                 f"remind {lead['owner_id']}: first contact due by {due_at:%Y-%m-%d %H:%M} UTC "
                                 f"({fb.after:g} {fb.unit or 'business_hours'} after assignment)"))
    if run.moved and not dry_run:
        recorded = record(store, run.moved)
        for d in recorded.conflicts:
            router.release(d)
        run.conflicts = recorded.conflicts
        lost = {d.lead_id for d in recorded.conflicts}
        run.rows = [r for r in run.rows if not (r["action"] == "reassigned" and r["lead_id"] in lost)]
    return run


def reassign_late(router: Router, lead: dict, at: datetime, due_at: datetime,
                  waited_minutes: float) -> RoutingDecision | None:
    """The fallback's move of one lead not contacted by ``due_at`` (applied to the router's
    state, not stored), or None when the fallback only notifies or finds nobody to move it to.
    For simulations that run the fallback lead by lead (the demo company)."""
    run = FallbackRun()
    _fall_back(router, run, lead, at, due_at, waited_minutes)
    return run.moved[0] if run.moved else None


def _fall_back(router: Router, run: FallbackRun, lead: dict, at: datetime, due_at: datetime,
               waited_minutes: float) -> None:
    fb = router.model.routing.fallback
    state = router.state
    owner_id = lead["owner_id"]
    owner = state.reps.get(owner_id)
    tested = {"owner": owner_id, "assigned_at": lead["assigned_at"], "due_at": due_at,
              "business_hours_waited": round(waited_minutes / 60.0, 2)}
    late = f"no first contact by {due_at:%Y-%m-%d %H:%M} UTC"
    if fb.action in ("notify_owner", "notify_manager"):
        who = owner_id if fb.action == "notify_owner" else (owner and owner.manager_id)
        run.rows.append(_row(lead, fb.action, who, None, due_at, f"{late}: notify {who}"))
        return
    target, kind, candidates, how = None, "user", None, ""
    if fb.action == "reassign_to_manager":
        manager = state.manager_of(owner) if owner is not None else None
        if manager is not None:
            target, how = manager.user_id, f"manager {manager.user_id}"
            candidates = [(manager.user_id, "chosen", "owner")]
    elif fb.action == "reassign_to_team" and owner is not None:
        team = [r for r in state.members(owner.team) if r is not owner]
        overflow = router.graph.overflow
        rules = PoolRules(f"fallback:{owner.team}", hours="prefer", measure="open_leads",
                          overflow_max=overflow.max_open_leads_per_rep if overflow is not None else None)
        choice = choose(state, team, at, rules)
        candidates = choice.candidates
        if choice.rep is not None:
            target, how = choice.rep.user_id, f"teammate {choice.rep.user_id}"
    elif fb.action == "reassign_to_queue":
        target, kind, how = fb.queue, "queue", f"queue {fb.queue}"
    if target is None:
        run.rows.append(_row(lead, "kept", owner_id, owner_id, due_at,
                             f"{late}; {fb.action.replace('_', ' ')}: nobody to move it to, stays with {owner_id}"))
        return
    d = router.reassign(lead, at, trigger="fallback", node="fallback", assigned_to=target, kind=kind,
                        tested=tested, outcome=f"{late} -> {fb.action.replace('_', ' ')}: {how}",
                        candidates=candidates)
    run.moved.append(d)
    run.rows.append({**_row(lead, "reassigned", owner_id, target, due_at, d.reason), "team": d.team,
                     "path": list(d.path)})


def _row(lead: dict, action: str, previous: str | None, assigned_to: str | None, due_at: datetime,
         reason: str) -> dict[str, Any]:
    return {"lead_id": lead["lead_id"], "action": action, "previous_owner": previous, "assigned_to": assigned_to,
            "team": None, "assigned_at": lead["assigned_at"], "due_at": due_at, "path": ["fallback"],
            "reason": reason}
