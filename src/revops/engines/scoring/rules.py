"""Rule-based lead scoring: the points of revops.yaml's scoring groups, capped and decayed.

A rule on ``leads`` (fit: company size, title, country …) gives its points once when its
condition holds for the lead. A rule on ``touches`` or ``activities`` (intent, engagement)
gives its points for every matching event of the lead (matched by ``lead_id``) that happened
by ``now``; with ``decay_half_life_days`` an event's points halve every that many days, so a
pricing-page visit 14 days ago with a 14-day half-life counts half. Each group adds its rules
and is capped at ``cap``; the rules score is the sum of the capped groups, kept within 0-100.

Two paths give the same numbers:

- ``score_record``: one lead given as a dict with its events (the real-time API);
- ``rule_points`` + ``rules_scores``: Ibis expressions over whole tables, one column per
  rule (its points) and per event rule (its matching events), then the groups and the total.
  Compiled for DuckDB they score a million leads and five million touches in seconds.

Event records expose ``days_ago`` (days since the event, as of ``now``) to rule conditions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from revops.engines.scoring.explain import RuleAward, RulesScore, group_score, total_score
from revops.model.expressions import Expression, parse
from revops.model.sections.scoring import Scoring

if TYPE_CHECKING:
    import ibis.expr.types as ir

EVENT_TABLES: tuple[str, ...] = ("touches", "activities")
MICROS_PER_DAY = 86_400_000_000.0


@dataclass(frozen=True)
class CompiledRule:
    group: str
    key: str
    label: str
    table: str
    points: float
    half_life_days: float | None
    condition: Expression

    @property
    def column(self) -> str:
        """Column holding the rule's points in vectorised scoring."""
        return f"{self.group}__{self.key}"

    @property
    def events_column(self) -> str:
        """Column counting the rule's matching events (event rules only)."""
        return f"{self.group}__{self.key}__events"

    @property
    def on_events(self) -> bool:
        return self.table in EVENT_TABLES

    def weight(self, days_ago: float) -> float:
        """Share of the points an event ``days_ago`` old still gives (1 without decay)."""
        if self.half_life_days is None:
            return 1.0
        return 0.5 ** (days_ago / self.half_life_days)


@dataclass(frozen=True)
class CompiledGroup:
    key: str
    label: str
    cap: float | None
    rules: tuple[CompiledRule, ...]


@dataclass(frozen=True)
class Rulebook:
    """The scoring section of the revenue model, with every condition parsed once."""

    groups: tuple[CompiledGroup, ...]

    @classmethod
    def of(cls, scoring: Scoring) -> Rulebook:
        groups = []
        for g in scoring.groups:
            rules = tuple(
                CompiledRule(g.key, r.key, r.label or r.key, r.table, float(r.points),
                             r.decay_half_life_days, parse(r.when))
                for r in g.rules
            )
            groups.append(CompiledGroup(g.key, g.label or g.key, g.cap, rules))
        return cls(tuple(groups))

    @property
    def rules(self) -> tuple[CompiledRule, ...]:
        return tuple(r for g in self.groups for r in g.rules)

    def on(self, table: str) -> tuple[CompiledRule, ...]:
        return tuple(r for r in self.rules if r.table == table)

    @property
    def lead_fields(self) -> frozenset[str]:
        """Lead fields the rules on leads read (derived ones must be provided)."""
        return frozenset().union(*(r.condition.fields for r in self.on("leads")))

    @property
    def rule_columns(self) -> list[str]:
        cols = []
        for r in self.rules:
            cols.append(r.column)
            if r.on_events:
                cols.append(r.events_column)
        return cols


def days_between(now: datetime, then: datetime) -> float:
    """Days from ``then`` to ``now`` counted in microseconds, as DuckDB's date_diff does."""
    delta = now - then
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return micros / MICROS_PER_DAY


# -- one lead ---------------------------------------------------------------------------------

def score_record(book: Rulebook, lead: Mapping[str, Any], events: Mapping[str, Iterable[Mapping[str, Any]]],
                 now: datetime) -> RulesScore:
    """The rules score of one lead (a dict of lead fields, derived ones included when rules use
    them) given its events by table: ``{"touches": [...], "activities": [...]}``."""
    happened = {table: [e for e in events.get(table, ()) if _happened(e, now)] for table in EVENT_TABLES}
    aged = {table: [{**e, "days_ago": days_between(now, e["occurred_at"])} for e in rows]
            for table, rows in happened.items()}
    groups = []
    for g in book.groups:
        awards = []
        for r in g.rules:
            if not r.on_events:
                points = r.points if r.condition.matches(lead, now) else 0.0
                awards.append(RuleAward(r.key, r.label, r.table, points))
                continue
            points, matched = 0.0, 0
            for e in aged[r.table]:
                if r.condition.matches(e, now):
                    points += r.points * r.weight(e["days_ago"])
                    matched += 1
            awards.append(RuleAward(r.key, r.label, r.table, points, matched))
        groups.append(group_score(g.key, g.label, g.cap, awards))
    return total_score(lead.get("lead_id"), groups)


