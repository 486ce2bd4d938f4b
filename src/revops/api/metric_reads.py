"""The metrics layer behind ``GET /v1/metrics``: the same ``revops.engines.metrics`` the CLI and
the dashboard ask, with the key's scope ANDed to the request's filter.

    ask = MetricAsk(names=("win_rate",), by="owner", where="segment = 'smb'")
    metric_rows(services, principal, ask, today)    # {"items": [...], "where": "..."}

A rep's or manager's key adds ``owner in (…)`` (``Principal.metric_where``) to the filter, so
a metric without the ``owner`` dimension cannot be read with such a key (422, the layer's own
message). Answers are cached per store generation, keyed by the full filter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from revops.access import Principal


@dataclass(frozen=True)
class MetricAsk:
    names: tuple[str, ...] = ()
    by: str | None = None
    period: str | None = None
    start: str | None = None
    end: str | None = None
    as_of: str | None = None
    where: str | None = None


def scoped_where(principal: Principal, where: str | None) -> str | None:
    """The request's filter ANDed with the key's scope (None: no filter at all)."""
    scope = principal.metric_where()
    where = (where or "").strip() or None
    if scope and where:
        return f"({scope}) and ({where})"
    return scope or where


def metric_rows(services: Any, principal: Principal, ask: MetricAsk, today: date) -> dict[str, Any]:
    from revops.engines import metrics as engine

    ask = replace(ask, where=scoped_where(principal, ask.where))
    model = services.model

    def compute() -> dict[str, Any]:
        with services.analytics() as con:
            frame = engine.compute(con, model, list(ask.names), by=ask.by, period=ask.period, start=ask.start,
                                   end=ask.end, as_of=ask.as_of, where=ask.where, today=today)
        units = {m["name"]: m["unit"] for m in engine.list_metrics(model)}
        rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
        for r in rows:
            r["value"] = _plain(r["value"], units.get(r["metric"]))
        return {"items": rows, "where": ask.where, "as_of": ask.as_of}

    return services.cached(("metrics", ask, today), compute)


def _plain(value: Any, unit: str | None) -> Any:
    """A count as a whole number (31, not 31.0); NaN as null."""
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        if unit == "count" and value.is_integer():
            return int(value)
    return value


def metric_catalogue(services: Any) -> list[dict[str, Any]]:
    from revops.engines import metrics as engine

    return engine.list_metrics(services.model)


def metric_explain(services: Any, principal: Principal, name: str, ask: MetricAsk) -> dict[str, Any]:
    from revops.engines import metrics as engine

    ask = replace(ask, where=scoped_where(principal, ask.where))

    def compute() -> dict[str, Any]:
        with services.analytics() as con:
            return engine.explain(con, services.model, name, by=ask.by, period=ask.period, start=ask.start,
                                  end=ask.end, as_of=ask.as_of, where=ask.where)

    return services.cached(("explain", name, ask), compute)
