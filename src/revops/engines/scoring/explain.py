"""What a lead's rules score is made of: every rule that added (or took away) points, each
group before and after its cap, and the total.

The same objects come out of per-record scoring (``rules.score_record``) and out of a row of
the vectorised scoring (``RulesScore.from_row``), so the two paths can be compared and every
surface (CLI, API, reports) explains a score the same way.

Points are kept as computed; the group points and the total are rounded to 2 decimals the
way DuckDB's ``round`` does (half away from zero), so both paths give identical numbers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from revops.engines.scoring.rules import Rulebook


def round2(value: float) -> float:
    """``value`` rounded to 2 decimals, half away from zero, exactly as DuckDB rounds a DOUBLE."""
    scaled = abs(value) * 100.0
    whole = math.floor(scaled)
    rounded = whole + 1.0 if scaled - whole >= 0.5 else whole
    return math.copysign(rounded / 100.0, value) if rounded else 0.0


def clamp_score(value: float) -> float:
    return min(max(value, 0.0), 100.0)


@dataclass
class RuleAward:
    """Points one rule gave a lead. ``events`` counts the matching touches or activities (None
    for a rule on the lead itself); ``counted`` is its share once the group's cap applied."""

    rule: str
    label: str
    table: str
    points: float
    events: int | None = None
    counted: float = 0.0


@dataclass
class GroupScore:
    """One scoring group: points before the cap (``uncapped``) and after it (``points``)."""

    group: str
    label: str
    cap: float | None
    uncapped: float
    points: float
    rules: list[RuleAward] = field(default_factory=list)

    @property
    def capped(self) -> bool:
        return self.cap is not None and self.uncapped > self.cap


@dataclass
class RulesScore:
    """A lead's rules score (0-100) with the groups and rules behind it."""

    lead_id: Any
    score: float
    groups: list[GroupScore]

    def group(self, key: str) -> GroupScore:
        for g in self.groups:
            if g.group == key:
                return g
        raise KeyError(f"no scoring group {key!r}; groups: {', '.join(g.group for g in self.groups)}")

    def to_dict(self, *, all_rules: bool = False) -> dict[str, Any]:
        """Plain data, points rounded to 2 decimals; rules that matched nothing are left out
        unless ``all_rules``."""
        groups = []
        for g in self.groups:
            data = asdict(g)
            data["uncapped"] = round(g.uncapped, 2)
            data["capped"] = g.capped
            data["rules"] = [{**asdict(r), "points": round(r.points, 2), "counted": round(r.counted, 2)}
                             for r in g.rules if all_rules or r.points or r.events]
            groups.append(data)
        return {"lead_id": self.lead_id, "score": self.score, "groups": groups}

    @classmethod
    def from_row(cls, book: Rulebook, row: Mapping[str, Any]) -> RulesScore:
        """Rebuild the explanation from a row of vectorised scoring (one column per rule)."""
        groups = []
        for g in book.groups:
            awards = []
            for r in g.rules:
                points = float(row.get(r.column) or 0.0)
                events = int(row.get(r.events_column) or 0) if r.on_events else None
                awards.append(RuleAward(r.key, r.label, r.table, points, events))
            groups.append(group_score(g.key, g.label, g.cap, awards))
        return total_score(row.get("lead_id"), groups)


def group_score(key: str, label: str, cap: float | None, awards: list[RuleAward]) -> GroupScore:
    """Add a group's awards in rule order, cap them, and share the cap among the rules."""
    uncapped = 0.0
    for a in awards:
        uncapped = uncapped + a.points
    points = min(uncapped, cap) if cap is not None else uncapped
    _share_cap(awards, uncapped, points)
    return GroupScore(key, label, cap, uncapped, round2(points), awards)


def total_score(lead_id: Any, groups: list[GroupScore]) -> RulesScore:
    total = 0.0
    for g in groups:
        total = total + g.points
    return RulesScore(lead_id, round2(clamp_score(total)), groups)


def _share_cap(awards: list[RuleAward], uncapped: float, capped: float) -> None:
    """Each rule's ``counted`` points: as awarded, or, when the cap cut the group, the positive
    rules scaled down together so that the counted points add up to the cap."""
    if capped >= uncapped:
        for a in awards:
            a.counted = a.points
        return
    negative = sum(a.points for a in awards if a.points < 0)
    positive = sum(a.points for a in awards if a.points > 0)
    factor = (capped - negative) / positive if positive else 0.0
    for a in awards:
        a.counted = a.points * factor if a.points > 0 else a.points
