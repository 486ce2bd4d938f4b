"""Replay: last quarter's real leads through a proposed routing model, next to the current one.

Each model routes the leads created in the window, in arrival order, each at its own
created_at, from a fresh in-memory state as of the window's start (nothing is written):

- reps as stored today, employed by their start and end dates (a rep who has left since was
  routable before leaving; today's out-of-office flags are ignored);
- open leads per rep as of the start (open by their timestamps), then each replayed lead
  stays open with its new owner until it was in fact converted, disqualified or recycled
  (or the recycle window passed without progress);
- caps and rotations start empty; scores are the leads' stored scores.

The report puts side by side: load per rep (count, share of the leads given to reps), per
team, leads to queues and nurture, an SLA estimate and fairness.

SLA estimate. A rep's chance of a first touch within the routing SLA (routing.fallback,
4 business hours by default) is their historical rate: of the leads routing gave them (the
store's routing decisions), the share first contacted within the SLA of the decision, or,
in a store without decisions, of the MQL leads they own, the share first contacted within
the SLA of assignment (assigned_at, else mql_at, else created_at); reps with fewer than 10
such leads take the company's rate. The estimate is
the mean chance over leads placed with a rep or a queue (a queued lead counts as missed: a
queue is reviewed daily). Also reported: the share of rep-assigned leads that arrived while
their rep was at work.

Fairness. Among the reps a pool considered (its eligible reps, including those who got
nothing), the Gini coefficient of leads received (0 = equal, 1 = one rep got all) and the
ratio of the most to the fewest (null when someone got none), per assigning node and overall.
"""

from __future__ import annotations

import heapq
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd

from revops.engines.routing.batch import paused_gc
from revops.engines.routing.fallback import deadlines
from revops.engines.routing.router import Router
from revops.engines.routing.state import RoutingState, recycle_days

MIN_HISTORY = 10


def replay(store: Any, current: Any, proposed: Any, start: date, end: date) -> dict[str, Any]:
    """Route the leads created from ``start`` to ``end`` (inclusive days, UTC) through both models."""
    t0 = datetime.combine(start, time(0))
    t1 = datetime.combine(end + timedelta(days=1), time(0))
    cur = store.con.execute("SELECT * FROM leads WHERE created_at >= ? AND created_at < ? "
                            "ORDER BY created_at, lead_id", [t0, t1])
    names = [d[0] for d in cur.description]
    leads = [dict(zip(names, r)) for r in cur.fetchall()]
    chances, company_rate = response_rates(store, current)
    with paused_gc():
        runs = {name: _run(store, model, leads, t0, chances, company_rate)
                for name, model in (("current", current), ("proposed", proposed))}
    users = {r["user_id"]: r for r in store.query("SELECT user_id, name, role, team FROM users")}
    report = {
        "window": {"from": start.isoformat(), "to": end.isoformat()},
        "leads": len(leads),
        "models": {"current": current.hash()[:12], "proposed": proposed.hash()[:12]},
        "summary": _summary(runs),
        "reps": _side_by_side(runs, "by_rep", users),
        "teams": _side_by_side(runs, "by_team"),
        "fairness": _fairness_rows(runs),
        "changed_assignments": sum(1 for a, b in zip(runs["current"]["assigned"], runs["proposed"]["assigned"])
                                   if a != b),
        "sla_estimate": ("mean over leads placed with a rep or queue of the rep's historical share of the leads "
                         "routing gave them (without routing decisions in the store: of their MQLs) contacted "
                         f"within the routing SLA (company rate {company_rate:.1%} for reps with fewer than "
                         f"{MIN_HISTORY}); queued leads count as missed"),
    }
    return report


_ASSIGNED_BY_ROUTING = """
SELECT d.assigned_to AS owner_id, d.decided_at AS started, l.first_contacted_at
FROM _routing_decisions d JOIN leads l ON l.lead_id = d.lead_id
WHERE d.assigned_kind = 'user' AND d.trigger IN ('route', 'api', 'fallback')
"""
_OWNED_MQLS = """
SELECT owner_id, coalesce(assigned_at, mql_at, created_at) AS started, first_contacted_at
FROM leads WHERE owner_id IS NOT NULL AND mql_at IS NOT NULL AND coalesce(assigned_at, mql_at, created_at) IS NOT NULL
"""


