"""`revops route`: route the stored leads that are waiting for an owner, or the leads of a file.

Routed are leads that have never been placed and are still in play: no owner, no
assigned_at, lifecycle stage new or MQL (or none yet), not converted, not disqualified.
A lead parked in nurture (no owner, assigned_at set) comes back once it becomes an MQL
after it was parked. Leads already owned by a user or a queue are left to their owner
(and to the SLA fallback). The oldest lead goes first.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from revops.engines.routing.audit import Recorded, record
from revops.engines.routing.decision import RoutingDecision
from revops.engines.routing.router import Router

ROUTABLE = (
    "owner_id IS NULL AND coalesce(status, 'new') IN ('new', 'mql') AND coalesce(converted, false) = false "
    "AND disqualified_at IS NULL AND (assigned_at IS NULL OR (mql_at IS NOT NULL AND mql_at > assigned_at))"
)
"""SQL over leads: the leads `revops route` places."""


@dataclass
class RouteRun:
    decisions: list[RoutingDecision] = field(default_factory=list)
    conflicts: list[RoutingDecision] = field(default_factory=list)
    stored: bool = False

    def rows(self) -> list[dict[str, Any]]:
        return [d.row() for d in self.decisions]


CHUNK = 50_000
"""Leads routed and stored per transaction: memory stays flat however many leads wait."""


def routable_ids(store: Any, at: datetime | None = None, limit: int | None = None) -> list[str]:
    """Ids of the stored leads waiting for routing (see the module's description), oldest first."""
    sql = f"SELECT lead_id FROM leads WHERE {ROUTABLE}"
    params: list[Any] = []
    if at is not None:
        sql += " AND (created_at IS NULL OR created_at <= ?)"
        params.append(at)
    sql += " ORDER BY coalesce(mql_at, created_at) NULLS LAST, lead_id"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return [r[0] for r in store.con.execute(sql, params).fetchall()]


def leads_by_id(store: Any, ids: list[str], fields: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """The leads rows of ``ids``, in that order: every column, or only ``fields`` (those present)."""
    import pyarrow as pa

    from revops.store.store import quote

    columns = "l.*"
    if fields is not None:
        present = store.columns("leads")
        columns = ", ".join(f"l.{quote(f)}" for f in sorted(fields) if f in present)
    wanted = pa.table({"lead_id": pa.array(ids, pa.string()), "_pos": pa.array(range(len(ids)), pa.int64())})
    store.con.register("_routing_ids", wanted)
    try:
        cur = store.con.execute(f"SELECT {columns} FROM _routing_ids w JOIN leads l ON l.lead_id = w.lead_id "
                                "ORDER BY w._pos")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]
    finally:
        store.con.unregister("_routing_ids")


def routable_leads(store: Any, at: datetime | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """The stored leads waiting for routing, oldest first."""
    return leads_by_id(store, routable_ids(store, at, limit))


def route_chunks(store: Any, model: Any, at: datetime, *, dry_run: bool = False, limit: int | None = None,
                 chunk: int = CHUNK) -> Iterator[RouteRun]:
    """Route the stored leads waiting for an owner at ``at``, ``chunk`` at a time; each chunk's
    owners and decisions are stored in one transaction (unless ``dry_run``) before the next is
    read. A lead assigned by someone else meanwhile is a conflict: left alone, its turn given back."""
    router = Router.from_store(store, model, at)
    ids = routable_ids(store, at, limit)
    for lo in range(0, len(ids), chunk):
        leads = leads_by_id(store, ids[lo:lo + chunk], router.graph.lead_fields)
        with paused_gc():
            decisions = [router.route(lead, at) for lead in leads]
            del leads
            if dry_run:
                yield RouteRun(decisions=decisions)
                continue
            recorded: Recorded = record(store, decisions)
            for d in recorded.conflicts:
                router.release(d)
        yield RouteRun(decisions=recorded.stored, conflicts=recorded.conflicts, stored=True)


def route_stored(store: Any, model: Any, at: datetime, *, dry_run: bool = False,
                 limit: int | None = None) -> RouteRun:
    """``route_chunks`` gathered into one run (every decision kept: for small batches)."""
    run = RouteRun(stored=not dry_run)
    for part in route_chunks(store, model, at, dry_run=dry_run, limit=limit):
        run.decisions += part.decisions
        run.conflicts += part.conflicts
    run.stored = run.stored and bool(run.decisions)
    return run


_HANDED = """
WITH latest AS (
    SELECT lead_id, arg_max(path, decided_at) AS path, arg_max(trigger, decided_at) AS trigger,
           arg_max(assigned_to, decided_at) AS assigned_to, arg_max(assigned_kind, decided_at) AS kind
    FROM _routing_decisions GROUP BY lead_id)
SELECT l.lead_id, latest.path FROM leads l JOIN latest ON latest.lead_id = l.lead_id
WHERE latest.kind = 'user' AND latest.trigger <> 'handoff' AND l.owner_id = latest.assigned_to
  AND l.sql_at IS NOT NULL AND l.sql_at <= $at AND (l.assigned_at IS NULL OR l.sql_at >= l.assigned_at)
  AND coalesce(l.converted, false) = false AND l.disqualified_at IS NULL
ORDER BY l.sql_at, l.lead_id
"""


def route_handoffs(store: Any, model: Any, at: datetime, *, dry_run: bool = False) -> RouteRun:
    """Hand qualified leads on: a lead whose owner was placed by a node with a ``handoff``
    (mid-market SDR -> AE) and that has since become an SQL is routed from the hand-off node
    (trigger ``handoff``). When the hand-off node cannot place it with a rep, it stays put."""
    import json

    if not store.has_table("_routing_decisions"):
        return RouteRun()
    router = Router.from_store(store, model, at)
    starts: dict[str, str] = {}
    for lead_id, path in store.con.execute(_HANDED, {"at": at}).fetchall():
        nodes = json.loads(path) if path else []
        node = router.graph.nodes.get(nodes[-1]) if nodes else None
        if node is not None and node.handoff:
            starts[lead_id] = node.handoff
    run = RouteRun()
    leads = leads_by_id(store, list(starts), router.graph.lead_fields)
    for lead in leads:
        d = router.route(lead, at, trigger="handoff", start=starts[lead["lead_id"]])
        if d.assigned_kind == "user":
            run.decisions.append(d)
        else:
            router.release(d)
    if dry_run or not run.decisions:
        return run
    recorded = record(store, run.decisions)
    for d in recorded.conflicts:
        router.release(d)
    run.decisions, run.conflicts, run.stored = recorded.stored, recorded.conflicts, True
    return run


def route_records(store: Any, model: Any, leads: Iterable[Mapping[str, Any]], at: datetime) -> RouteRun:
    """Route leads that are not stored (a file): reps and their load come from ``store``,
    nothing is written. Leads of the file take turns with each other as they would live."""
    router = Router.from_store(store, model, at)
    with paused_gc():
        return RouteRun(decisions=[router.route(lead, at) for lead in leads])


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection while a batch builds many objects that all stay alive: each
    collection would walk them all again (routing makes no reference cycles)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def read_lead_file(path: Path, mapping: Path | None = None, model: Any = None) -> tuple[list[dict[str, Any]], list[str]]:
    """The leads of a file read, mapped and validated as `revops ingest leads` would, without
    storing them: (rows, one line per quarantined value: row, column and reason)."""
    from revops.ingest.pipeline import ingest_file, list_quarantine
    from revops.store import Store

    with Store(":memory:") as scratch:
        ingest_file(scratch, "leads", path, mapping=mapping, model=model, progress=False)
        cur = scratch.con.execute("SELECT * FROM leads ORDER BY coalesce(mql_at, created_at) NULLS LAST, lead_id")
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, row)) for row in cur.fetchall()]
        problems = [f"row {q['row']}" + (f" {q['column']}" if q["column"] else "") + f": {q['reason']}"
                    for q in list_quarantine(scratch, "leads")]
    return rows, problems


def fill_missing_scores(model: Any, leads: list[dict[str, Any]], at: datetime, store: Any = None) -> int:
    """Score, with the model's scoring rules, the leads that arrive without a score (a file of
    new leads); returns how many were scored. Leads that carry a score keep it."""
    todo = [lead for lead in leads if lead.get("score") is None]
    if not todo:
        return 0
    try:
        from revops.engines.scoring.combined import score_lead
    except ImportError:  # scoring engine not installed: conditions on score see null
        return 0
    for lead in todo:
        scored = score_lead(model, lead, None, at, store=store)
        lead["score"] = scored.score
        for group in ("fit", "intent", "engagement"):
            if lead.get(f"{group}_score") is None:
                lead[f"{group}_score"] = scored.group_points(group)
    return len(todo)
