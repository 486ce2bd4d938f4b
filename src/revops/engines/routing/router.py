"""``Router``: route one lead through the compiled graph against the in-memory rep state.

    router = Router.from_store(store, model)           # reps, caps and rotations as stored
    decision = router.route(lead, at)                  # RoutingDecision
    decision.assigned_to, decision.path, decision.reason

A decision and the state change it causes (open leads, the caps' counts, the rotation) happen
under one lock, so concurrent callers never push a rep past a cap or give two leads the same
turn. ``release(decision)`` takes a decision back when it could not be stored (the lead was
assigned by someone else meanwhile). The router never writes the store: see ``audit``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from revops.engines.routing.decision import Candidate, RoutingDecision, Step
from revops.engines.routing.graph import RoutingGraph
from revops.engines.routing.state import RoutingState, recent_decisions
from revops.errors import RevopsError


class RoutingError(RevopsError):
    """A lead cannot be routed as asked (a loop in the graph, an unknown start node)."""


class Router:
    def __init__(self, model: Any, state: RoutingState, graph: RoutingGraph | None = None) -> None:
        self.model = model
        self.state = state
        self.graph = graph or RoutingGraph(model)

    @classmethod
    def from_store(cls, store: Any, model: Any, at: datetime | None = None) -> Router:
        """A router whose reps, open leads, caps and rotations are the store's as of ``at``."""
        at = naive_utc(at) if at is not None else _now()
        router = cls(model, RoutingState.load(store, model, at))
        router.catch_up(recent_decisions(store, at))
        return router

    def catch_up(self, decisions: list[tuple[datetime, str, str]]) -> None:
        """Count earlier assignments (decided_at, node key, user id) towards caps and rotations."""
        state = self.state
        with state.lock:
            for decided_at, node_key, user_id in decisions:
                rep = state.reps.get(user_id)
                if rep is None:
                    continue
                state.count_assignment(rep, decided_at)
                if node_key in self.graph.nodes:
                    state.rotate(node_key, rep, self.graph.weight(node_key, rep))

    # -- routing ---------------------------------------------------------------------------
    def route(self, lead: Mapping[str, Any], at: datetime | None = None, *, trigger: str = "route",
              start: str | None = None) -> RoutingDecision:
        """Route ``lead`` (a leads row as a dict) at ``at`` (naive UTC; default now) from the
        start node, or from node ``start`` (e.g. a hand-off node)."""
        at = naive_utc(at) if at is not None else _now()
        record = self.prepare(lead)
        owner = lead.get("owner_id")
        d = RoutingDecision(_text(lead.get("lead_id")), at, trigger, self.graph.model_hash,
                            owner if owner else None)
        graph, state = self.graph, self.state
        node = graph.start if start is None else graph.node(start)
        with state.lock:
            steps = 0
            while node is not None:
                d.path.append(node.key)
                node = node.visit(record, at, d, state)
                steps += 1
                if steps > graph.max_steps:
                    raise RoutingError(f"routing loops: {' -> '.join(d.path)}; run `revops validate`")
            self._commit(d)
        return d

    def prepare(self, lead: Mapping[str, Any]) -> dict[str, Any]:
        """The lead as conditions read it: country in capitals, region from routing.regions."""
        record = dict(lead)
        country = record.get("country")
        if isinstance(country, str):
            country = record["country"] = country.strip().upper()
        if record.get("region") is None:
            record["region"] = self.state.region_of(country)
        return record

    def reassign(self, lead: Mapping[str, Any], at: datetime, *, trigger: str, node: str,
                 assigned_to: str | None, kind: str, tested: dict[str, Any], outcome: str,
                 candidates: list[Candidate] | None = None) -> RoutingDecision:
        """Record a move decided outside the graph (the SLA fallback) and apply it to the state."""
        at = naive_utc(at)
        owner = lead.get("owner_id")
        d = RoutingDecision(_text(lead.get("lead_id")), at, trigger, self.graph.model_hash,
                            owner if owner else None)
        d.path.append(node)
        d.steps.append(Step(node, trigger, tested, outcome, None, candidates))
        d.assigned_to, d.assigned_kind, d.node = assigned_to, kind, node
        if kind == "user" and assigned_to in self.state.reps:
            d.team = self.state.team_name(self.state.reps[assigned_to].team)
        with self.state.lock:
            self._commit(d)
        return d

    def _commit(self, d: RoutingDecision) -> None:
        state = self.state
        rep = state.reps.get(d.assigned_to) if d.assigned_kind == "user" else None
        previous = state.reps.get(d.previous_owner) if d.previous_owner else None
        if previous is rep:
            previous = None
        rotation = None
        if rep is not None:
            day, week = state.count_assignment(rep, d.decided_at)
            rep.add_open_leads(1)
            if d.rotation is not None:
                key, weight = d.rotation
                rotation = (key, state.rotate(key, rep, weight))
            d.undo = (rep, day, week, rotation, previous)
        elif previous is not None:
            d.undo = (None, None, None, None, previous)
        if previous is not None:
            previous.add_open_leads(-1)

    def release(self, d: RoutingDecision) -> None:
        """Take back the state change of a decision that was not stored."""
        if d.undo is None:
            return
        state = self.state
        with state.lock:
            rep, day, week, rotation, previous = d.undo
            if rep is not None:
                rep.day_counts[day] = max(rep.day_counts.get(day, 0) - 1, 0)
                rep.week_counts[week] = max(rep.week_counts.get(week, 0) - 1, 0)
                rep.add_open_leads(-1)
                if rotation is not None:
                    key, old = rotation
                    state.unrotate(key, rep, old)
            if previous is not None:
                previous.add_open_leads(1)
            d.undo = None

    # -- changes from outside ------------------------------------------------------------------
    def user_changed(self, user: Mapping[str, Any]) -> None:
        """A users row changed (deactivated, out of office, new time zone…): applies at once."""
        self.state.user_changed(user)

    def lead_closed(self, owner_id: str | None) -> None:
        """One of ``owner_id``'s open leads was converted, disqualified or recycled."""
        self.state.lead_closed(owner_id)


def naive_utc(at: datetime) -> datetime:
    """An instant as the store keeps it: naive UTC."""
    if at.tzinfo is not None:
        return at.astimezone(timezone.utc).replace(tzinfo=None)
    return at


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
