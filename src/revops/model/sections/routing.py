"""`routing`: who gets a new lead, as a graph of named nodes walked from the start node.

A condition node branches on an expression over lead fields (`then` when true, `else`
otherwise). Assignment nodes pick an owner; `else` is where a lead goes when they cannot
(no territory matches, nobody in the pool has capacity). `handoff` is the node that takes
over when a lead the node's owner qualified is passed on (SDR → AE).
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import Field

from revops.model.sections.base import Key, Section
from revops.model.sections.slas import Fallback


class _Node(Section):
    key: Key
    label: str = ""
    description: str = ""


class StartNode(_Node):
    type: Literal["start"]
    next: Key
    """The first node a new lead is sent to."""


class ConditionNode(_Node):
    type: Literal["condition"]
    when: str
    """Expression over lead fields (and score fields)."""
    then: Key
    else_: Key | None = Field(None, alias="else")
    """Where the lead goes when `when` is false. Required: every question needs a 'no' answer."""


WorkingHours = Literal["prefer", "require", "ignore"]
"""How a pool treats reps outside their working hours (business hours in their own time zone):
prefer skips them while anyone is working and otherwise gives the lead to whoever starts
first; require skips them always (the lead follows `else`); ignore does not look."""


class _Assigning(_Node):
    else_: Key | None = Field(None, alias="else")
    """Where the lead goes when this node cannot assign it."""
    handoff: Key | None = None
    """Node that takes over once this owner qualifies the lead (e.g. SDR → AE)."""


class TerritoryNode(_Assigning):
    type: Literal["territory"]
    segment: str | None = None
    """Only territories of this segment (territories.segment) are considered."""
    match_on: list[str] = Field(default_factory=lambda: ["country"])
    """Lead fields matched against the territory: country (territories.countries, else the
    country's region from `routing.regions`), region, industry."""
    assign_to: Literal["team", "owner"] = "team"
    """team: the territory's team (territories.team_id) in rotation, its owner when nobody on
    the team can take the lead; owner: the territory's owner first, then the team."""
    pool: str | None = None
    """Expression over users fields narrowing the territory's team (e.g. role = 'ae')."""
    working_hours: WorkingHours = "prefer"


class AccountMatchNode(_Assigning):
    type: Literal["account_match"]
    match_on: list[Literal["domain", "company"]] = Field(default_factory=lambda: ["domain"])
    """How a lead is matched to an existing account, whose owner then gets it."""


class RoundRobinNode(_Assigning):
    type: Literal["round_robin"]
    pool: str
    """Expression over users fields choosing who is in the rotation."""
    weights: dict[str, float] = Field(default_factory=dict)
    """Relative share of leads by user_id or role (default 1 each)."""
    cap_per_day: int | None = Field(None, gt=0)
    """Most leads a rep receives in one of their own (local) days; routed leads of every node count."""
    cap_per_week: int | None = Field(None, gt=0)
    """Most leads a rep receives in one of their own (local, ISO) weeks."""
    match_region: bool = False
    """Only reps whose users.region is the lead's region (its country mapped by `routing.regions`)."""
    working_hours: WorkingHours = "prefer"


class LeastLoadedNode(_Assigning):
    type: Literal["least_loaded"]
    pool: str
    measure: Literal["open_leads", "open_opportunities"] = "open_leads"
    match_region: bool = False
    """Only reps whose users.region is the lead's region (its country mapped by `routing.regions`)."""
    working_hours: WorkingHours = "prefer"


class QueueNode(_Node):
    type: Literal["queue"]
    queue: str


class NurtureNode(_Node):
    type: Literal["nurture"]
    sequence: str
    """Marketing automation sequence the lead is enrolled in."""


class AssignNode(_Node):
    type: Literal["assign"]
    user_id: str | None = None
    team: str | None = None
    """A team (teams.team_id or users.team): its least-loaded available member."""
    handoff: Key | None = None
    else_: Key | None = Field(None, alias="else")
    """Where the lead goes when the user is inactive or nobody on the team can take it."""


RoutingNode = Annotated[
    Union[StartNode, ConditionNode, TerritoryNode, AccountMatchNode, RoundRobinNode,
          LeastLoadedNode, QueueNode, NurtureNode, AssignNode],
    Field(discriminator="type"),
]

NODE_TYPES: tuple[str, ...] = (
    "start", "condition", "territory", "account_match", "round_robin", "least_loaded", "queue",
    "nurture", "assign",
)


class Overflow(Section):
    """What happens when a rep already holds too many open leads."""

    max_open_leads_per_rep: int = Field(50, gt=0)
    action: Literal["distribute_to_team", "send_to_queue"] = "distribute_to_team"
    queue: str | None = None


class RoutingFallback(Fallback):
    """No first touch within `after` (`unit`) of assignment: the lead moves on (`action`)."""

    reminder_before: float | None = Field(None, gt=0)
    """Remind the owner this long (in `unit`) before the fallback fires."""


class Routing(Section):
    nodes: list[RoutingNode]
    regions: dict[str, list[str]] = Field(default_factory=dict)
    """Sales regions and their countries (ISO 3166 alpha-2): {NA: [US, CA], EMEA: [GB, DE], …}.
    A lead's region is its country's; users.region and territories.region use the same names."""
    fallback: RoutingFallback | None = None
    """No response within `after` (`unit`) of assignment: e.g. reassign to the manager."""
    overflow: Overflow | None = None

    def node(self, key: str) -> _Node:
        for n in self.nodes:
            if n.key == key:
                return n
        raise KeyError(f"no routing node {key!r}")


def node_targets(node: _Node) -> list[tuple[str, str]]:
    """(attribute, target key) for every edge leaving ``node``."""
    out = []
    for attr, alias in (("next", "next"), ("then", "then"), ("else_", "else"), ("handoff", "handoff")):
        target = getattr(node, attr, None)
        if target:
            out.append((alias, target))
    return out
