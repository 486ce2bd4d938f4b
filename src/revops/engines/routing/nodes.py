"""One evaluator per node type of the routing graph.

``visit(lead, at, decision, state)`` records a ``Step`` on the decision and returns the next
node, or None once the lead is placed (with a user, a queue or a nurture sequence) or
nowhere is left to go. Conditions are parsed once and evaluated with the expression
language's compiled per-record path; pools are filtered once per version of the users.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime
from typing import Any

from revops.engines.routing.decision import Candidate, RoutingDecision, Step
from revops.engines.routing.pools import Choice, PoolRules, choose, unavailable
from revops.engines.routing.state import Rep, RoutingState, Territory
from revops.model.expressions import parse

_DYNAMIC_USER_FIELDS = frozenset({"open_leads", "open_opportunities"})


class Node(ABC):
    __slots__ = ("key", "type", "label", "else_key", "else_node", "handoff")

    def __init__(self, spec: Any) -> None:
        self.key: str = spec.key
        self.type: str = spec.type
        self.label: str = spec.label or spec.key
        self.else_key: str | None = getattr(spec, "else_", None)
        self.else_node: Node | None = None
        self.handoff: str | None = getattr(spec, "handoff", None)

    def link(self, nodes: dict[str, Node]) -> None:
        if self.else_key:
            self.else_node = nodes[self.else_key]

    @abstractmethod
    def visit(self, lead: dict, at: datetime, d: RoutingDecision, state: RoutingState) -> Node | None:
        """Record this node's step in ``d``; the next node, or None when the walk ends here."""

    def _fail(self, d: RoutingDecision, tested: dict, outcome: str,
              candidates: list[Candidate] | None = None) -> Node | None:
        """Nobody here could take the lead: follow else, or leave it unplaced."""
        nxt = self.else_node
        if nxt is None:
            outcome += "; no else declared, lead left unassigned"
        d.steps.append(Step(self.key, self.type, tested, outcome, self.else_key, candidates))
        return nxt


def _place_user(d: RoutingDecision, node: Node, rep: Rep, state: RoutingState, rotation: str | None = None,
                weight: float = 1.0) -> None:
    d.assigned_to = rep.user_id
    d.assigned_kind = "user"
    d.team = state.team_name(rep.team)
    d.node = node.key
    d.rotation = (rotation, weight) if rotation else None


def _who(rep: Rep) -> str:
    return f"{rep.user_id} ({rep.name})" if rep.name else rep.user_id


class StartNode(Node):
    __slots__ = ("next_key", "next_node")

    def __init__(self, spec: Any) -> None:
        super().__init__(spec)
        self.next_key = spec.next

    def link(self, nodes: dict[str, Node]) -> None:
        self.next_node = nodes[self.next_key]

    def visit(self, lead, at, d, state):
        return self.next_node


class ConditionNode(Node):
    __slots__ = ("expression", "fields", "then_key", "then_node", "yes", "no")

    def __init__(self, spec: Any) -> None:
        super().__init__(spec)
        self.expression = parse(spec.when)
        self.fields = tuple(sorted(self.expression.fields, key=lambda f: (spec.when.find(f), f)))
        self.then_key = spec.then
        self.yes, self.no = f"yes, {spec.when}", f"no, not {spec.when}"

    def link(self, nodes: dict[str, Node]) -> None:
        super().link(nodes)
        self.then_node = nodes[self.then_key]

    def visit(self, lead, at, d, state):
        tested = {f: lead.get(f) for f in self.fields}
        if self.expression.matches(lead, at):
            d.steps.append(Step(self.key, "condition", tested, self.yes, self.then_key))
            return self.then_node
        d.steps.append(Step(self.key, "condition", tested, self.no, self.else_key))
        return self.else_node


