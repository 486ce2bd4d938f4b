"""SLA metrics: how often each promise between teams is kept, how often broken, how long it
takes. The rows are the SLA engine's clocks (``revops.engines.sla``), read at the end of the
as-of day, one per SLA and record, bucketed by the day the clock started. Every SLA metric
can be broken down by ``sla`` (the SLA's key), ``owner_team`` (the team the SLA holds
accountable), ``state``, and by the record's owner: ``owner``, ``team``, ``region``,
``segment`` (the owner's, from users).

Business-hour deadlines are joined in from a small calendar table built in Python (see
``engines/sla/business_clock.py``), so the whole computation stays one query on DuckDB,
Spark or Postgres.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from revops.engines.metrics.catalogue import AggregateMetric, Metric, ratio
from revops.engines.metrics.context import MetricContext
from revops.engines.metrics.dimensions import OWNER
from revops.engines.metrics.facts import Fact
from revops.engines.sla.clocks import CLOCK_TYPES, ClockRequest, sla_clocks

BY_START = "SLA clocks by started_at"


def clocks(ctx: MetricContext) -> ir.Table:
    """Every SLA clock of the model, read at the end of the as-of day (or of today)."""
    if not ctx.model.slas:  # nothing promised: no clocks, every count 0
        return ibis.memtable(pa.table({c: pa.array([], _ARROW[t]) for c, t in CLOCK_TYPES.items()}))
    day = ctx.as_of or ctx.today
    assert day is not None
    at = datetime.combine(day + timedelta(days=1), time())
    return sla_clocks(ctx.con, ctx.model, ClockRequest(at=at), tables=ctx.table, exact=True)


_ARROW = {"string": pa.string(), "timestamp": pa.timestamp("us"), "boolean": pa.bool_(), "float64": pa.float64()}


SLA_CLOCKS = Fact("sla_clocks", "One row per SLA and record with a start: due, met or breached",
                  clocks, (OWNER,))


def _decided(t: ir.Table) -> ir.BooleanValue:
    return t.state.isin(("met", "breached"))


def metrics() -> list[Metric]:
    return [
        AggregateMetric(
            "sla_attainment_rate", "Share of SLA clocks that met the SLA.", "ratio",
            "clocks started in the period (by started_at) that stopped on or before due_at / those "
            "whose outcome is known by the end of the as-of day (met, or breached: stopped late or "
            "still running past due_at); clocks still due are left out. Business units count the "
            "company's business hours", format="percent", based_on=BY_START, fact=SLA_CLOCKS,
            date="started_at", where=_decided,
            aggregates=lambda t: {"met": (t.state == "met").cast("int64").sum(), "decided": t.count()},
            value=lambda a: ratio(a.met, a.decided)),
        AggregateMetric(
            "sla_breaches", "Number of SLA clocks breached.", "count",
            "count of clocks started in the period (by started_at) that stopped after due_at or are "
            "still running past it at the end of the as-of day", direction="down", based_on=BY_START,
            fact=SLA_CLOCKS, date="started_at", where=lambda t: t.state == "breached",
            aggregates=lambda t: {"value": t.count()}, empty_value=0.0),
        AggregateMetric(
            "sla_open_breaches", "Number of SLA breaches still open (the breach queue).", "count",
            "count of clocks started in the period (by started_at) that are past due_at and not "
            "stopped at the end of the as-of day", direction="down", based_on=BY_START,
            fact=SLA_CLOCKS, date="started_at",
            where=lambda t: (t.state == "breached") & t.stopped_at.isnull(),
            aggregates=lambda t: {"value": t.count()}, empty_value=0.0),
        AggregateMetric(
            "sla_median_minutes", "Median minutes from an SLA's start to its stop.", "minutes",
            "median of elapsed minutes on the SLA's clock (business minutes for business_hours and "
            "business_days SLAs) from started_at to stopped_at, over clocks started in the period "
            "(by started_at) and stopped by the end of the as-of day; a stop before the start counts 0",
            direction="down", format="number", based_on=BY_START, fact=SLA_CLOCKS, date="started_at",
            where=lambda t: t.stopped_at.notnull(),
            aggregates=lambda t: {"value": t.elapsed_minutes.median()}),
    ]
