"""Storing routing decisions: the new owner on the lead and the decision in ``_routing_decisions``.

Both land in one transaction. The owner is written compare-and-set: a lead whose owner is no
longer the one the decision started from (someone assigned it meanwhile) is not touched, its
decision is not stored and comes back as a conflict, so a lead is never assigned twice.
Queues own their leads like a user does (leads.owner_id = the queue's name); a lead sent to
nurture keeps no owner but gets ``assigned_at``, so batch routing leaves it alone until it
becomes an MQL.
"""

from __future__ import annotations

import json
import queue
import threading
import weakref
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from revops.engines.routing.decision import RoutingDecision

AUDIT_COLUMNS: tuple[str, ...] = (
    "decision_id", "lead_id", "decided_at", "trigger", "model_hash", "path", "steps", "previous_owner",
    "assigned_to", "assigned_kind", "team", "reason",
)

_locks: weakref.WeakKeyDictionary[Any, threading.Lock] = weakref.WeakKeyDictionary()
_locks_guard = threading.Lock()


def store_lock(store: Any) -> threading.Lock:
    """One lock per store: a DuckDB connection takes one writer thread at a time."""
    with _locks_guard:
        lock = _locks.get(store)
        if lock is None:
            lock = _locks[store] = threading.Lock()
        return lock


@dataclass
class Recorded:
    stored: list[RoutingDecision] = field(default_factory=list)
    conflicts: list[RoutingDecision] = field(default_factory=list)
    """Decisions not stored: the lead's owner changed meanwhile, or the lead is not in the store."""


def audit_table(decisions: Sequence[RoutingDecision]) -> pa.Table:
    rows = [d.audit_row() for d in decisions]
    return pa.table({
        name: pa.array([r[name] for r in rows], pa.timestamp("us") if name == "decided_at" else pa.string())
        for name in AUDIT_COLUMNS
    })


def record(store: Any, decisions: Sequence[RoutingDecision]) -> Recorded:
    """Apply ``decisions`` to the leads (compare-and-set on the owner) and audit the ones applied."""
    out = Recorded()
    if not decisions:
        return out
    seen: set[str | None] = set()
    unique = []
    for d in decisions:
        if d.lead_id in seen:
            out.conflicts.append(d)
        else:
            seen.add(d.lead_id)
            unique.append(d)
    changes = pa.table({
        "lead_id": pa.array([d.lead_id for d in unique], pa.string()),
        "new_owner": pa.array([new_owner(d) for d in unique], pa.string()),
        "previous_owner": pa.array([d.previous_owner for d in unique], pa.string()),
        "decided_at": pa.array([d.decided_at for d in unique], pa.timestamp("us")),
    })
    con = store.con
    with store_lock(store), store.transaction():
        con.register("_routing_changes", changes)
        try:
            blocked = {r[0] for r in con.execute(
                "SELECT c.lead_id FROM _routing_changes c LEFT JOIN leads l ON l.lead_id = c.lead_id "
                "WHERE l.lead_id IS NULL OR l.owner_id IS DISTINCT FROM c.previous_owner").fetchall()}
            con.execute(
                "UPDATE leads SET owner_id = c.new_owner, assigned_at = c.decided_at FROM _routing_changes c "
                "WHERE leads.lead_id = c.lead_id AND leads.owner_id IS NOT DISTINCT FROM c.previous_owner")
        finally:
            con.unregister("_routing_changes")
        for d in unique:
            (out.conflicts if d.lead_id in blocked else out.stored).append(d)
        if out.stored:
            audit = audit_table(out.stored)
            con.register("_routing_audit", audit)
            try:
                cols = ", ".join(AUDIT_COLUMNS)
                con.execute(f"INSERT INTO _routing_decisions ({cols}) SELECT {cols} FROM _routing_audit")
            finally:
                con.unregister("_routing_audit")
    return out


class RoutingLedger:
    """Stores decisions submitted from many threads in group commits.

    A DuckDB commit costs milliseconds whatever it holds, so one writer thread takes every
    decision waiting (up to ``max_batch``) into one ``record`` call. ``submit`` returns a
    future that resolves once the decision is committed: True when stored, False when the
    lead had been assigned meanwhile (the decision is then released from ``router``'s state).
    Acknowledge a lead to its sender only after its future resolved: then it is in the store.

        with RoutingLedger(store, router) as ledger:
            stored = ledger.submit(router.route(lead, at)).result()
    """

    def __init__(self, store: Any, router: Any = None, *, max_batch: int = 500) -> None:
        self.store, self.router, self.max_batch = store, router, max_batch
        self._queue: queue.SimpleQueue[tuple[RoutingDecision, Future[bool]] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="routing-ledger", daemon=True)
        self._closed = False
        self._thread.start()

    def submit(self, decision: RoutingDecision) -> Future[bool]:
        if self._closed:
            raise RuntimeError("the routing ledger is closed")
        future: Future[bool] = Future()
        self._queue.put((decision, future))
        return future

    def close(self) -> None:
        """Store what is waiting, then stop the writer."""
        if not self._closed:
            self._closed = True
            self._queue.put(None)
            self._thread.join()

    def __enter__(self) -> RoutingLedger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self) -> None:
        stop = False
        while not stop:
            first = self._queue.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < self.max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            self._write(batch)

    def _write(self, batch: list[tuple[RoutingDecision, Future[bool]]]) -> None:
        try:
            result = record(self.store, [d for d, _ in batch])
        except BaseException as exc:  # the transaction rolled back: nothing of the batch is stored
            for d, future in batch:
                if self.router is not None:
                    self.router.release(d)
                future.set_exception(exc)
            return
        lost = {id(d) for d in result.conflicts}
        for d, future in batch:
            if id(d) in lost and self.router is not None:
                self.router.release(d)
            future.set_result(id(d) not in lost)


def new_owner(d: RoutingDecision) -> str | None:
    if d.assigned_kind in ("user", "queue"):
        return d.assigned_to
    if d.assigned_kind == "nurture":
        return None
    return d.previous_owner  # nothing placed the lead: it stays where it was


def decisions_for(store: Any, lead_id: str) -> list[dict[str, Any]]:
    """Every stored decision about one lead, oldest first, with path and steps parsed."""
    rows = store.query(
        f"SELECT {', '.join(AUDIT_COLUMNS)} FROM _routing_decisions WHERE lead_id = ? ORDER BY decided_at",
        [lead_id])
    for r in rows:
        r["path"] = json.loads(r["path"]) if r["path"] else []
        r["steps"] = json.loads(r["steps"]) if r["steps"] else []
    return rows
