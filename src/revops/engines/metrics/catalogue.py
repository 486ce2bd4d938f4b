"""The metric catalogue: every number revops reports, declared once.

A metric has a name, a description, a unit and display format, which direction is good,
and a definition in words. Two kinds compute it (and the recurring-revenue and quota
modules add their own):

- ``AggregateMetric``: one aggregation over a fact (count, sum, mean, ratio of sums…),
  bucketed by one of the fact's dates. One SQL query on the backend in use.
- ``DerivedMetric``: a formula over other metrics' results, joined on period and
  dimensions (pipeline coverage = open pipeline / remaining quota). Each input is computed
  by its own metric; only the small joined result is combined here.

``compute`` returns a pandas DataFrame: the period column when asked for, one column per
dimension, and ``value``.
"""

from __future__ import annotations

from collections.abc import Callable
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from revops.engines.metrics import dimensions
from revops.engines.metrics.context import MetricContext
from revops.engines.metrics.facts import Fact
from revops.engines.metrics.periods import PeriodKind, literal_date
from revops.errors import MetricError

Unit = Literal["count", "currency", "ratio", "days", "minutes", "months", "currency_per_day"]
Direction = Literal["up", "down"]


@dataclass(frozen=True)
class MetricQuery:
    """What is asked of a metric: dimensions, period, date range, filter."""

    by: tuple[str, ...] = ()
    period: PeriodKind | None = None
    start: date | None = None
    end: date | None = None
    where: str | None = None

    def keys(self) -> list[str]:
        return (["period"] if self.period else []) + list(self.by)


@dataclass(frozen=True)
class Metric(ABC):
    name: str
    description: str
    unit: Unit
    definition: str
    """The formula in words, as `revops explain` prints it."""
    direction: Direction = "up"
    format: str = "number"
    based_on: str = ""
    """The table and date the metric reads, in words: 'opportunities by close_date'."""
    empty_value: float | None = None
    """The value where nothing happened: 0 for counts and sums, None (null) otherwise."""

    @abstractmethod
    def compute(self, ctx: MetricContext, q: MetricQuery) -> pd.DataFrame:
        """The metric for ``q``: [period], one column per dimension, ``value``."""

    @abstractmethod
    def sql(self, ctx: MetricContext, q: MetricQuery) -> list[tuple[str, str]]:
        """(label, SQL) for every query the metric runs on the backend in use."""

    def inputs(self) -> list[str]:
        return []

    def input_metrics(self, ctx: MetricContext) -> list[Metric]:
        """The metrics this one is computed from (their queries may be shared)."""
        return []

    def for_model(self, model: Any) -> Metric:
        """The metric as ``model`` defines it (e.g. a definition quoting the model's targets)."""
        return self

    @property
    def shares_with(self) -> Any:
        """Metrics of one kind with equal ``shares_with`` (not None) are computed together by
        ``compute_together``, one query for all of them."""
        return None

    @classmethod
    def compute_together(cls, ctx: MetricContext, q: MetricQuery, metrics: list[Metric]) -> dict[str, pd.DataFrame]:
        """Results of ``metrics`` (all sharing with each other), by name; each as it is alone."""
        return {m.name: m.compute(ctx, q) for m in metrics}


def filtered(ctx: MetricContext, metric: str, fact: Fact, q: MetricQuery, date_column: str | None,
             extra: tuple[str, ...] = ()) -> ir.Table:
    """The fact with the query's dimensions joined, its filter and date range applied."""
    t = ctx.fact(fact)
    needed = list(q.by) + list(extra)
    where = None
    if q.where:
        from revops.model.expressions import parse

        where = parse(q.where)
        needed += sorted(where.fields)
    t = dimensions.resolve(ctx, t, fact.links, needed, metric)
    if where is not None:
        try:
            t = t.filter(where.to_ibis(t, now=ctx.cutoff).fill_null(False))
        except Exception as exc:
            raise MetricError(f"--where {q.where!r} cannot filter metric {metric!r}: {exc}") from None
    if date_column is not None:
        day = t[date_column].cast("date")
        if q.start is not None:
            t = t.filter(day >= literal_date(q.start))
        if q.end is not None:
            t = t.filter(day <= literal_date(q.end))
    return t


def counted_rows(ctx: MetricContext, metric: Any, q: MetricQuery) -> tuple[ir.Table, list[Any]]:
    """The rows a fact-based metric counts (the query's filters and its own condition
    applied) and the keys to group them by."""
    assert metric.fact is not None
    t = filtered(ctx, metric.name, metric.fact, q, metric.date)
    if metric.where is not None:
        t = t.filter(metric.where(t).fill_null(False))
    return t, _group(ctx, t, q, metric.date)


