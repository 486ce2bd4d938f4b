"""Routing metrics: how many leads routing placed, how many ended in a queue instead of with a
rep, and how often a rep missed the first-contact window so the lead fell back.

The rows are the stored routing decisions (``_routing_decisions``, see docs/routing.md),
bucketed by ``decided_at``. ``owner`` (and through it ``team``, ``region``, ``segment``) is
the rep the decision concerns: who received the lead, or, for a fallback, who lost it.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from revops.engines.metrics.catalogue import AggregateMetric, Metric, ratio
from revops.engines.metrics.context import MetricContext
from revops.engines.metrics.dimensions import OWNER
from revops.engines.metrics.facts import Fact

BY_DECISION = "routing decisions by decided_at"
PLACING = ("route", "api")
"""Triggers of first placements: batch routing and the API (hand-offs and fallbacks move a lead)."""

_COLUMNS = {"decision_id": pa.string(), "lead_id": pa.string(), "decided_at": pa.timestamp("us"),
            "trigger": pa.string(), "assigned_to": pa.string(), "assigned_kind": pa.string(),
            "previous_owner": pa.string()}


def decisions(ctx: MetricContext) -> ir.Table:
    """Routing decisions made by the end of the as-of day, with the rep each concerns."""
    try:
        t = ctx.table("_routing_decisions")
    except Exception:  # a store that never routed (or a backend without revops' own tables)
        return ibis.memtable(pa.table({n: pa.array([], typ) for n, typ in _COLUMNS.items()}))
    if ctx.as_of is not None:
        t = t.filter(t.decided_at < ctx.cutoff_literal())
    owner = ibis.cases((t.trigger == "fallback", t.previous_owner),
                       (t.assigned_kind == "user", t.assigned_to), else_=ibis.null("string"))
    return t.select("decision_id", "lead_id", "decided_at", "trigger", "assigned_to", "assigned_kind",
                    "previous_owner", owner_id=owner)


ROUTING_DECISIONS = Fact("routing_decisions", "Stored routing decisions with the rep each concerns",
                         decisions, (OWNER,))


def _placing(t: ir.Table) -> ir.BooleanValue:
    return t.trigger.isin(PLACING)


def metrics() -> list[Metric]:
    return [
        AggregateMetric(
            "leads_routed", "Number of leads routing placed (with a rep, a queue or nurture).", "count",
            "count of routing decisions with trigger route or api (first placements) in the period "
            "(by decided_at)", based_on=BY_DECISION, fact=ROUTING_DECISIONS, date="decided_at",
            where=_placing, aggregates=lambda t: {"value": t.count()}, empty_value=0.0),
        AggregateMetric(
            "routed_to_queue_rate", "Share of routed leads that went to a queue instead of a rep.", "ratio",
            "first placements (trigger route or api) whose assigned_kind is queue / first placements "
            "with a rep or a queue, in the period (by decided_at); nurture is left out",
            direction="down", format="percent", based_on=BY_DECISION, fact=ROUTING_DECISIONS,
            date="decided_at", where=lambda t: _placing(t) & t.assigned_kind.isin(("user", "queue")),
            aggregates=lambda t: {"queued": (t.assigned_kind == "queue").cast("int64").sum(),
                                  "placed": t.count()},
            value=lambda a: ratio(a.queued, a.placed)),
        AggregateMetric(
            "routing_fallback_rate",
            "Share of leads given to a rep that fell back: no first contact within routing.fallback.",
            "ratio",
            "routing decisions with trigger fallback / decisions giving a lead to a rep (trigger route, "
            "api or handoff), in the period (by decided_at); by owner, the rep who lost the lead",
            direction="down", format="percent", based_on=BY_DECISION, fact=ROUTING_DECISIONS,
            date="decided_at",
            where=lambda t: (t.trigger == "fallback")
            | (t.trigger.isin((*PLACING, "handoff")) & (t.assigned_kind == "user")),
            aggregates=lambda t: {"fell_back": (t.trigger == "fallback").cast("int64").sum(),
                                  "given": (t.trigger != "fallback").cast("int64").sum()},
            value=lambda a: ratio(a.fell_back, a.given)),
    ]
