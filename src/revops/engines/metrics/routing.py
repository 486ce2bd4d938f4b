"""Routing metrics: how many leads the routing graph placed, how many it could not give to a
rep, and how often a rep's lead had to be taken back by the SLA fallback.

The rows are the routing decisions (``_routing_decisions``, written by ``revops route``,
``POST /v1/leads``, the fallback and the hand-offs), as of the end of the as-of day: a
decision made later does not exist yet. Metrics count the graph's own decisions about
leads waiting for an owner (trigger ``route`` or ``api``), bucketed by ``decided_at``.
Every routing metric can be broken down by

- ``team`` (the team the lead was given to), ``trigger``, ``assigned_kind`` (user, queue,
  nurture, none), ``assigned_to`` (the rep, queue or sequence);
- ``region``: the lead's sales region (its country in ``routing.regions``), which queue and
  nurture decisions have too;
- ``owner`` (the rep placed, none for queues and nurture) and any column of that rep (users:
  ``segment``, ``role``, ``owner_region`` …).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from revops.engines.metrics.catalogue import AggregateMetric, Metric, ratio
from revops.engines.metrics.context import MetricContext
from revops.engines.metrics.dimensions import OWNER
from revops.engines.metrics.facts import Fact

BY_DECISION = "routing decisions (trigger route or api) by decided_at"
GRAPH_TRIGGERS = ("route", "api")
"""Decisions the routing graph makes about a lead waiting for an owner, from its start node."""
NOT_TO_A_REP = ("queue", "nurture")


def decisions(ctx: MetricContext) -> ir.Table:
    """Every routing decision made by the end of the as-of day, with the lead's region, the rep
    placed (``owner_id``) and whether the lead's next decision was the SLA fallback."""
    d = ctx.table("_routing_decisions")
    if ctx.as_of is not None:
        d = d.filter(d.decided_at < ctx.cutoff_literal())
    following = ibis.window(group_by=d.lead_id, order_by=[d.decided_at, d.decision_id])
    d = d.mutate(__next_trigger=d.trigger.lead().over(following))
    leads = ctx.table("leads")
    leads = leads.select(__lead_id=leads.lead_id, __country=leads.country.upper().strip())
    d = d.left_join(leads, d.lead_id == leads.__lead_id)
    return d.select(
        "decision_id", "lead_id", "decided_at", "trigger", "assigned_kind", "assigned_to", "team",
        "previous_owner",
        owner_id=ibis.ifelse(d.assigned_kind == "user", d.assigned_to, ibis.null("string")),
        region=_region(ctx, d.__country),
        fell_back=(d.__next_trigger == "fallback").fill_null(False),
    ).view()  # a finished relation: dimensions join users on its computed owner_id


def _region(ctx: MetricContext, country: ir.StringValue) -> ir.StringValue:
    """The sales region of a country code, as ``routing.regions`` maps them."""
    regions = ctx.model.routing.regions
    if not regions:
        return ibis.null("string")
    return ibis.cases(*((country.isin([c.upper() for c in codes]), ibis.literal(region))
                        for region, codes in regions.items() if codes), else_=ibis.null("string"))


ROUTING_DECISIONS = Fact("routing_decisions", "Routing decisions as of the date, with the lead's region "
                         "and whether the SLA fallback took the lead back", decisions, (OWNER,))


def _routed(t: ir.Table) -> ir.BooleanValue:
    return t.trigger.isin(GRAPH_TRIGGERS)


def _placed_with_rep(t: ir.Table) -> ir.BooleanValue:
    return _routed(t) & (t.assigned_kind == "user")


def metrics() -> list[Metric]:
    return [
        AggregateMetric(
            "leads_routed", "Number of leads the routing graph decided about.", "count",
            "count of distinct leads with a routing decision (trigger route or api: a lead waiting for "
            "an owner walked through the graph) made in the period (by decided_at), whatever the outcome "
            "(a rep, a queue, nurture); a lead parked in nurture and routed again as an MQL counts once "
            "per period", based_on=BY_DECISION, fact=ROUTING_DECISIONS, date="decided_at", where=_routed,
            aggregates=lambda t: {"value": t.lead_id.nunique()}, empty_value=0.0),
        AggregateMetric(
            "routed_to_queue_rate", "Share of routing decisions that gave the lead to no rep.", "ratio",
            "routing decisions (trigger route or api) made in the period (by decided_at) that ended in "
            "a queue or a nurture sequence / all such decisions", direction="down", format="percent",
            based_on=BY_DECISION, fact=ROUTING_DECISIONS, date="decided_at", where=_routed,
            aggregates=lambda t: {"queued": t.assigned_kind.isin(NOT_TO_A_REP).cast("int64").sum(),
                                  "decided": t.count()},
            value=lambda a: ratio(a.queued, a.decided)),
        AggregateMetric(
            "fallback_rate", "Share of leads given to a rep that the SLA fallback reassigned.", "ratio",
            "routing decisions (trigger route or api) made in the period (by decided_at) that gave the "
            "lead to a rep and whose next decision about the lead, by the end of the as-of day, was the "
            "SLA fallback (no first contact in time: routing.fallback) / routing decisions that gave "
            "the lead to a rep", direction="down", format="percent", based_on=BY_DECISION,
            fact=ROUTING_DECISIONS, date="decided_at", where=_placed_with_rep,
            aggregates=lambda t: {"fell_back": t.fell_back.cast("int64").sum(), "placed": t.count()},
            value=lambda a: ratio(a.fell_back, a.placed)),
    ]
