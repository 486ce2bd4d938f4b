"""Facts: the rows metrics aggregate, built once per computation from the canonical tables.

Every fact is an Ibis table, so it compiles for whichever backend holds the data. Facts
that describe state (deals, leads) are built *as of* the context's date: a deal created
after it does not exist yet, and nothing decided after it is used (see ``asof``).

Derived columns every deal fact carries:

| column | meaning |
| --- | --- |
| is_won, is_lost, is_closed | the stage is a won / lost / closed stage of the model |
| is_open | the deal is open: an open stage, or open at the as-of date with its stage unknown |
| probability | the stage's probability in the model (the first open stage's when unknown) |
| amount | the amount; an open deal without one is valued from comparable won deals (``valuation``) |
| cycle_days | days from created_at to close_date |
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from revops.engines.metrics import asof, valuation
from revops.engines.metrics.context import MetricContext
from revops.engines.metrics.dimensions import ACCOUNT, OWNER, Link


@dataclass(frozen=True)
class Fact:
    name: str
    description: str
    build: Callable[[MetricContext], ir.Table]
    links: tuple[Link, ...] = ()
    cache: bool = False
    """Worth materialising once per request when several metrics read it (windows over
    history, joins); a plain scan of one table is cheaper to read again."""
    key: Any = None
    """What else the rows depend on besides the context (e.g. the query's windows); facts
    with equal name and key are built once per request."""


def _in(values: list[str], column: ir.StringValue) -> ir.BooleanValue:
    return column.isin(values) if values else ibis.literal(False)


def _probability(ctx: MetricContext, stage: ir.StringValue) -> ir.FloatingValue:
    stages = ctx.model.pipeline.stages
    first_open = next((s.probability for s in stages if not s.is_closed), 0.0)
    cases = ibis.cases(*((stage == s.key, ibis.literal(float(s.probability))) for s in stages),
                       else_=ibis.literal(float(first_open)))
    return cases.cast("float64")


def deals(ctx: MetricContext) -> ir.Table:
    """Opportunities as of the context's date, with stage flags, probability and value."""
    model = ctx.model
    t = asof.opportunities(ctx)
    won, lost = model.won_stage_keys, model.lost_stage_keys
    open_keys = [s.key for s in model.open_stages]
    is_won = _in(won, t.stage).fill_null(False)
    is_lost = _in(lost, t.stage).fill_null(False)
    is_closed = is_won | is_lost
    is_open = (_in(open_keys, t.stage).fill_null(False) | t.__open_unknown).fill_null(False)
    t = t.mutate(is_won=is_won, is_lost=is_lost, is_closed=is_closed, is_open=is_open)
    t = t.mutate(probability=_probability(ctx, t.stage))
    cycle = t.close_date.cast("date").delta(t.created_at.cast("date"), unit="day").cast("float64")
    return t.mutate(cycle_days=cycle).drop("__open_unknown")


def leads(ctx: MetricContext) -> ir.Table:
    return asof.leads(ctx)


def spend(ctx: MetricContext) -> ir.Table:
    """Spend rows, with ``segment``: a sales row is split across the customer segments of
    the quota-carrying reps (role 'ae' or a quota, users.segment set) active in its period
    (start_date on or before its end, end_date empty or on or after its start), an equal
    share per rep, so its amounts still add up to the row's; any other row (and a sales row
    of a period without such reps) has no segment."""
    s = ctx.table("spend")
    if "segment" in s.columns:  # the spend says its segment itself
        return s
    columns = list(s.columns)
    day0 = s.period_start.cast("date")
    day1 = s.period_end.cast("date").fill_null(day0)
    s = s.mutate(__p0=day0, __p1=day1)
    u = ctx.table("users")
    carries = (u.role.lower() == "ae").fill_null(False) | (u.quota > 0).fill_null(False)
    reps = u.filter(carries & u.segment.notnull())
    reps = reps.select(__r0=reps.start_date.cast("date"), __r1=reps.end_date.cast("date"),
                       __seg=reps.segment.cast("string"))
    spans = s.select("__p0", "__p1").distinct()
    active = spans.join(reps, [reps["__r0"].isnull() | (reps["__r0"] <= spans["__p1"]),
                               reps["__r1"].isnull() | (reps["__r1"] >= spans["__p0"])])
    per_seg = active.group_by(["__p0", "__p1", "__seg"]).aggregate(__n=active.count())
    totals = per_seg.group_by(["__p0", "__p1"]).aggregate(__total=per_seg["__n"].sum())
    shares = per_seg.join(totals, ["__p0", "__p1"])
    shares = shares.select(__s0=shares["__p0"], __s1=shares["__p1"], __seg=shares["__seg"],
                           __share=shares["__n"].cast("float64") / shares["__total"].cast("float64"))
    is_sales = (s.department.lower() == "sales").fill_null(False)
    sales = s.filter(is_sales)
    sales = sales.left_join(shares, [sales["__p0"] == shares["__s0"], sales["__p1"] == shares["__s1"]])
    sales = sales.select(*[c for c in columns if c != "amount"],
                         amount=sales.amount * sales["__share"].fill_null(1.0),
                         segment=sales["__seg"])
    other = s.filter(~is_sales)
    other = other.select(*[c for c in columns if c != "amount"], amount=other.amount,
                         segment=ibis.null("string"))
    return sales.union(other)


DEAL_STATES = Fact("deal_states", "Opportunities as of the date, with stage flags and probability, before "
                   "deals without an amount are valued", lambda ctx: deals(ctx), (OWNER, ACCOUNT), cache=True)
"""Materialised once a request when facts are cached: the valuation reads it five times (the
comparable groups), and rebuilding the as-of state from history each time costs more than
writing it once."""
DEALS = Fact("deals", "Opportunities as of the date, with stage flags, probability and value",
             lambda ctx: valuation.valued(ctx, ctx.fact(DEAL_STATES)), (OWNER, ACCOUNT), cache=True)
LEADS = Fact("leads", "Leads as of the date, with lifecycle timestamps up to it", leads, (OWNER,))
SPEND = Fact("spend", "Sales and marketing spend by period, department, category, channel and "
             "segment (sales spend split by the segments of the reps active)", spend, cache=True)
