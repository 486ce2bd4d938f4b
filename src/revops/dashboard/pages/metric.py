"""A number's explanation page (``/definitions/metrics/<name>``): for a metric of the metrics
layer, its description, definition, inputs, the SQL it runs with the page's filters, and its
value; for a number an engine gives, its written definition and where it is computed."""

from __future__ import annotations

from html import escape
from typing import Any

from revops.dashboard.html import cards, note, section, table, text
from revops.engines.metrics import catalogue, explain
from revops.errors import MetricError
from revops.reports.definitions import ENGINE_NUMBERS

KEY = "metric"
NAV = "definitions"
TITLE = "Definition"


def build(ctx: Any, name: str) -> tuple[str, str, str]:
    known = catalogue(ctx.model)
    if name in ENGINE_NUMBERS:
        words, source = ENGINE_NUMBERS[name]
        return (section(name, f"<p class=\"definition\">{escape(words)}</p>", note(f"Computed by the {source}.")),
                "A number an engine gives", name)
    if name not in known:
        return (section("Unknown number", note(f"No metric or engine number is named {name!r}; Definitions lists them.")),
                "", name)
    view, f = ctx.view, ctx.figures
    p = view.period
    where = view.where
    try:
        found = _explained(ctx, name, where)
        value = f.values([name], period=p.grain, start=p.start, end=p.end)[name]
        problem = ""
    except MetricError as exc:
        found = _explained(ctx, name, None)
        value, problem = None, f"With the filters in force: {exc}"
    q = view.query()
    inputs = found.get("inputs") or []
    input_cells = [[_input(i, known, q)] for i in inputs]
    sql = "".join(f"<h3>{escape(s['query'])}</h3><pre class=\"sql\">{escape(s['sql'])}</pre>" for s in found["sql"])
    body = section(name,
                   cards([(f"{p.label}" + (f" · {where}" if where else ""),
                           f.metric(name, value) if not problem else "n/a")]),
                   f"<p class=\"description\"><strong>{escape(found['description'])}</strong></p>",
                   f"<p class=\"definition\">{escape(found['definition'])}</p>",
                   note(f"Based on {found['based_on']} · unit {found['unit']} · {found['direction']} is good · "
                        f"backend {found['backend']}"),
                   note(problem) if problem else "")
    body += section("Inputs", table(["input"], input_cells, numeric=set(), ident="inputs", empty="none"))
    body += section("SQL", sql or note("No SQL: computed from other metrics."))
    return body, f"{p.label} ({p.start} to {p.end}) · as of the end of {ctx.day} · `revops explain {name}`", name


def _explained(ctx: Any, name: str, where: str | None) -> dict[str, Any]:
    """``explain`` of the metric for the view's period: its SQL depends on the definition, the
    day and the filters, not on the data, so it is kept across the store's generations."""
    p = ctx.view.period

    def compute() -> dict[str, Any]:
        return explain(ctx.con, ctx.model, name, period=p.grain, start=p.start, end=p.end, where=where)

    return ctx.services.cache.get(("dashboard", "explain", name, p.grain, p.start, p.end, where, ctx.day), compute)


def _input(item: Any, known: dict[str, Any], q: str) -> str:
    words = item if isinstance(item, str) else ", ".join(f"{k}: {v}" for k, v in dict(item).items())
    if isinstance(item, str) and item in known:
        return f"<a href=\"/definitions/metrics/{escape(item)}{escape(q)}\">{escape(item)}</a>"
    return text(words)