def response_rates(store: Any, model: Any) -> tuple[dict[str, float], float]:
    """Each rep's historical share of leads first-contacted within the routing SLA.

    With routing decisions in the store: of the leads routing gave the rep (trigger route, api
    or fallback), the share first contacted by the deadline counted from that decision; a
    lead the fallback took from them counts as missed, which their own leads (the ones they
    kept) would hide. A lead not called yet whose deadline is after the newest first contact
    in the store is left out (its outcome is not known). Without decisions: the MQL leads each rep owns,
    from assigned_at (else mql_at, else created_at)."""
    if model.routing.fallback is None:
        return {}, 0.0
    frame = None
    if store.has_table("_routing_decisions"):
        frame = store.con.execute(_ASSIGNED_BY_ROUTING).df()
    if frame is None or frame.empty:
        frame = store.con.execute(_OWNED_MQLS).df()
        known = None
    else:
        known = store.con.execute("SELECT max(first_contacted_at) FROM leads").fetchall()[0][0]
    if frame.empty:
        return {}, 0.0
    due = deadlines(model, frame["started"])
    contacted = pd.to_datetime(frame["first_contacted_at"]).to_numpy(dtype="datetime64[us]")
    met = ~np.isnat(contacted) & (contacted <= due)
    frame = frame.assign(met=met)
    if known is not None:
        frame = frame[~np.isnat(contacted) | (due <= np.datetime64(known, "us"))]
        if frame.empty:
            return {}, 0.0
    company = float(frame["met"].mean())
    grouped = frame.groupby("owner_id")["met"].agg(["mean", "size"])
    chances = {uid: float(row["mean"]) for uid, row in grouped.iterrows() if row["size"] >= MIN_HISTORY}
    return chances, company


def _run(store: Any, model: Any, leads: list[dict[str, Any]], t0: datetime, chances: dict[str, float],
         company_rate: float) -> dict[str, Any]:
    state = RoutingState.load(store, model, t0, history=True)
    router = Router(model, state)
    recycle = timedelta(days=recycle_days(model))
    closing: list[tuple[datetime, str, str]] = []
    by_rep: Counter[str] = Counter()
    by_team: Counter[str] = Counter()
    by_kind: Counter[str] = Counter()
    queues: Counter[str] = Counter()
    node_load: dict[str, Counter[str]] = defaultdict(Counter)
    considered: dict[str, set[str]] = defaultdict(set)
    assigned: list[str | None] = []
    at_work = sla_sum = sla_leads = 0.0
    for lead in leads:
        at = lead["created_at"]
        while closing and closing[0][0] <= at:
            _, _, user = heapq.heappop(closing)
            state.lead_closed(user)
        d = router.route({**lead, "owner_id": None}, at, trigger="replay")
        assigned.append(d.assigned_to)
        by_kind[d.assigned_kind] += 1
        for step in d.steps:
            for user_id, _code, _detail in step.candidates or ():
                considered[step.node].add(user_id)
        if d.assigned_kind == "user":
            rep = state.reps[d.assigned_to]
            by_rep[d.assigned_to] += 1
            by_team[d.team or "(no team)"] += 1
            node_load[d.node or ""][d.assigned_to] += 1
            at_work += rep.clock.status(at).at_work
            sla_sum += chances.get(d.assigned_to, company_rate)
            sla_leads += 1
            closed = _closes_at(lead, recycle)
            if closed is not None:
                heapq.heappush(closing, (max(closed, at), str(lead["lead_id"]), d.assigned_to))
        elif d.assigned_kind == "queue":
            queues[d.assigned_to] += 1
            sla_leads += 1
    to_reps = by_kind["user"]
    fairness = {node: _fairness([node_load[node].get(u, 0) for u in sorted(considered[node])])
                for node in sorted(considered)}
    everyone = sorted(set().union(*considered.values())) if considered else []
    return {
        "assigned": assigned, "by_rep": by_rep, "by_team": by_team, "queues": queues,
        "to_reps": to_reps, "to_queue": by_kind["queue"], "to_nurture": by_kind["nurture"],
        "unplaced": by_kind["none"],
        "sla_attainment_estimated": sla_sum / sla_leads if sla_leads else None,
        "in_working_hours_share": at_work / to_reps if to_reps else None,
        "fairness_by_node": fairness,
        "fairness": _fairness([by_rep.get(u, 0) for u in everyone]),
    }


