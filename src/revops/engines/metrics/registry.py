"""The catalogue in use: the built-in metrics plus the model's custom ones, by name."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from revops.engines.metrics.catalogue import Metric
from revops.errors import MetricError


@lru_cache(maxsize=1)
def builtin() -> dict[str, Metric]:
    from revops.engines.metrics import deals

    modules = [deals]
    for name in ("funnel", "revenue", "efficiency", "sla", "routing"):
        try:
            modules.append(__import__(f"revops.engines.metrics.{name}", fromlist=["metrics"]))
        except ModuleNotFoundError as exc:
            if exc.name != f"revops.engines.metrics.{name}":
                raise
    out: dict[str, Metric] = {}
    for module in modules:
        for m in module.metrics():
            out[m.name] = m
    return out


def catalogue(model: Any) -> dict[str, Metric]:
    from revops.engines.metrics.custom import custom_metric

    out = {name: m.for_model(model) for name, m in builtin().items()}
    for d in model.metrics:
        out[d.name] = custom_metric(d)
    return out


def get(model: Any, name: str) -> Metric:
    metrics = catalogue(model)
    if name not in metrics:
        import difflib

        close = difflib.get_close_matches(name, list(metrics), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise MetricError(f"unknown metric {name!r}{hint} (`revops metrics --list` lists them)")
    return metrics[name]