def execute(ctx: MetricContext, expr: ir.Table, q: MetricQuery) -> pd.DataFrame:
    """Run a query grouped by ``_group``'s keys: its period keys become their labels."""
    frame = ctx.con.execute(expr)
    if q.period and "period" in frame.columns:
        frame["period"] = ctx.calendar.key_labels(frame["period"], q.period)
    return frame


def _group(ctx: MetricContext, t: ir.Table, q: MetricQuery, date_column: str | None) -> list[Any]:
    keys: list[Any] = []
    if q.period:
        if date_column is None:
            raise MetricError("this metric has no date to bucket by period")
        keys.append(ctx.calendar.key_expr(t[date_column], q.period).name("period"))
    keys += [t[d] for d in q.by]
    return keys


@dataclass(frozen=True)
class AggregateMetric(Metric):
    fact: Fact | None = None
    date: str | None = None
    """Fact column the period and --from/--to apply to."""
    where: Callable[[ir.Table], ir.BooleanValue] | None = None
    """Which fact rows count."""
    aggregates: Callable[[ir.Table], dict[str, ir.Scalar]] = field(default=lambda t: {})
    value: Callable[[ir.Table], ir.Value] = field(default=lambda a: a.value)
    """The value from the aggregated columns (default: the aggregate named 'value')."""
    dated_by_request: bool = True

    def expression(self, ctx: MetricContext, q: MetricQuery) -> ir.Table:
        t, keys = counted_rows(ctx, self, q)
        aggs = self.aggregates(t)
        agg = t.group_by(keys).aggregate(**aggs) if keys else t.aggregate(**aggs)
        return agg.select(*q.keys(), value=self.value(agg).cast("float64"))

    def compute(self, ctx: MetricContext, q: MetricQuery) -> pd.DataFrame:
        return execute(ctx, self.expression(ctx, q), q)

    def sql(self, ctx: MetricContext, q: MetricQuery) -> list[tuple[str, str]]:
        return [(self.name, sql_text(ctx, self.expression(ctx, q)))]

    @property
    def shares_with(self) -> tuple[Any, ...] | None:
        """Aggregate metrics over the same fact and date are computed in one query."""
        return None if self.fact is None else (self.fact.name, self.fact.key, self.date)

    @classmethod
    def compute_together(cls, ctx: MetricContext, q: MetricQuery, metrics: list[Metric]) -> dict[str, pd.DataFrame]:
        return compute_together(ctx, q, [m for m in metrics if isinstance(m, AggregateMetric)])


def compute_together(ctx: MetricContext, q: MetricQuery,
                     metrics: list[AggregateMetric]) -> dict[str, pd.DataFrame]:
    """Aggregate metrics sharing a fact and a date, in ONE query: each metric's aggregates
    become filtered aggregates (``SUM(x) FILTER (WHERE its condition)``) of one grouping.
    A group where a metric had no rows is dropped from that metric's result, so every metric
    answers exactly as it does alone."""
    first = metrics[0]
    assert first.fact is not None
    t = filtered(ctx, first.name, first.fact, q, first.date)
    keys = _group(ctx, t, q, first.date)
    aggs: dict[str, ir.Scalar] = {}
    for i, m in enumerate(metrics):
        condition = m.where(t).fill_null(False) if m.where is not None else None
        aggs[f"__m{i}_rows"] = _filtered_reduction(t.count(), condition)
        for name, agg in m.aggregates(t).items():
            aggs[f"__m{i}_{name}"] = _filtered_reduction(agg, condition)
    agg = t.group_by(keys).aggregate(**aggs) if keys else t.aggregate(**aggs)
    values = {f"__v{i}": m.value(_Columns(agg, f"__m{i}_")).cast("float64") for i, m in enumerate(metrics)}
    rows = [f"__m{i}_rows" for i in range(len(metrics))]
    frame = execute(ctx, agg.select(*q.keys(), *rows, **values), q)
    out: dict[str, pd.DataFrame] = {}
    for i, m in enumerate(metrics):
        part = frame if not q.keys() else frame[frame[f"__m{i}_rows"] > 0]
        out[m.name] = part[[*q.keys(), f"__v{i}"]].rename(columns={f"__v{i}": "value"}).reset_index(drop=True)
    return out


