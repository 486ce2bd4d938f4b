"""Deal metrics: wins, losses, deal size, cycle, pipeline, velocity, time in stage, stage
conversion. Closed-deal metrics are bucketed by close_date, creation metrics by
created_at, open pipeline by the close_date it is expected on."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from revops.engines.metrics.catalogue import AggregateMetric, DerivedMetric, Metric, ratio
from revops.engines.metrics.context import MetricContext
from revops.engines.metrics.dimensions import ACCOUNT, OWNER
from revops.engines.metrics.facts import DEALS, Fact

BY_CLOSE = "opportunities by close_date"


def _won(t: ir.Table) -> ir.BooleanValue:
    return t.is_won


def _closed(t: ir.Table) -> ir.BooleanValue:
    return t.is_closed


def _open(t: ir.Table) -> ir.BooleanValue:
    return t.is_open


def stage_spans(ctx: MetricContext) -> ir.Table:
    """One row per stretch a deal spent in a stage, from opportunity_history (as of the
    context's date): stage, entered_at, exited_at (null while still there), next_stage,
    days, moved_forward, plus the deal's owner, account, source, type and product."""
    h = ctx.table("opportunity_history")
    if ctx.as_of is not None:
        h = h.filter(h.changed_at < ctx.cutoff_literal())
    h = h.filter(h.stage.notnull())
    w = ibis.window(group_by=h.opportunity_id, order_by=[h.changed_at, h.history_id])
    h = h.mutate(__prev=h.stage.lag().over(w))
    changes = h.filter(h.__prev.isnull() | (h.__prev != h.stage))
    w2 = ibis.window(group_by=changes.opportunity_id, order_by=[changes.changed_at, changes.history_id])
    spans = changes.select(
        "opportunity_id", "stage", entered_at=changes.changed_at,
        exited_at=changes.changed_at.lead().over(w2), next_stage=changes.stage.lead().over(w2))
    order = _stage_order(ctx)
    spans = spans.mutate(
        days=(spans.exited_at.epoch_seconds() - spans.entered_at.epoch_seconds()).cast("float64") / 86400.0,
        moved_forward=(order(spans.next_stage) > order(spans.stage)).fill_null(False))
    o = ctx.table("opportunities")
    cols = [c for c in ("owner_id", "account_id", "source", "type", "product") if c in o.columns]
    opp = o.select(__oid=o.opportunity_id, **{c: o[c] for c in cols})
    spans = spans.left_join(opp, spans.opportunity_id == opp.__oid).drop("__oid")
    return spans


def _stage_order(ctx: MetricContext):
    stages = ctx.model.pipeline.stages
    open_stages = [s for s in stages if not s.is_closed]
    rank = {s.key: i + 1 for i, s in enumerate(open_stages)}
    for s in stages:
        if s.is_closed:
            rank[s.key] = len(open_stages) + 1 if s.is_won else 0

    def order(stage: ir.StringValue) -> ir.IntegerValue:
        return ibis.cases(*((stage == k, ibis.literal(v)) for k, v in rank.items()), else_=ibis.null("int64"))
    return order


SPANS = Fact("stage_spans", "Stretches deals spent in each stage, from opportunity_history",
             stage_spans, (OWNER, ACCOUNT))


def metrics() -> list[Metric]:
    return [
        AggregateMetric(
            "won_count", "Number of deals won.", "count", "count of won opportunities",
            based_on=BY_CLOSE, fact=DEALS, date="close_date", where=_won,
            aggregates=lambda t: {"value": t.count()}, empty_value=0.0),
        AggregateMetric(
            "lost_count", "Number of deals lost.", "count", "count of lost opportunities",
            direction="down", based_on=BY_CLOSE, fact=DEALS, date="close_date",
            where=lambda t: t.is_lost, aggregates=lambda t: {"value": t.count()}, empty_value=0.0),
        AggregateMetric(
            "win_rate", "Share of closed deals that were won (by count).", "ratio",
            "won / (won + lost), over opportunities closed in the period", format="percent",
            based_on=BY_CLOSE, fact=DEALS, date="close_date", where=_closed,
            aggregates=lambda t: {"won": t.is_won.cast("int64").sum(), "closed": t.count()},
            value=lambda a: ratio(a.won, a.closed)),
        AggregateMetric(
            "win_rate_value", "Share of closed deal value that was won.", "ratio",
            "won amount / (won + lost amount), over opportunities closed in the period",
            format="percent", based_on=BY_CLOSE, fact=DEALS, date="close_date", where=_closed,
            aggregates=lambda t: {"won": ibis.ifelse(t.is_won, t.amount, 0.0).sum(),
                                  "closed": t.amount.sum()},
            value=lambda a: ratio(a.won, a.closed)),
        AggregateMetric(
            "won_amount", "Amount of deals won (bookings).", "currency", "sum of amount of won opportunities",
            format="currency", based_on=BY_CLOSE, fact=DEALS, date="close_date", where=_won,
            aggregates=lambda t: {"value": t.amount.sum()}, empty_value=0.0),
        AggregateMetric(
            "avg_deal_size", "Average amount of a won deal.", "currency",
            "mean amount of won opportunities", format="currency", based_on=BY_CLOSE,
            fact=DEALS, date="close_date", where=_won, aggregates=lambda t: {"value": t.amount.mean()}),
        AggregateMetric(
            "sales_cycle_days", "Average days from opportunity creation to a won close.", "days",
            "mean days from created_at to close_date of won opportunities", direction="down",
            format="days", based_on=BY_CLOSE, fact=DEALS, date="close_date", where=_won,
            aggregates=lambda t: {"value": t.cycle_days.mean()}),
        AggregateMetric(
            "pipeline_created", "Amount of new opportunities created.", "currency",
            "sum of amount of opportunities, by created_at", format="currency",
            based_on="opportunities by created_at", fact=DEALS, date="created_at",
            aggregates=lambda t: {"value": t.amount.sum()}, empty_value=0.0),
        AggregateMetric(
            "open_pipeline", "Amount of open deals (by the period they are expected to close in).",
            "currency", "sum of amount of open opportunities (open at the as-of date; one without an amount at the "
            "median of comparable won deals, see docs/forecast.md), by close_date",
            format="currency", based_on=BY_CLOSE, fact=DEALS, date="close_date", where=_open,
            aggregates=lambda t: {"value": t.amount.sum()}, empty_value=0.0),
        AggregateMetric(
            "open_deal_count", "Number of open deals.", "count",
            "count of open opportunities (open at the as-of date), by close_date",
            based_on=BY_CLOSE, fact=DEALS, date="close_date", where=_open,
            aggregates=lambda t: {"value": t.count()}, empty_value=0.0),
        AggregateMetric(
            "weighted_pipeline", "Open pipeline weighted by each stage's probability.", "currency",
            "sum of amount (as in open_pipeline) x stage probability (pipeline.stages[].probability) of open "
            "opportunities",
            format="currency", based_on=BY_CLOSE, fact=DEALS, date="close_date", where=_open,
            aggregates=lambda t: {"value": (t.amount * t.probability).sum()}, empty_value=0.0),
        DerivedMetric(
            "pipeline_velocity", "Revenue the pipeline produces per day.", "currency_per_day",
            "open_deal_count x win_rate x avg_deal_size / sales_cycle_days", format="currency",
            based_on=BY_CLOSE,
            components=("open_deal_count", "win_rate", "avg_deal_size", "sales_cycle_days"),
            combine=lambda f: f.open_deal_count * f.win_rate * f.avg_deal_size
            / f.sales_cycle_days.where(f.sales_cycle_days != 0)),
        AggregateMetric(
            "time_in_stage_days", "Average days deals spent in a stage before moving on.", "days",
            "mean days from entering a stage to leaving it (opportunity_history), by the day it was left",
            direction="down", format="days", based_on="opportunity_history by the day a stage was left",
            fact=SPANS, date="exited_at", where=lambda t: t.exited_at.notnull(),
            aggregates=lambda t: {"value": t.days.mean()}),
        AggregateMetric(
            "stage_conversion_rate", "Share of deals leaving a stage that moved forward.", "ratio",
            "deals that left a stage for a later one (or won) / deals that left it", format="percent",
            based_on="opportunity_history by the day a stage was left", fact=SPANS, date="exited_at",
            where=lambda t: t.exited_at.notnull(),
            aggregates=lambda t: {"fwd": t.moved_forward.cast("int64").sum(), "left": t.count()},
            value=lambda a: ratio(a.fwd, a.left)),
    ]