def _happened(event: Mapping[str, Any], now: datetime) -> bool:
    at = event.get("occurred_at")
    return at is not None and at <= now


# -- whole tables -----------------------------------------------------------------------------

def rule_points(book: Rulebook, leads: ir.Table, events: Mapping[str, ir.Table | None], now: datetime,
                *, only_these_leads: bool = False, as_of_column: str | None = None) -> ir.Table:
    """``lead_id`` and one column per rule with the points it gives each lead (plus, for event
    rules, the number of matching events). ``leads`` must hold the fields the lead rules read;
    ``only_these_leads`` restricts the events to ``leads`` first (a few leads in a large store).
    ``as_of_column`` names a timestamp column of ``leads`` to score each lead as of its own
    moment (events after it are ignored, decay counts from it) instead of ``now``."""
    import ibis

    columns: dict[str, Any] = {"lead_id": leads.lead_id}
    for r in book.on("leads"):
        columns[r.column] = ibis.ifelse(r.condition.to_ibis(leads, now).fill_null(False),
                                        ibis.literal(r.points, "float64"), ibis.literal(0.0, "float64"))
    result = leads.select(**columns)
    for table in EVENT_TABLES:
        rules = book.on(table)
        if not rules:
            continue
        source = events.get(table)
        if source is None:  # no such events (a file scored on its own): no points
            result = result.mutate(**{r.column: ibis.literal(0.0, "float64") for r in rules},
                                   **{r.events_column: ibis.literal(0, "int64") for r in rules})
            continue
        happened = events_by(source, leads, now, only_these_leads=only_these_leads, as_of_column=as_of_column)
        per_lead = _event_points(rules, happened, now)
        result = result.left_join(per_lead, result.lead_id == per_lead.lead_id).drop("lead_id_right")
        result = result.mutate(**{c: result[c].fill_null(0) for r in rules for c in (r.column, r.events_column)})
    return result


def events_by(events: ir.Table, leads: ir.Table, now: datetime, *, only_these_leads: bool = False,
              as_of_column: str | None = None) -> ir.Table:
    """The events of a lead that happened by ``now`` (or by the lead's ``as_of_column``), each
    with ``days_ago``: days from the event to that moment."""
    from revops.model.expressions.ibis_compiler import literal

    if as_of_column is not None:
        keys = leads.select(event_lead_id=leads.lead_id, event_as_of=leads[as_of_column])
        e = events.join(keys, events.lead_id == keys["event_lead_id"])
        e = e.filter(e.occurred_at <= e["event_as_of"])
        e = e.mutate(days_ago=e["event_as_of"].delta(e.occurred_at, unit="microsecond") / MICROS_PER_DAY)
        return e.drop("event_lead_id", "event_as_of")
    e = events.filter(events.lead_id.notnull(), events.occurred_at <= literal(now))
    if only_these_leads:
        wanted = leads.select(wanted_lead_id=leads.lead_id)
        e = e.semi_join(wanted, e.lead_id == wanted["wanted_lead_id"])
    return e.mutate(days_ago=literal(now).delta(e.occurred_at, unit="microsecond") / MICROS_PER_DAY)


def _event_points(rules: tuple[CompiledRule, ...], e: ir.Table, now: datetime) -> ir.Table:
    import ibis

    import functools
    import operator

    # only events some rule matches reach the aggregation (page views and opens often do not)
    e = e.filter(functools.reduce(operator.or_, [r.condition.to_ibis(e, now).fill_null(False) for r in rules]))
    sums: dict[str, Any] = {}
    for r in rules:
        hit = r.condition.to_ibis(e, now).fill_null(False)
        points = ibis.literal(r.points, "float64")
        if r.half_life_days is not None:
            points = points * (ibis.literal(0.5, "float64") ** (e.days_ago / float(r.half_life_days)))
        sums[r.column] = ibis.ifelse(hit, points, ibis.literal(0.0, "float64")).sum()
        sums[r.events_column] = hit.cast("int64").sum()
    return e.group_by("lead_id").aggregate(**sums)


def rules_scores(book: Rulebook, points: ir.Table) -> ir.Table:
    """Adds one column per group (capped, rounded to 2 decimals) and ``rules_score`` (0-100)."""
    import ibis

    groups: dict[str, Any] = {}
    for g in book.groups:
        raw: Any = ibis.literal(0.0, "float64")
        for i, r in enumerate(g.rules):
            raw = points[r.column] if i == 0 else raw + points[r.column]
        capped = ibis.least(raw, ibis.literal(float(g.cap), "float64")) if g.cap is not None else raw
        groups[g.key] = capped.round(2)
    scored = points.mutate(**groups)
    total: Any = ibis.literal(0.0, "float64")
    for i, key in enumerate(groups):
        total = scored[key] if i == 0 else total + scored[key]
    return scored.mutate(rules_score=total.clip(lower=0.0, upper=100.0).round(2))