class _Pooled(Node):
    """A node that chooses among users: the pool expression, cached per version of the users."""

    __slots__ = ("pool", "match_region", "rules", "_cache")

    def __init__(self, spec: Any, pool: str | None, rules: PoolRules, match_region: bool = False) -> None:
        super().__init__(spec)
        self.pool = parse(pool) if pool else None
        self.match_region = match_region
        self.rules = rules
        self._cache: tuple | None = None

    def members(self, state: RoutingState, at: datetime, region: str | None = None,
                within: list[Rep] | None = None) -> list[Rep]:
        """Users the pool expression admits (of ``within``, else of everyone), by region if asked."""
        expr = self.pool
        if within is not None:
            return [r for r in within if expr is None or expr.matches(r.record, at)]
        if expr is not None and expr.fields & _DYNAMIC_USER_FIELDS:
            reps = [r for r in state.reps.values() if expr.matches(r.record, at)]
        else:
            cache = self._cache
            if cache is None or cache[0] is not state or cache[1] != state.version:
                everyone = [r for r in state.reps.values() if expr is None or expr.matches(r.record, at)]
                by_region: dict[Any, list[Rep]] = {}
                for r in everyone:
                    by_region.setdefault(r.region, []).append(r)
                cache = self._cache = (state, state.version, everyone, by_region)
            if not self.match_region:
                return cache[2]
            return cache[3].get(region, [])
        if self.match_region:
            return [r for r in reps if r.region == region]
        return reps


class RoundRobinNode(_Pooled):
    __slots__ = ()

    def __init__(self, spec: Any, overflow_max: int | None) -> None:
        rules = PoolRules(spec.key, weights=spec.weights, cap_day=spec.cap_per_day, cap_week=spec.cap_per_week,
                          overflow_max=overflow_max, hours=spec.working_hours)
        super().__init__(spec, spec.pool, rules, spec.match_region)

    def visit(self, lead, at, d, state):
        return _pool_visit(self, lead, at, d, state, "round robin")


class LeastLoadedNode(_Pooled):
    __slots__ = ()

    def __init__(self, spec: Any, overflow_max: int | None) -> None:
        rules = PoolRules(spec.key, overflow_max=overflow_max, hours=spec.working_hours, measure=spec.measure)
        super().__init__(spec, spec.pool, rules, spec.match_region)

    def visit(self, lead, at, d, state):
        return _pool_visit(self, lead, at, d, state, "least loaded")


def _pool_visit(node: _Pooled, lead: dict, at: datetime, d: RoutingDecision, state: RoutingState,
                what: str) -> Node | None:
    region = lead.get("region") if node.match_region else None
    tested = {"region": region} if node.match_region else {}
    members = node.members(state, at, region)
    if not members:
        where = f" in region {region}" if node.match_region else ""
        if node.match_region and region is None:
            where = f" (lead has no region: country {lead.get('country')!r} is not in routing.regions)"
        return node._fail(d, tested, f"nobody in the pool{where}", [])
    choice = choose(state, members, at, node.rules)
    return _placed_or_fail(node, d, state, tested, choice, f"{what} of {len(members)}")


def _placed_or_fail(node: _Pooled, d: RoutingDecision, state: RoutingState, tested: dict, choice: Choice,
                    what: str) -> Node | None:
    if choice.rep is None:
        return node._fail(d, tested, f"{what}: nobody available", choice.candidates)
    _place_user(d, node, choice.rep, state, node.rules.rotation, choice.weight)
    d.steps.append(Step(node.key, node.type, tested, f"{what}: {_who(choice.rep)}", None, choice.candidates))
    return None


