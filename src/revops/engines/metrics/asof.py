"""The world as it looked at the end of a past day.

Deals: a deal created after the day did not exist. A deal with stage history takes the
state of its latest history row at or before the day (stage, amount, close date, forecast
category, owner). A deal without history (a source that never recorded one) keeps its
current state when it is still open or was closed by the day (a deal closes at the end of
its close date). When it closed after the day, it was open then, in a stage nobody
recorded (``__open_unknown``), and the amount, close date and forecast category the
export holds are the ones it closed with (a lost deal's amount is often 0), so they are
unknown too: the deal counts as an open deal without an amount (valued from comparable
deals, see ``facts.deals``) and in no close-date window. Its owner is the current one.

The same reading holds for every engine that looks back: the forecast's ``DealWorld``
(``revops.engines.forecast.world``) and pipeline hygiene as of a moment
(``revops.engines.deals.facts``) use it.

Leads: a lead created after the day did not exist; lifecycle timestamps after the day are
emptied, and ``converted`` follows ``converted_at``.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from revops.engines.metrics.context import MetricContext

STATE_FIELDS = ("stage", "amount", "close_date", "forecast_category", "owner_id")
DECIDED_AT_CLOSE = ("amount", "close_date", "forecast_category")
"""What an export without history holds as the deal closed: unknown before its close."""
LEAD_TIMESTAMPS = ("mql_at", "sql_at", "sal_at", "first_contacted_at", "disqualified_at", "converted_at")


def opportunities(ctx: MetricContext) -> ir.Table:
    o = ctx.table("opportunities")
    if ctx.as_of is None:
        return o.mutate(__open_unknown=ibis.literal(False))
    return opportunities_before(o, ctx.table("opportunity_history"), ctx.model, ctx.cutoff_literal())


def opportunities_before(o: ir.Table, h: ir.Table, model: Any, cutoff: ir.TimestampValue) -> ir.Table:
    """The deals as they stood just before the instant ``cutoff`` (the module's rules; the end
    of a day is the midnight after it), with ``__open_unknown``."""
    o = o.filter(o.created_at.isnull() | (o.created_at < cutoff))
    h = h.filter(h.changed_at < cutoff)
    latest = h.mutate(__rank=ibis.row_number().over(
        group_by=h.opportunity_id, order_by=[h.changed_at.desc(), h.history_id.desc()]))
    latest = latest.filter(latest.__rank == 0).select(
        __hid=latest.opportunity_id, **{f"__h_{f}": latest[f] for f in STATE_FIELDS})
    t = o.left_join(latest, o.opportunity_id == latest.__hid)
    has_history = t.__hid.notnull()
    closed = model.won_stage_keys + model.lost_stage_keys
    closed_later = (t.stage.isin(closed) if closed else ibis.literal(False)) & \
        (t.close_date.isnull() | (t.close_date.cast("date") >= cutoff.cast("date")))
    open_unknown = (~has_history) & closed_later.fill_null(False)
    state = {f: ibis.ifelse(has_history, t[f"__h_{f}"], t[f]) for f in STATE_FIELDS}
    for f in ("stage", *DECIDED_AT_CLOSE):
        state[f] = ibis.ifelse(open_unknown, ibis.null(t[f].type()), state[f])
    t = t.mutate(**state, __open_unknown=open_unknown)
    return t.drop("__hid", *(f"__h_{f}" for f in STATE_FIELDS))


def leads(ctx: MetricContext) -> ir.Table:
    t = ctx.table("leads")
    if ctx.as_of is None:
        return t
    cutoff = ctx.cutoff_literal()
    t = t.filter(t.created_at.isnull() | (t.created_at < cutoff))
    present = [c for c in LEAD_TIMESTAMPS if c in t.columns]
    changes = {c: ibis.ifelse(t[c] < cutoff, t[c], ibis.null("timestamp")) for c in present}
    if "converted" in t.columns and "converted_at" in t.columns:
        changes["converted"] = (t.converted_at < cutoff).fill_null(False) & t.converted.fill_null(False)
    return t.mutate(**changes)