def _closes_at(lead: dict[str, Any], recycle: timedelta) -> datetime | None:
    ends = [lead.get(k) for k in ("converted_at", "disqualified_at", "recycled_at") if lead.get(k) is not None]
    progress = [lead.get(k) for k in ("created_at", "mql_at", "sql_at", "first_contacted_at")
                if lead.get(k) is not None]
    if progress:
        ends.append(max(progress) + recycle)
    return min(ends) if ends else None


def gini(values: list[float]) -> float | None:
    """Gini coefficient of non-negative loads: 0 when equal, towards 1 when one holds all."""
    x = np.sort(np.asarray(values, dtype="float64"))
    n, total = len(x), float(x.sum()) if len(x) else 0.0
    if n == 0 or total == 0:
        return None
    ranks = np.arange(1, n + 1)
    return float((2 * (ranks * x).sum()) / (n * total) - (n + 1) / n)


def _fairness(loads: list[int]) -> dict[str, Any]:
    g = gini(loads)
    positive = [v for v in loads if v > 0]
    ratio = (max(loads) / min(loads)) if loads and min(loads) > 0 else None
    return {"reps": len(loads), "gini": None if g is None else round(g, 4),
            "max_min_ratio": None if ratio is None else round(ratio, 3),
            "reps_with_none": len(loads) - len(positive)}


def _summary(runs: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    measures = [("leads to reps", "to_reps"), ("leads to queues", "to_queue"), ("leads to nurture", "to_nurture"),
                ("leads not placed", "unplaced"), ("SLA attainment (estimated)", "sla_attainment_estimated"),
                ("assigned while rep at work", "in_working_hours_share")]
    rows = []
    for label, key in measures:
        a, b = runs["current"][key], runs["proposed"][key]
        rows.append({"measure": label, "current": _round(a), "proposed": _round(b),
                     "change": None if a is None or b is None else _round(b - a)})
    for label, key in (("fairness: Gini of load", "gini"), ("fairness: max/min load", "max_min_ratio")):
        a, b = runs["current"]["fairness"][key], runs["proposed"]["fairness"][key]
        rows.append({"measure": label, "current": a, "proposed": b,
                     "change": None if a is None or b is None else _round(b - a)})
    for queue in sorted(set(runs["current"]["queues"]) | set(runs["proposed"]["queues"])):
        a, b = runs["current"]["queues"].get(queue, 0), runs["proposed"]["queues"].get(queue, 0)
        rows.append({"measure": f"queue {queue}", "current": a, "proposed": b, "change": b - a})
    return rows


def _side_by_side(runs: dict[str, dict[str, Any]], key: str,
                  users: dict[str, dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    cur, new = runs["current"][key], runs["proposed"][key]
    total_cur, total_new = runs["current"]["to_reps"] or 1, runs["proposed"]["to_reps"] or 1
    rows = []
    for name in sorted(set(cur) | set(new), key=lambda k: (-(cur.get(k, 0) + new.get(k, 0)), k)):
        a, b = cur.get(name, 0), new.get(name, 0)
        row: dict[str, Any] = {"user_id": name} if users is not None else {"team": name}
        if users is not None:
            u = users.get(name, {})
            row.update(name=u.get("name"), role=u.get("role"), team=u.get("team"))
        row.update(current=a, current_share=round(a / total_cur, 4), proposed=b,
                   proposed_share=round(b / total_new, 4), change=b - a)
        rows.append(row)
    return rows


def _fairness_rows(runs: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    cur, new = runs["current"]["fairness_by_node"], runs["proposed"]["fairness_by_node"]
    rows = []
    for node in sorted(set(cur) | set(new)):
        a, b = cur.get(node, {}), new.get(node, {})
        rows.append({"node": node, "current_reps": a.get("reps"), "current_gini": a.get("gini"),
                     "current_max_min": a.get("max_min_ratio"), "proposed_reps": b.get("reps"),
                     "proposed_gini": b.get("gini"), "proposed_max_min": b.get("max_min_ratio")})
    rows.append({"node": "(all reps considered)", "current_reps": runs["current"]["fairness"]["reps"],
                 "current_gini": runs["current"]["fairness"]["gini"],
                 "current_max_min": runs["current"]["fairness"]["max_min_ratio"],
                 "proposed_reps": runs["proposed"]["fairness"]["reps"],
                 "proposed_gini": runs["proposed"]["fairness"]["gini"],
                 "proposed_max_min": runs["proposed"]["fairness"]["max_min_ratio"]})
    return rows


def _round(value: Any) -> Any:
    return round(value, 4) if isinstance(value, float) else value
