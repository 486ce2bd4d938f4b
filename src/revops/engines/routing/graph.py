"""The routing graph of the revenue model compiled once into linked node objects.

Conditions are parsed here (never per lead), each node holds direct references to the nodes
it leads to, and pools keep their own caches; routing a lead walks objects, not the model.
"""

from __future__ import annotations

from typing import Any

from revops.engines.routing import nodes as n
from revops.errors import ModelError


class RoutingGraph:
    """``model.routing`` ready to walk: ``start`` is the first node, ``nodes`` all of them by key."""

    def __init__(self, model: Any) -> None:
        routing = model.routing
        self.model_hash: str = model.hash()
        self.overflow = routing.overflow
        self.fallback = routing.fallback
        overflow_max = self.overflow.max_open_leads_per_rep if self.overflow is not None else None
        self.nodes: dict[str, n.Node] = {}
        for spec in routing.nodes:
            self.nodes[spec.key] = _compile(spec, self.overflow, overflow_max)
        starts = [node for node in self.nodes.values() if node.type == "start"]
        if len(starts) != 1:
            raise ModelError(f"routing needs exactly one start node, found {len(starts)}; "
                             "run `revops validate` for the details")
        try:
            for node in self.nodes.values():
                node.link(self.nodes)
        except KeyError as exc:
            raise ModelError(f"routing goes to {exc.args[0]!r}, which is not a routing node; "
                             "run `revops validate`") from None
        self.start: n.Node = starts[0]
        self.max_steps = len(self.nodes) + 1
        fields = {"lead_id", "owner_id", "country", "region", "industry", "email", "company"}
        for node in self.nodes.values():
            if isinstance(node, n.ConditionNode):
                fields |= node.expression.fields
            fields |= set(getattr(node, "match_on", ()))
        self.lead_fields: frozenset[str] = frozenset(fields)
        """The lead fields routing reads: a batch fetches only these."""

    def node(self, key: str) -> n.Node:
        try:
            return self.nodes[key]
        except KeyError:
            raise ModelError(f"no routing node {key!r}; nodes: {', '.join(self.nodes)}") from None

    def weight(self, node_key: str, rep: Any) -> float:
        """The weight a rotation gives ``rep`` (1 where the node has no weights)."""
        node = self.nodes.get(node_key)
        rules = getattr(node, "rules", None)
        if rules is None:
            return 1.0
        w = rules.weight(rep)
        return w if w > 0 else 1.0


def _compile(spec: Any, overflow: Any, overflow_max: int | None) -> n.Node:
    kind = spec.type
    if kind == "start":
        return n.StartNode(spec)
    if kind == "condition":
        return n.ConditionNode(spec)
    if kind == "round_robin":
        return n.RoundRobinNode(spec, overflow_max)
    if kind == "least_loaded":
        return n.LeastLoadedNode(spec, overflow_max)
    if kind == "territory":
        return n.TerritoryNode(spec, overflow)
    if kind == "account_match":
        return n.AccountMatchNode(spec, overflow)
    if kind == "queue":
        return n.QueueNode(spec)
    if kind == "nurture":
        return n.NurtureNode(spec)
    if kind == "assign":
        return n.AssignNode(spec, overflow)
    raise ModelError(f"routing node {spec.key!r} has an unknown type {kind!r}")
