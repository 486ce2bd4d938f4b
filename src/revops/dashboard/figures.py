"""``Figures``: the numbers of one page render, from one ``MetricSession`` (facts built once,
many metrics per ``compute`` call), each written as a link to its explanation page.

    with Figures.open(con, model, view) as f:
        v = f.values(["open_pipeline", "quota"], period="quarter", start=q.start, end=q.end)
        f.metric("open_pipeline", v["open_pipeline"])       # <a href="/definitions/metrics/...">

A metric that cannot take one of the view's filters (spend has no owner) is shown blank with
a note, never computed without the filter: a rep must not see the company's numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Any

import pandas as pd

from revops.dashboard.view import View
from revops.engines.metrics import MetricSession, get
from revops.errors import MetricError
from revops.reports.context import number
from revops.reports.definitions import ENGINE_NUMBERS
from revops.reports.html import fmt_value, metric_unit

EXPLAIN = "/definitions/metrics/"


@dataclass
class Figures:
    session: MetricSession
    model: Any
    view: View
    unfiltered: set[str] = field(default_factory=set)
    """Metrics that could not take the view's filters (shown blank)."""

    @classmethod
    def open(cls, con: Any, model: Any, view: View) -> Figures:
        return cls(MetricSession(con, model, as_of=view.day), model, view)

    def __enter__(self) -> Figures:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.session.close()

    # -- the metrics layer ---------------------------------------------------------------
    def frame(self, names: list[str], **kw: Any) -> pd.DataFrame:
        """``session.compute`` with the view's where; metrics the where does not apply to are
        left out (and remembered in ``unfiltered``)."""
        where = self.view.where
        try:
            return self.session.compute(names, where=where, **kw)
        except MetricError:
            if where is None:
                raise
        frames = []
        for name in names:
            try:
                frames.append(self.session.compute([name], where=where, **kw))
            except MetricError:
                self.unfiltered.add(name)
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["metric", "value"])

    def values(self, names: list[str], **kw: Any) -> dict[str, float | None]:
        """One value per metric (without dimensions; with a period, the last period's)."""
        out: dict[str, float | None] = {n: None for n in names}
        frame = self.frame(names, **kw)
        for m, v in zip(frame["metric"], frame["value"]):
            out[m] = number(v)
        return out

    def by(self, names: list[str], dim: str, **kw: Any) -> dict[tuple[Any, str], float | None]:
        """(dimension value, metric) -> value."""
        frame = self.frame(names, by=[dim], **kw)
        if dim not in frame:
            return {}
        return {(d, m): number(v) for d, m, v in zip(frame[dim], frame["metric"], frame["value"])}

    def series(self, names: list[str], grain: str, start: Any, end: Any) -> dict[str, list[tuple[str, float | None]]]:
        frame = self.frame(names, period=grain, start=start, end=end)
        out: dict[str, list[tuple[str, float | None]]] = {n: [] for n in names}
        if "period" in frame:
            for m, p, v in zip(frame["metric"], frame["period"], frame["value"]):
                out[m].append((str(p), number(v)))
        return out

    # -- writing numbers -----------------------------------------------------------------
    def link(self, name: str, **extra: str) -> str:
        return EXPLAIN + escape(name) + escape(self.view.query(**extra))

    def metric(self, name: str, value: Any, **extra: str) -> str:
        """A metric's value, formatted, linking to its explanation."""
        m = get(self.model, name)
        if name in self.unfiltered:
            return (f'<span class="na" title="{escape(name)} cannot be filtered this way">n/a</span>')
        text = fmt_value(value, metric_unit(m), self.model.company.currency)
        return (f'<a class="num" href="{self.link(name, **extra)}" data-metric="{escape(name)}" '
                f'title="{escape(m.description)}">{escape(text)}</a>')

    def number(self, key: str, value: Any, unit: str = "currency", **extra: str) -> str:
        """A number an engine gives (a key of ``ENGINE_NUMBERS``), linking to its definition."""
        text = fmt_value(value, unit, self.model.company.currency)
        words = ENGINE_NUMBERS[key][0]
        return (f'<a class="num" href="{self.link(key, **extra)}" data-number="{escape(key)}" '
                f'title="{escape(words)}">{escape(text)}</a>')

    def fmt(self, name: str):
        unit = metric_unit(get(self.model, name))
        return lambda v: fmt_value(v, unit, self.model.company.currency)