class TerritoryNode(_Pooled):
    __slots__ = ("segment", "match_on", "assign_to", "overflow", "owner_rules")

    def __init__(self, spec: Any, overflow: Any) -> None:
        overflow_max = overflow.max_open_leads_per_rep if overflow is not None else None
        rules = PoolRules(spec.key, overflow_max=overflow_max, hours=spec.working_hours)
        super().__init__(spec, spec.pool, rules)
        self.segment = spec.segment
        self.match_on = tuple(spec.match_on)
        self.assign_to = spec.assign_to
        self.overflow = overflow
        self.owner_rules = PoolRules(spec.key, overflow_max=overflow_max, hours="ignore")

    def find(self, lead: dict, state: RoutingState) -> Territory | None:
        """The most specific territory of the node's segment for the lead: its country listed
        beats a territory of its region without a country list, which beats one of its region
        listing other countries, which beats a catch-all; within that, a matching industry
        beats none, and an exact segment beats a territory for every segment."""
        country = lead.get("country")
        country = country.strip().upper() if isinstance(country, str) else None
        region = lead.get("region")
        industry = lead.get("industry")
        industry = industry.strip().lower() if isinstance(industry, str) else None
        by_country, by_region = "country" in self.match_on, "region" in self.match_on
        best, best_score = None, -1
        for t in state.territories:
            if self.segment is not None and t.segment is not None and t.segment != self.segment:
                continue
            if by_country and country is not None and country in t.countries:
                place = 3
            elif (by_country or by_region) and t.region is not None and t.region == region:
                place = 1 if t.countries and by_country else 2
            elif t.region is None and not (by_country and t.countries):
                place = 0
            else:
                continue
            score = place * 10 + (1 if t.segment is not None else 0)
            if "industry" in self.match_on and t.industry is not None:
                if industry != t.industry:
                    continue
                score += 2
            if score > best_score:
                best, best_score = t, score
        return best

    def visit(self, lead, at, d, state):
        tested = {f: lead.get(f) for f in self.match_on}
        if "country" in self.match_on and "region" not in tested:
            tested["region"] = lead.get("region")
        if self.segment:
            tested["segment"] = self.segment
        territory = self.find(lead, state)
        if territory is None:
            return self._fail(d, tested, "no territory matches")
        tested["territory"] = territory.territory_id
        label = f"territory {territory.territory_id}" + (f" {territory.name}" if territory.name else "")
        candidates: list[Candidate] = []
        order = ("team", "owner") if self.assign_to == "team" else ("owner", "team")
        for source in order:
            if source == "team" and territory.team_id:
                team = self.members(state, at, within=state.members(territory.team_id))
                if team:
                    choice = choose(state, team, at, self.rules)
                    candidates.extend(choice.candidates)
                    if choice.rep is not None:
                        _place_user(d, self, choice.rep, state, self.rules.rotation, choice.weight)
                        d.steps.append(Step(self.key, self.type, tested, f"{label}: team "
                                            f"{state.team_name(territory.team_id)} -> {_who(choice.rep)}",
                                            None, candidates))
                        return None
            elif source == "owner" and territory.owner_id:
                placed = _owner(self, territory.owner_id, at, d, state, tested, candidates, label)
                if placed is not False:
                    return placed
        return self._fail(d, tested, f"{label}: nobody on the team or owner available", candidates)


class AccountMatchNode(Node):
    __slots__ = ("match_on", "overflow", "owner_rules")

    def __init__(self, spec: Any, overflow: Any) -> None:
        super().__init__(spec)
        self.match_on = tuple(spec.match_on)
        self.overflow = overflow
        overflow_max = overflow.max_open_leads_per_rep if overflow is not None else None
        self.owner_rules = PoolRules(spec.key, overflow_max=overflow_max, hours="ignore")

    def visit(self, lead, at, d, state):
        account, how, value = state.accounts.match(lead, self.match_on)
        tested: dict[str, Any] = {"email": lead.get("email"), "company": lead.get("company")}
        if account is None:
            return self._fail(d, tested, "no account matches")
        tested["account"] = account.account_id
        label = f"account {account.account_id}" + (f" {account.name}" if account.name else "") + \
            f" by {how} {value!r}"
        if not account.owner_id:
            return self._fail(d, tested, f"{label}: the account has no owner")
        candidates: list[Candidate] = []
        placed = _owner(self, account.owner_id, at, d, state, tested, candidates, label)
        if placed is not False:
            return placed
        return self._fail(d, tested, f"{label}: owner unavailable", candidates)


