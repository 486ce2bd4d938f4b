"""The weekly sales dashboard (sales leadership): pipeline created this week against last
week and the 4-week average, the quarter's open pipeline and coverage, the forecast, the
week's pipeline flow, deals at risk, and win rate and cycle by team.

The week is the seven days ending on the as-of day; the quarter is the fiscal quarter
holding it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from revops.engines import forecast as forecast_engine
from revops.engines.deals.hygiene import HygieneRequest, check_hygiene
from revops.reports.context import ReportContext, end_of_day
from revops.reports.definitions import define
from revops.reports.html import Page, charts, heading, note, table, text, tiles
from revops.reports.risk import at_risk_deals
from revops.reports.svg import bar_chart

FORECAST_KEYS = ("closed_won", "commit", "best_case", "pipeline", "weighted", "p10", "p50", "p90")
FLOW_KEYS = ("start", "new", "pulled_in", "increased", "pushed_out", "decreased", "won", "lost", "end")
TEAM_METRICS = ["pipeline_created", "open_pipeline", "pipeline_coverage", "won_amount", "win_rate",
                "sales_cycle_days"]
TOP_DEALS = 10


def build(ctx: ReportContext) -> str:
    day = ctx.as_of
    label, q_start, q_end = ctx.quarter_of(day)
    page = Page(ctx.model, f"Weekly sales dashboard — week ending {day.isoformat()}",
                f"{ctx.model.company.name} · as of the end of {day.isoformat()} · quarter {label} "
                f"({q_start} to {q_end}) · {ctx.request.filters_text()}")
    _pipeline_created(page, ctx)
    _quarter(page, ctx, label, q_start, q_end)
    world = forecast_engine.load_world(ctx.con, ctx.model)
    _forecast(page, ctx, label, world)
    _flow(page, ctx, label, world)
    _at_risk(page, ctx)
    _by_team(page, ctx, q_start, q_end)
    return page.render()


def weeks(day) -> list[tuple[Any, Any]]:
    """(first, last) day of this week and the four before it, this week first."""
    return [(day - timedelta(days=7 * i + 6), day - timedelta(days=7 * i)) for i in range(5)]


def _pipeline_created(page: Page, ctx: ReportContext) -> None:
    spans = weeks(ctx.as_of)
    created = [ctx.values(["pipeline_created"], start=a, end=b).get("pipeline_created") or 0.0 for a, b in spans]
    this, last = created[0], created[1]
    avg4 = ctx.values(["pipeline_created"], start=spans[4][0], end=spans[1][1]).get("pipeline_created") or 0.0
    page.define("pipeline_created.4_week_average",
                "pipeline_created over the four weeks before this one, divided by 4.",
                "metrics layer (`revops metrics pipeline_created --from --to`) / 4")
    chart = bar_chart([(f"{b:%m-%d}", v) for (a, b), v in reversed(list(zip(spans, created)))],
                      title="Pipeline created per week (week ending)", fmt=page.metric_fmt("pipeline_created"))
    page.section(
        "Pipeline created",
        tiles([("This week", page.metric("pipeline_created", this)),
               ("Last week", page.metric("pipeline_created", last)),
               ("4-week average", page.number("pipeline_created.4_week_average", avg4 / 4))]),
        note(f"This week: {spans[0][0]} to {spans[0][1]}; last week: {spans[1][0]} to {spans[1][1]}; the 4-week "
             f"average: {spans[4][0]} to {spans[1][1]}."),
        charts(chart))


def _quarter(page: Page, ctx: ReportContext, label: str, start, end) -> None:
    v = ctx.values(["open_pipeline", "weighted_pipeline", "quota", "won_amount", "pipeline_coverage",
                    "quota_attainment"], period="quarter", start=start, end=end)
    page.section(
        f"Quarter {label}: pipeline and coverage",
        tiles([("Open pipeline", page.metric("open_pipeline", v.get("open_pipeline"))),
               ("Weighted pipeline", page.metric("weighted_pipeline", v.get("weighted_pipeline"))),
               ("Won so far", page.metric("won_amount", v.get("won_amount"))),
               ("Quota", page.metric("quota", v.get("quota"))),
               ("Attainment", page.metric("quota_attainment", v.get("quota_attainment"))),
               ("Coverage", page.metric("pipeline_coverage", v.get("pipeline_coverage")))]),
        note("Coverage is blank when the quota is already met." if v.get("pipeline_coverage") is None else ""))


def _forecast(page: Page, ctx: ReportContext, label: str, world: Any) -> None:
    fc = forecast_engine.forecast(ctx.con, ctx.model, period=label, as_of=ctx.as_of, world=world)
    numbers = fc.numbers
    for k in FORECAST_KEYS:
        define(page, f"forecast.{k}")
    blocks = [tiles([(k.replace("_", " ").upper() if k.startswith("p") and k[1:].isdigit() else k.replace("_", " "),
                      page.number(f"forecast.{k}", numbers[k])) for k in FORECAST_KEYS]),
              charts(bar_chart([(k, numbers[k]) for k in ("closed_won", "commit", "best_case", "p10", "p50", "p90")],
                               title=f"Forecast {label}", fmt=page.metric_fmt("won_amount")))]
    if ctx.request.where:
        blocks.append(note("The forecast is the whole company's: the forecast engine does not filter by team or "
                           "segment."))
    blocks += [note(w) for w in fc.warnings]
    page.section(f"Forecast {label} as of {fc.as_of}", *blocks)


def _flow(page: Page, ctx: ReportContext, label: str, world: Any) -> None:
    first, last = weeks(ctx.as_of)[0]
    by_team = forecast_engine.pipeline_flow(ctx.con, ctx.model, start=first, end=last, period=label, by="team",
                                            world=world)
    if ctx.request.team:
        flow = next((r for r in by_team if r["team"] == ctx.request.team), {k: 0.0 for k in FLOW_KEYS})
    else:
        flow = forecast_engine.pipeline_flow(ctx.con, ctx.model, start=first, end=last, period=label, world=world)
    for k in FLOW_KEYS:
        define(page, f"flow.{k}")
    signs = {"pushed_out": -1, "decreased": -1, "won": -1, "lost": -1}
    chart = bar_chart([(k.replace("_", " "), signs.get(k, 1) * flow[k]) for k in FLOW_KEYS],
                      title=f"Pipeline flow {first:%m-%d} to {last:%m-%d}, deals closing in {label}",
                      fmt=page.metric_fmt("open_pipeline"))
    rows = [[text(r["team"]), *[page.number(f"flow.{k}", r[k]) for k in FLOW_KEYS]] for r in by_team]
    blocks = [tiles([(k.replace("_", " "), page.number(f"flow.{k}", flow[k])) for k in FLOW_KEYS]), charts(chart)]
    if not ctx.request.team:
        blocks += [heading("By team"), table(["team", *[k.replace("_", " ") for k in FLOW_KEYS]], rows)]
    if ctx.request.segment:
        blocks.append(note("Pipeline flow is by owner or team only: the segment filter does not apply here."))
    page.section(f"Pipeline flow of the week ({first} to {last})", *blocks)


def _at_risk(page: Page, ctx: ReportContext) -> None:
    report = check_hygiene(ctx.con, ctx.model, HygieneRequest(as_of=end_of_day(ctx.as_of), owners=ctx.team_owners()))
    top, flagged = at_risk_deals(report, ctx.model, TOP_DEALS)
    define(page, "hygiene.deals_at_risk")
    define(page, "hygiene.amount_at_risk")
    names = ctx.user_names()
    rows = [[text(d["opportunity_id"]), text(names.get(d["owner_id"], d["owner_id"])), text(d["stage"]),
             page.metric("open_pipeline", d["amount"]), text(d["why"])] for d in flagged]
    blocks = [tiles([("Deals at risk", page.number("hygiene.deals_at_risk", top.deals, "count")),
                     ("Amount at risk", page.number("hygiene.amount_at_risk", top.amount))]),
              note(top.text),
              heading(f"The {len(rows)} largest deals at risk"),
              table(["deal", "owner", "stage", "amount", "why"], rows, numeric={3})]
    if ctx.request.segment:
        blocks.append(note("Hygiene is by owner: the segment filter does not apply here."))
    page.section("Deals at risk", *blocks)


def _by_team(page: Page, ctx: ReportContext, start, end) -> None:
    frame = ctx.compute(TEAM_METRICS, by=["team"], period="quarter", start=start, end=end)
    teams = sorted({t for t in frame["team"] if t is not None})
    cell = {(r["team"], r["metric"]): r["value"] for _, r in frame.iterrows()}
    rows = [[text(t), *[page.metric(m, cell.get((t, m))) for m in TEAM_METRICS]] for t in teams]
    total = ctx.values(TEAM_METRICS, period="quarter", start=start, end=end)
    rows.append(["<strong>all</strong>", *[page.metric(m, total.get(m)) for m in TEAM_METRICS]])
    page.section("Win rate and cycle by team (quarter to date)",
                 table(["team", "created", "open pipeline", "coverage", "won", "win rate", "cycle"], rows))
