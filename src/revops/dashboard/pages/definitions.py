"""Definitions: the revenue model made readable — pipeline stages with their exit criteria
and required fields, lifecycle stages, SLAs, scoring rules, forecast categories, the routing
graph drawn as a diagram, and every metric with a link to its explanation."""

from __future__ import annotations

from typing import Any

from revops.dashboard.graph import routing_svg
from revops.dashboard.html import note, section, table, text
from revops.engines.metrics import catalogue
from revops.reports.definitions import ENGINE_NUMBERS

KEY = NAV = "definitions"
TITLE = "Definitions"


def build(ctx: Any) -> tuple[str, str]:
    m = ctx.model
    body = section("Pipeline stages", table(
        ["stage", "label", "probability", "entry criteria", "exit criteria", "required fields", "forecast category",
         "closed"],
        [[text(s.key), text(s.label), f"{s.probability:.0%}" if s.probability is not None else "–", text(s.criteria),
          text(s.exit_criteria), text(", ".join(s.required_fields)), text(s.forecast_category),
          "won" if s.is_won else ("lost" if s.is_closed else "")] for s in m.pipeline.stages],
        numeric={2}, ident="stages"))
    body += section("Lifecycle", table(
        ["stage", "label", "definition", "entry criteria", "recycle after"],
        [[text(s.key), text(s.label), text(s.description), text(s.entry_criteria),
          text(f"{s.recycle_after_days} days" if s.recycle_after_days else None)] for s in m.lifecycle.stages],
        numeric=set(), ident="lifecycle"))
    body += section("SLAs", table(
        ["SLA", "what", "starts", "stops", "within", "fallback"],
        [[f"<strong>{text(s.label or s.key)}</strong><br><small>{text(s.key)}</small>", text(s.description),
          text(s.start), text(s.stop), text(f"{s.duration:g} {s.unit.replace('_', ' ')}"),
          text(s.fallback.action if s.fallback else None)] for s in m.slas], numeric=set(), ident="slas"))
    rules = [[text(g.label or g.key), text(r.label or r.key), f"<code>{text(r.when)}</code>", f"{r.points:+g}",
              text(f"{r.decay_half_life_days:g} days" if r.decay_half_life_days else None)]
             for g in m.scoring.groups for r in g.rules]
    body += section("Scoring rules", note(f"A lead is an MQL at {m.scoring.mql_threshold:g} points; each group is capped "
                                          "at its cap."),
                    table(["group", "rule", "when", "points", "half-life"], rules, numeric={3}, ident="scoring"))
    body += section("Forecast categories", table(
        ["category", "label", "definition", "inclusion", "in the forecast"],
        [[text(c.key), text(c.label), text(c.definition), text(c.inclusion_criteria), "yes" if c.in_forecast else ""]
         for c in m.forecast_categories], numeric=set(), ident="categories"))
    body += section("Routing graph", f"<div class=\"graph\" id=\"routing-graph\">{routing_svg(list(m.routing.nodes))}</div>",
                    note("Boxes are the nodes of revops.yaml's routing section, in layers by their distance from the "
                         "start; arrows are their branches (yes / no of a condition, next, the hand-off after an SDR)."))
    q = ctx.view.query()
    metrics = [[f"<a href=\"/definitions/metrics/{text(x.name)}{text(q)}\">{text(x.name)}</a>", text(x.description),
                text(x.unit)] for x in catalogue(m).values()]
    body += section("Metrics", table(["metric", "description", "unit"], metrics, numeric=set(), ident="metrics"))
    engine = [[f"<a href=\"/definitions/metrics/{text(k)}{text(q)}\">{text(k)}</a>", text(words), text(source)]
              for k, (words, source) in ENGINE_NUMBERS.items()]
    body += section("Numbers from the engines", table(["number", "definition", "source"], engine, numeric=set(),
                                                      ident="engine-numbers"))
    return body, f"The revenue model in use (version {m.version}): `revops validate` checks it, `revops init` writes it"
