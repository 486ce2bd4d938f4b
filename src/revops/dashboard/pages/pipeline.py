"""Pipeline: coverage of the quarter, the flow between two days (what came in, moved, closed),
the largest open deals and the deals at risk."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from revops.dashboard import charts
from revops.dashboard.answers import hygiene
from revops.dashboard.html import cards, chart, charts as chart_row, note, section, table, text
from revops.reports.risk import at_risk_deals
from revops.reports.weekly import FLOW_KEYS

KEY = NAV = "pipeline"
TITLE = "Pipeline"
HEADLINE = ["open_pipeline", "weighted_pipeline", "pipeline_coverage", "open_deal_count", "pipeline_created",
            "pipeline_velocity"]
TOP = 25
SIGNS = {"pushed_out": -1, "decreased": -1, "won": -1, "lost": -1}


def flow_days(ctx: Any) -> tuple[date, date]:
    """The flow runs over the seven days ending on the data's day (within the quarter)."""
    end = min(ctx.day, ctx.view.quarter.end)
    return max(end - timedelta(days=6), ctx.view.quarter.start), end


def build(ctx: Any) -> tuple[str, str]:
    view, f = ctx.view, ctx.figures
    q = view.quarter
    link = {"period": q.label}
    v = f.values(HEADLINE, period="quarter", start=q.start, end=q.end)
    body = section(f"Quarter {q.label}: pipeline and coverage",
                   cards([("Open pipeline", f.metric("open_pipeline", v["open_pipeline"], **link)),
                          ("Weighted", f.metric("weighted_pipeline", v["weighted_pipeline"], **link)),
                          ("Coverage", f.metric("pipeline_coverage", v["pipeline_coverage"], **link)),
                          ("Open deals", f.metric("open_deal_count", v["open_deal_count"], **link)),
                          ("Created in the quarter", f.metric("pipeline_created", v["pipeline_created"], **link)),
                          ("Velocity", f.metric("pipeline_velocity", v["pipeline_velocity"], **link))]))
    body += _flow(ctx, link)
    body += _open_deals(ctx, link)
    body += _at_risk(ctx, link)
    return body, f"Deals closing in {q.label} ({q.start} to {q.end}) · as of the end of {ctx.day}"


def _flow(ctx: Any, link: dict[str, str]) -> str:
    from revops.engines import forecast as engine

    view, f = ctx.view, ctx.figures
    first, last = flow_days(ctx)
    label = view.quarter.label

    def compute() -> list[dict[str, Any]]:
        world = engine.load_world(ctx.con, ctx.model, ctx.day)
        return engine.pipeline_flow(ctx.con, ctx.model, start=first, end=last, period=label, by="owner", world=world)

    rows = ctx.shared(("flow", label, first, last), compute)
    owners = view.owners
    flow = {k: float(sum(r[k] for r in rows if owners is None or r["owner"] in owners)) for k in FLOW_KEYS}
    steps = [("start", flow["start"], "absolute")]
    steps += [(k.replace("_", " "), SIGNS.get(k, 1) * flow[k], "relative") for k in FLOW_KEYS[1:-1]]
    steps.append(("end", flow["end"], "total"))
    blocks = [cards([(k.replace("_", " "), f.number(f"flow.{k}", flow[k], **link)) for k in FLOW_KEYS]),
              chart_row(chart("pipeline-flow", charts.waterfall(steps, f"Pipeline flow {first} to {last}, deals "
                                                                        f"closing in {label}")))]
    if view.filters.segment:
        blocks.append(note("Pipeline flow is by owner: the segment filter does not apply here."))
    return section(f"Flow between {first} and {last}", *blocks)


def _open_deals(ctx: Any, link: dict[str, str]) -> str:
    view, f = ctx.view, ctx.figures
    q = view.quarter
    closed = [s.key for s in ctx.model.pipeline.stages if s.is_closed]
    sql = ("SELECT o.opportunity_id, o.name, o.owner_id, o.stage, o.amount, o.close_date, o.forecast_category "
           "FROM opportunities o LEFT JOIN users u ON u.user_id = o.owner_id "
           "WHERE o.close_date BETWEEN ? AND ? AND o.stage NOT IN (SELECT unnest(?::VARCHAR[]))")
    params: list[Any] = [q.start, q.end, closed]
    if view.owners is not None:
        sql += " AND o.owner_id IN (SELECT unnest(?::VARCHAR[]))"
        params.append(sorted(view.owners))
    if view.filters.segment:
        sql += " AND u.segment = ?"
        params.append(view.filters.segment)
    rows = ctx.sql(sql + f" ORDER BY o.amount DESC NULLS LAST, o.opportunity_id LIMIT {TOP}", params)
    cells = [[text(r["opportunity_id"]), text(r["name"]), text(ctx.owner_label(r["owner_id"])), text(r["stage"]),
              text(r["close_date"]), text(r["forecast_category"]), f.metric("open_pipeline", r["amount"], **link)]
             for r in rows]
    attrs = [f' data-owner="{text(r["owner_id"])}"' for r in rows]
    return section(f"The {len(rows)} largest open deals closing in {q.label}",
                   table(["deal", "name", "owner", "stage", "close date", "category", "amount"], cells, numeric={6},
                         ident="deals", row_attrs=attrs, empty="no open deal closes in this quarter"))


def _at_risk(ctx: Any, link: dict[str, str]) -> str:
    f = ctx.figures
    top, flagged = at_risk_deals(hygiene(ctx), ctx.model, TOP)
    cells = [[text(d["opportunity_id"]), text(ctx.owner_label(d["owner_id"])), text(d["stage"]),
              f.metric("open_pipeline", d["amount"], **link), text(d["why"])] for d in flagged]
    attrs = [f' data-owner="{text(d["owner_id"])}"' for d in flagged]
    return section("Deals at risk",
                   cards([("Deals at risk", f.number("hygiene.deals_at_risk", top.deals, "count")),
                          ("Amount at risk", f.number("hygiene.amount_at_risk", top.amount))]),
                   note(top.text),
                   table(["deal", "owner", "stage", "amount", "why"], cells, numeric={3}, ident="at-risk",
                         row_attrs=attrs, empty="no deal at risk"))
