"""The world as it looked at the end of a past day.

Deals: a deal created after the day did not exist. A deal with stage history takes the
state of its latest history row at or before the day (stage, amount, close date, forecast
category, owner). A deal without history (a source that never recorded one) keeps its
current state when it is still open or was closed by the day; when it closed after the
day, it was open then, in a stage nobody recorded (``__open_unknown``), and nothing
decided after the day is used.

Leads: a lead created after the day did not exist; lifecycle timestamps after the day are
emptied, and ``converted`` follows ``converted_at``.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from revops.engines.metrics.context import MetricContext

STATE_FIELDS = ("stage", "amount", "close_date", "forecast_category", "owner_id")
LEAD_TIMESTAMPS = ("mql_at", "sql_at", "sal_at", "first_contacted_at", "disqualified_at", "converted_at")


def opportunities(ctx: MetricContext) -> ir.Table:
    o = ctx.table("opportunities")
    if ctx.as_of is None:
        return o.mutate(__open_unknown=ibis.literal(False))
    cutoff = ctx.cutoff_literal()
    day = ibis.literal(ctx.as_of.isoformat()).cast("date")
    o = o.filter(o.created_at.isnull() | (o.created_at < cutoff))
    h = ctx.table("opportunity_history")
    h = h.filter(h.changed_at < cutoff)
    latest = h.mutate(__rank=ibis.row_number().over(
        group_by=h.opportunity_id, order_by=[h.changed_at.desc(), h.history_id.desc()]))
    latest = latest.filter(latest.__rank == 0).select(
        __hid=latest.opportunity_id, **{f"__h_{f}": latest[f] for f in STATE_FIELDS})
    t = o.left_join(latest, o.opportunity_id == latest.__hid)
    has_history = t.__hid.notnull()
    closed = ctx.model.won_stage_keys + ctx.model.lost_stage_keys
    closed_later = (t.stage.isin(closed) if closed else ibis.literal(False)) & \
        (t.close_date.isnull() | (t.close_date.cast("date") > day))
    closed_later = closed_later.fill_null(False)
    state = {f: ibis.ifelse(has_history, t[f"__h_{f}"], t[f]) for f in STATE_FIELDS}
    state["stage"] = ibis.ifelse(has_history, t.__h_stage,
                                 ibis.ifelse(closed_later, ibis.null("string"), t.stage))
    open_unknown = (~has_history) & closed_later
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
