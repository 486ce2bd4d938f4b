"""Metrics the company declares in revops.yaml (``metrics:``): count, sum or average over a
table with a filter in the model's expression language, or the ratio of two metrics
(built-in or custom). They run through the same code as the built-in ones."""

from __future__ import annotations

from typing import Any

from revops.engines.metrics.catalogue import AggregateMetric, DerivedMetric, Metric
from revops.engines.metrics.context import MetricContext
from revops.engines.metrics.dimensions import ACCOUNT, OWNER
from revops.engines.metrics.facts import DEALS, LEADS, Fact
from revops.model.expressions import parse

DATE_PREFERENCE = ("created_at", "occurred_at", "changed_at", "usage_date", "period_start", "start_date")
_UNITS = {"currency": "currency", "percent": "ratio", "ratio": "ratio", "days": "days",
          "months": "months", "number": "count"}


def _fact_for(table: str) -> Fact:
    if table == "opportunities":
        return DEALS
    if table == "leads":
        return LEADS

    def build(ctx: MetricContext):
        return ctx.table(table)
    from revops.store.schema import table as schema_table

    names = schema_table(table).field_names
    links = tuple(link for link in (OWNER, ACCOUNT) if link.key in names)
    return Fact(table, f"the {table} table", build, links)


def default_date(table: str) -> str | None:
    from revops.store.schema import table as schema_table

    names = schema_table(table).field_names
    return next((d for d in DATE_PREFERENCE if d in names), None)


def custom_metric(d: Any) -> Metric:
    common = dict(name=d.name, description=d.description or d.label or d.name,
                  unit=_UNITS.get(d.format, "count"), direction=d.direction, format=d.format)
    if d.type == "ratio":
        num, den = d.numerator, d.denominator
        return DerivedMetric(**common, definition=f"{num} / {den} (custom, revops.yaml)",
                             based_on=f"{num} and {den}", components=(num, den),
                             combine=lambda f: f[num] / f[den].where(f[den] != 0))
    date = d.date or default_date(d.table)
    condition = parse(d.filter) if d.filter.strip() else None
    where = (lambda t: condition.to_ibis(t)) if condition is not None else None
    field = d.field
    if d.type == "count":
        aggregates = lambda t: {"value": t.count()}  # noqa: E731
        formula = f"count of {d.table}"
    elif d.type == "sum":
        aggregates = lambda t: {"value": t[field].sum()}  # noqa: E731
        formula = f"sum of {d.table}.{field}"
    else:
        aggregates = lambda t: {"value": t[field].mean()}  # noqa: E731
        formula = f"mean of {d.table}.{field}"
    if condition is not None:
        formula += f" where {d.filter}"
    return AggregateMetric(**common, definition=f"{formula} (custom, revops.yaml)",
                           empty_value=None if d.type == "average" else 0.0,
                           based_on=f"{d.table} by {date}", fact=_fact_for(d.table), date=date,
                           where=where, aggregates=aggregates)