def _owner(node: Any, owner_id: str, at: datetime, d: RoutingDecision, state: RoutingState, tested: dict,
           candidates: list[Candidate], label: str) -> Node | None | bool:
    """Give the lead to a named owner; an owner over the open-lead limit overflows (to their team
    or the overflow queue). False when neither can take it, so the caller follows else."""
    rep = state.reps.get(owner_id)
    if rep is None:
        candidates.append((owner_id, "unknown_user", None))
        return False
    code, detail = unavailable(state, rep, at, node.owner_rules)
    if code is None:
        candidates.append((rep.user_id, "chosen", "owner"))
        _place_user(d, node, rep, state)
        d.steps.append(Step(node.key, node.type, tested, f"{label}: owner {_who(rep)}", None, candidates))
        return None
    candidates.append((rep.user_id, code, detail))
    overflow = node.overflow
    if code != "overflow" or overflow is None:
        return False
    if overflow.action == "send_to_queue":
        d.assigned_to, d.assigned_kind, d.node = overflow.queue, "queue", node.key
        d.steps.append(Step(node.key, node.type, tested, f"{label}: owner {rep.user_id} overflows -> "
                            f"queue {overflow.queue}", None, candidates))
        return None
    team = [r for r in state.members(rep.team) if r is not rep]
    rules = PoolRules(f"overflow:{rep.team}", overflow_max=overflow.max_open_leads_per_rep,
                      hours="prefer", measure="open_leads")
    choice = choose(state, team, at, rules)
    candidates.extend(choice.candidates)
    if choice.rep is None:
        return False
    _place_user(d, node, choice.rep, state, rules.rotation)
    d.steps.append(Step(node.key, node.type, tested, f"{label}: owner {rep.user_id} overflows -> team "
                        f"{state.team_name(rep.team)}: {_who(choice.rep)}", None, candidates))
    return None


class QueueNode(Node):
    __slots__ = ("queue",)

    def __init__(self, spec: Any) -> None:
        super().__init__(spec)
        self.queue = spec.queue

    def visit(self, lead, at, d, state):
        d.assigned_to, d.assigned_kind, d.node = self.queue, "queue", self.key
        d.steps.append(Step(self.key, "queue", {}, f"queue {self.queue}"))
        return None


class NurtureNode(Node):
    __slots__ = ("sequence",)

    def __init__(self, spec: Any) -> None:
        super().__init__(spec)
        self.sequence = spec.sequence

    def visit(self, lead, at, d, state):
        d.assigned_to, d.assigned_kind, d.node = self.sequence, "nurture", self.key
        d.steps.append(Step(self.key, "nurture", {}, f"nurture sequence {self.sequence}"))
        return None


class AssignNode(Node):
    __slots__ = ("user_id", "team", "rules")

    def __init__(self, spec: Any, overflow: Any) -> None:
        super().__init__(spec)
        self.user_id, self.team = spec.user_id, spec.team
        overflow_max = overflow.max_open_leads_per_rep if overflow is not None else None
        self.rules = PoolRules(spec.key, overflow_max=overflow_max, hours="prefer", measure="open_leads")

    def visit(self, lead, at, d, state):
        if self.user_id:
            rep = state.reps.get(self.user_id)
            if rep is None:
                return self._fail(d, {"user_id": self.user_id}, f"{self.user_id} is not in users",
                                  [(self.user_id, "unknown_user", None)])
            code, detail = unavailable(state, rep, at, PoolRules(self.key))
            if code is not None:
                return self._fail(d, {"user_id": self.user_id}, f"{_who(rep)} cannot take leads",
                                  [(rep.user_id, code, detail)])
            _place_user(d, self, rep, state)
            d.steps.append(Step(self.key, "assign", {"user_id": self.user_id}, f"assigned to {_who(rep)}",
                                None, [(rep.user_id, "chosen", "named")]))
            return None
        members = state.members(self.team)
        choice = choose(state, members, at, self.rules)
        tested = {"team": self.team}
        if choice.rep is None:
            return self._fail(d, tested, f"nobody on team {self.team} available", choice.candidates)
        _place_user(d, self, choice.rep, state, self.rules.rotation)
        d.steps.append(Step(self.key, "assign", tested, f"team {state.team_name(self.team)}: "
                            f"{_who(choice.rep)}", None, choice.candidates))
        return None
