"""Home: the three questions of a RevOps dashboard, with the numbers behind them.

1. Where is the pipeline right now? Open pipeline of this quarter, its coverage of the quota
   still to close, won so far, by stage.
2. Where are deals breaking down? Stage-to-stage conversion and time in stage, deals at risk.
3. What does next quarter look like? Its forecast P10/P50/P90, pipeline and coverage.
"""

from __future__ import annotations

from typing import Any

from revops.dashboard import charts
from revops.dashboard.answers import hygiene
from revops.dashboard.html import cards, chart, charts as chart_row, note, section
from revops.dashboard.pages.forecast import company_forecast, freshness
from revops.reports.risk import at_risk_deals

KEY = "home"
NAV = "home"
TITLE = "Home"
QUARTER = ["open_pipeline", "weighted_pipeline", "won_amount", "quota", "quota_attainment", "pipeline_coverage",
           "open_deal_count"]
NEXT = ["open_pipeline", "quota", "pipeline_coverage"]
STAGES = ["stage_conversion_rate", "time_in_stage_days"]


def stage_order(model: Any) -> list[str]:
    return [s.key for s in model.pipeline.stages if not s.is_closed]


def build(ctx: Any) -> tuple[str, str]:
    view, f = ctx.view, ctx.figures
    q = view.period if view.period.grain == "quarter" else view.quarter
    nxt = view.next_quarter(q)
    span = {"period": "quarter", "start": q.start, "end": q.end}
    now = f.values(QUARTER, **span)
    by_stage = f.by(["open_pipeline"], "stage", **span)
    order = stage_order(ctx.model)
    target = ctx.model.targets.pipeline_coverage
    link = {"period": q.label}
    coverage_sub = f"target {target.target:.1f}x" if target else ""
    one = section(
        f"1. Where is the pipeline right now? ({q.label})",
        cards([("Open pipeline", f.metric("open_pipeline", now["open_pipeline"], **link)),
               ("Coverage of quota left", f.metric("pipeline_coverage", now["pipeline_coverage"], **link), coverage_sub),
               ("Won so far", f.metric("won_amount", now["won_amount"], **link)),
               ("Quota", f.metric("quota", now["quota"], **link)),
               ("Attainment", f.metric("quota_attainment", now["quota_attainment"], **link)),
               ("Weighted pipeline", f.metric("weighted_pipeline", now["weighted_pipeline"], **link)),
               ("Open deals", f.metric("open_deal_count", now["open_deal_count"], **link))]),
        chart_row(chart("home-pipeline-by-stage", charts.bar(
            [(s, by_stage.get((s, "open_pipeline"))) for s in order], f"Open pipeline closing in {q.label}, by stage"))),
        note("Coverage is blank when the quota is already met." if now["pipeline_coverage"] is None else ""),
        ident="q-pipeline")

    conv = f.by(STAGES, "stage", start=q.start, end=q.end)
    top, _ = at_risk_deals(hygiene(ctx), ctx.model)
    rates = f.values(["win_rate", "sales_cycle_days"], **span)
    two = section(
        "2. Where are deals breaking down?",
        cards([("Deals at risk", f.number("hygiene.deals_at_risk", top.deals, "count")),
               ("Amount at risk", f.number("hygiene.amount_at_risk", top.amount)),
               ("Win rate", f.metric("win_rate", rates["win_rate"], **link)),
               ("Sales cycle", f.metric("sales_cycle_days", rates["sales_cycle_days"], **link)),
               *[(f"{s} → next", f.metric("stage_conversion_rate", conv.get((s, "stage_conversion_rate")), **link))
                 for s in order]]),
        chart_row(chart("home-stage-conversion", charts.bar(
                      [(s, conv.get((s, "stage_conversion_rate"))) for s in order],
                      f"Stage-to-stage conversion, deals leaving a stage in {q.label}", percent=True)),
                  chart("home-time-in-stage", charts.bar(
                      [(s, conv.get((s, "time_in_stage_days"))) for s in order], "Days in stage before moving on",
                      color=charts.PALETTE[2]))),
        note(top.text), ident="q-breakdown")

    nv = f.values(NEXT, period="quarter", start=nxt.start, end=nxt.end)
    answer, fresh = company_forecast(ctx.services, ctx.state, ctx.day, nxt.label)
    fc = answer.scoped(view.owners)
    nlink = {"period": nxt.label}
    three = section(
        f"3. What does next quarter look like? ({nxt.label})",
        cards([("Forecast P10", f.number("forecast.p10", fc["p10"], period=nxt.label)),
               ("Forecast P50", f.number("forecast.p50", fc["p50"], period=nxt.label)),
               ("Forecast P90", f.number("forecast.p90", fc["p90"], period=nxt.label)),
               ("Open pipeline", f.metric("open_pipeline", nv["open_pipeline"], **nlink)),
               ("Quota", f.metric("quota", nv["quota"], **nlink)),
               ("Coverage", f.metric("pipeline_coverage", nv["pipeline_coverage"], **nlink),
                coverage_sub)]),
        chart_row(chart("home-next-forecast", charts.interval(
            [nxt.label], [fc["p10"]], [fc["p50"]], [fc["p90"]], f"Forecast {nxt.label}: P50 with P10-P90"))),
        freshness(fresh), ident="q-next")
    return one + two + three, (f"{ctx.model.company.name} · as of the end of {ctx.day} · quarter {q.label} "
                               f"({q.start} to {q.end})")
