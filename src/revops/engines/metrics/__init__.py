"""The metrics layer: every number defined once, computed as of any date, by any dimension,
explained back to its definition, on whichever Ibis backend holds the data.

    from revops.engines.metrics import compute
    compute(con, model, ["win_rate"], by=["source"], period="quarter")

    with MetricSession(con, model) as session:   # many requests sharing facts and results
        session.compute(["mrr", "nrr"], by=["segment"], period="quarter")
        session.compute(["win_rate"], by=["source"])

``revops.metrics.compute`` wraps this for a store file; the CLI, API and dashboard all call it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import pandas as pd

from revops.engines.metrics.catalogue import Metric, MetricQuery, compute_metric
from revops.engines.metrics.context import MetricContext
from revops.engines.metrics.periods import parse_date, parse_period
from revops.engines.metrics.registry import catalogue, get
from revops.errors import MetricError

__all__ = ["Metric", "MetricContext", "MetricQuery", "MetricSession", "catalogue", "compute", "explain",
           "get", "list_metrics", "make_query"]


def make_query(by: Iterable[str] | str | None = None, period: str | None = None,
               start: str | date | None = None, end: str | date | None = None,
               where: str | None = None) -> MetricQuery:
    if isinstance(by, str):
        by = [b for b in by.split(",")]
    dims = tuple(b.strip() for b in (by or ()) if b and b.strip())
    if "period" in dims:
        raise MetricError("'period' is not a dimension; use --period month|quarter|year")
    if len(set(dims)) != len(dims):
        raise MetricError(f"a dimension is named twice in --by {','.join(dims)}")
    q = MetricQuery(by=dims, period=parse_period(period), start=parse_date(start, "--from"),
                    end=parse_date(end, "--to"), where=where or None)
    if q.start and q.end and q.start > q.end:
        raise MetricError(f"--from {q.start} is after --to {q.end}")
    if q.where:
        from revops.model.expressions import parse

        parse(q.where)  # a syntax error is reported before any query runs
    return q


class MetricSession:
    """Several metric requests about one store at one moment (a dashboard page, a report, the
    whole scoreboard): facts worth materialising are built once for the session and every
    result is computed once, whatever request asks for it. Use it as a context manager, or
    ``close()`` it: that drops the materialised facts. Not for use across a change of the
    data: open a new session after a write."""

    def __init__(self, con: Any, model: Any, *, as_of: str | date | None = None,
                 today: date | None = None, cache_facts: bool | str = True) -> None:
        self.ctx = MetricContext(con, model, as_of=parse_date(as_of, "--as-of"), today=today,
                                 cache_facts=cache_facts)

    def __enter__(self) -> MetricSession:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self.ctx.release()

    def compute(self, names: Iterable[str] | str, *, by: Iterable[str] | str | None = None,
                period: str | None = None, start: str | date | None = None, end: str | date | None = None,
                where: str | None = None) -> pd.DataFrame:
        """One row per metric, period and dimension value: metric, [period], dims..., value."""
        ctx = self.ctx
        names = [names] if isinstance(names, str) else list(names)
        if not names:
            raise MetricError("name at least one metric (`revops metrics --list` lists them)")
        q = make_query(by, period, start, end, where)
        metrics = [(name, get(ctx.model, name)) for name in names]
        _share_queries(ctx, q, [m for _, m in metrics])
        results = [(name, metric, compute_metric(ctx, metric, q)) for name, metric in metrics]
        span = _period_span(ctx, q, [frame for _, _, frame in results])
        frames = []
        for name, metric, frame in results:
            frame = _fill_periods(q, frame, metric.empty_value, span)
            frame.insert(0, "metric", name)
            frames.append(frame)
        out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        return out[["metric", *q.keys(), "value"]]


def compute(con: Any, model: Any, names: Iterable[str] | str, *, by: Iterable[str] | str | None = None,
            period: str | None = None, start: str | date | None = None, end: str | date | None = None,
            as_of: str | date | None = None, where: str | None = None,
            today: date | None = None) -> pd.DataFrame:
    """One row per metric, period and dimension value: metric, [period], dims..., value."""
    names = [names] if isinstance(names, str) else list(names)
    # one metric reads each fact once: materialising it would only add a write
    with MetricSession(con, model, as_of=as_of, today=today, cache_facts=len(names) > 1) as session:
        return session.compute(names, by=by, period=period, start=start, end=end, where=where)


def _share_queries(ctx: MetricContext, q: MetricQuery, asked: list[Metric]) -> None:
    """Metrics asked (or feeding a derived metric asked) that share a query (``shares_with``:
    aggregates over one fact and date, recurring-revenue metrics over one window) are
    computed together, one query per group, into the request's results."""
    groups: dict[Any, list[Metric]] = {}
    seen: set[str] = set()
    todo = list(asked)
    while todo:
        m = todo.pop(0)
        if m.name in seen:
            continue
        seen.add(m.name)
        if m.shares_with is not None:
            groups.setdefault((type(m), m.shares_with), []).append(m)
        else:  # a derived metric: its inputs may share queries
            todo += m.input_metrics(ctx)
    for group in groups.values():
        if len(group) < 2:
            continue
        try:
            together = type(group[0]).compute_together(ctx, q, group)
        except MetricError:
            continue  # an aggregate that cannot share a query is computed alone
        for name, frame in together.items():
            ctx.results[(name, q)] = frame


def _period_span(ctx: MetricContext, q: MetricQuery, frames: list[pd.DataFrame]) -> list[str] | None:
    """Every period label from --from (else the first period any asked metric has) to --to
    (else the last), when periods are asked without dimensions."""
    if not q.period or q.by:
        return None
    labels = sorted({str(p) for f in frames for p in f["period"].dropna()})
    if not labels and not (q.start and q.end):
        return None
    cal = ctx.calendar
    first = q.start or cal.label_start(labels[0], q.period)
    last = q.end or cal.label_start(labels[-1], q.period)
    return [label for label, _, _ in cal.periods(first, last, q.period)]


def _fill_periods(q: MetricQuery, frame: pd.DataFrame, empty: float | None,
                  span: list[str] | None) -> pd.DataFrame:
    """Sorted by the keys, a row for every period of ``span``; where nothing happened a count
    or sum is 0 and anything else null."""
    keys = q.keys()
    if keys:
        frame = frame.sort_values(keys, na_position="last", kind="stable")
    if span is not None:
        frame = pd.DataFrame({"period": span}).merge(frame, on="period", how="left")
    if empty is not None:
        frame["value"] = frame["value"].astype("float64").fillna(empty)
    return frame.reset_index(drop=True)


def list_metrics(model: Any) -> list[dict[str, str]]:
    return [{"name": m.name, "description": m.description, "unit": m.unit, "format": m.format,
             "direction": m.direction} for m in catalogue(model).values()]


def explain(con: Any, model: Any, name: str, *, by: Iterable[str] | str | None = None,
            period: str | None = None, start: str | date | None = None, end: str | date | None = None,
            as_of: str | date | None = None, where: str | None = None) -> dict[str, Any]:
    """The definition, inputs and SQL of a metric, for the backend in use."""
    metric = get(model, name)
    q = make_query(by, period, start, end, where)
    ctx = MetricContext(con, model, as_of=parse_date(as_of, "--as-of"))
    return {
        "metric": metric.name, "description": metric.description, "definition": metric.definition,
        "based_on": metric.based_on, "unit": metric.unit, "format": metric.format,
        "direction": metric.direction, "inputs": metric.inputs(), "backend": ctx.backend_name,
        "sql": [{"query": label, "sql": sql} for label, sql in metric.sql(ctx, q)],
    }