def _filtered_reduction(agg: ir.Scalar, condition: ir.BooleanValue | None) -> ir.Scalar:
    import ibis.expr.operations as ops

    if condition is None:
        return agg
    op = agg.op()
    if not isinstance(op, ops.Reduction) or "where" not in op.__argnames__:
        raise MetricError(f"an aggregate must be one reduction (sum, count, mean…) to share a query: {agg}")
    where = condition.op() if op.where is None else ops.And(op.where, condition.op())
    return op.copy(where=where).to_expr()


class _Columns:
    """The aggregated columns of one metric, by the names its ``aggregates`` gave them."""

    def __init__(self, table: ir.Table, prefix: str) -> None:
        self._table, self._prefix = table, prefix

    def __getattr__(self, name: str) -> ir.Value:
        return self._table[self._prefix + name]

    __getitem__ = __getattr__


def compute_metric(ctx: MetricContext, metric: Metric, q: MetricQuery) -> pd.DataFrame:
    """The metric's result for ``q``, computed once per request."""
    key = (metric.name, q)
    if key not in ctx.results:
        ctx.results[key] = metric.compute(ctx, q)
    return ctx.results[key].copy()


@dataclass(frozen=True)
class DerivedMetric(Metric):
    components: tuple[str, ...] = ()
    combine: Callable[[pd.DataFrame], pd.Series] = field(default=lambda df: df.iloc[:, 0])
    """Value from a frame holding one column per component (named as the component)."""
    how: Literal["outer", "inner", "left"] = "outer"

    def inputs(self) -> list[str]:
        return list(self.components)

    def input_metrics(self, ctx: MetricContext) -> list[Metric]:
        from revops.engines.metrics.registry import get

        return [get(ctx.model, name) for name in self.components]

    def compute(self, ctx: MetricContext, q: MetricQuery) -> pd.DataFrame:
        frame = self.components_frame(ctx, q)
        values = self.combine(frame.astype({c: "float64" for c in self.components}))
        return derived_result(frame, q.keys(), values)

    def component(self, ctx: MetricContext, name: str) -> Metric:
        from revops.engines.metrics.registry import get

        return get(ctx.model, name)

    def components_frame(self, ctx: MetricContext, q: MetricQuery) -> pd.DataFrame:
        """The components' results for ``q`` joined on the keys, a column named as each."""
        keys = q.keys()
        frame: pd.DataFrame | None = None
        for name in self.components:
            part = compute_metric(ctx, self.component(ctx, name), q).rename(columns={"value": name})
            frame = join_on_keys(frame, part, keys, self.how)
        assert frame is not None
        return frame

    def sql(self, ctx: MetricContext, q: MetricQuery) -> list[tuple[str, str]]:
        from revops.engines.metrics.registry import get

        out: list[tuple[str, str]] = []
        for name in self.components:
            out += get(ctx.model, name).sql(ctx, q)
        return out


def join_on_keys(frame: pd.DataFrame | None, part: pd.DataFrame, keys: list[str],
                 how: Literal["outer", "inner", "left"]) -> pd.DataFrame:
    """``part`` joined to ``frame`` on the keys (side by side when there are none)."""
    # plain objects for the keys: an empty result's key columns carry no type to join on
    part = part.astype({k: object for k in keys})
    if frame is None:
        return part
    return frame.merge(part, on=keys, how=how) if keys else pd.concat([frame, part], axis=1)


def derived_result(frame: pd.DataFrame, keys: list[str], values: pd.Series) -> pd.DataFrame:
    """The keys of ``frame`` and ``values`` (infinities, from a division by 0, become null)."""
    out = frame[keys].copy() if keys else pd.DataFrame(index=frame.index)
    out["value"] = values.replace([np.inf, -np.inf], np.nan).astype("float64")
    return out.reset_index(drop=True)


def _dialect(ctx: MetricContext) -> str:
    return ctx.backend_name  # Ibis names its compilers as its backends: duckdb, pyspark, postgres


def sql_text(ctx: MetricContext, expr: ir.Table) -> str:
    """The SQL the backend in use really runs for ``expr`` (its own compiler, with the
    backend's fixes), else Ibis' SQL in the backend's dialect."""
    compile_ = getattr(ctx.con, "compile", None)
    if compile_ is not None:
        try:
            return str(compile_(expr, pretty=True))
        except TypeError:
            return str(compile_(expr))
    return str(ibis.to_sql(expr, dialect=_dialect(ctx)))


def ratio(num: ir.NumericValue, den: ir.NumericValue) -> ir.FloatingValue:
    """num / den, null when den is 0 or null."""
    return num.cast("float64") / den.cast("float64").nullif(0.0)
