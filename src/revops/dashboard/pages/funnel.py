"""Funnel: lead → MQL → SQL → opportunity → won, counted in the period and month by month,
with the conversion between steps; then stage-to-stage conversion and time in stage."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from revops.dashboard import charts
from revops.dashboard.html import cards, chart, charts as chart_row, note, section, table, text
from revops.dashboard.pages.home import STAGES, stage_order

KEY = NAV = "funnel"
TITLE = "Funnel"
STEPS = [("Leads", "lead_count"), ("MQL", "mql_count"), ("SQL", "sql_count"),
         ("Opportunities (amount created)", "pipeline_created"), ("Won", "won_count")]
RATES = [("MQL → SQL", "mql_to_sql_rate"), ("SQL → opportunity", "sql_to_opportunity_rate"),
         ("Opportunity → won (win rate)", "win_rate"), ("Lead → customer", "lead_to_customer_rate")]
MONTHS = 6


def build(ctx: Any) -> tuple[str, str]:
    view, f = ctx.view, ctx.figures
    p = view.period
    link = {"period": p.label}
    counts = [m for _, m in STEPS]
    rates = [m for _, m in RATES]
    v = f.values(counts + rates, period=p.grain, start=p.start, end=p.end)
    trend_end = min(p.end, ctx.day)
    trend_from = trend_end.replace(day=1)
    for _ in range(MONTHS - 1):
        trend_from = (trend_from - timedelta(days=1)).replace(day=1)
    series = f.series(counts + rates, "month", trend_from, trend_end)
    months = [label for label, _ in series["lead_count"]]
    body = section(
        f"Funnel of {p.label}",
        cards([(label, f.metric(m, v[m], **link)) for label, m in STEPS]
              + [(label, f.metric(m, v[m], **link)) for label, m in RATES]),
        chart_row(chart("funnel-steps", charts.funnel([(label.split(" ")[0], v[m]) for label, m in STEPS
                                                       if m != "pipeline_created"], f"Funnel of {p.label} (counts)")),
                  chart("funnel-rates", charts.lines({label: series[m] for label, m in RATES},
                                                     "Conversion, month by month", percent=True))),
        note("Each step is counted by its own date (leads by created_at, MQLs by mql_at, SQLs by sql_at, won deals "
             "by close date); opportunities are shown as the amount created (pipeline_created)."))
    rows = []
    for i, month in enumerate(months):
        rows.append([text(month), *[f.metric(m, series[m][i][1] if i < len(series[m]) else None, period=month)
                                    for m in counts + rates]])
    body += section("Month by month", table(["month", "leads", "MQL", "SQL", "pipeline created", "won",
                                             "MQL→SQL", "SQL→opp", "win rate", "lead→customer"], rows, ident="funnel-months"))
    order = stage_order(ctx.model)
    conv = f.by(STAGES, "stage", start=p.start, end=p.end)
    stage_rows = [[text(s), f.metric("stage_conversion_rate", conv.get((s, "stage_conversion_rate")), **link),
                   f.metric("time_in_stage_days", conv.get((s, "time_in_stage_days")), **link)] for s in order]
    body += section(
        "Stage to stage",
        chart_row(chart("funnel-stage-conversion", charts.bar([(s, conv.get((s, "stage_conversion_rate"))) for s in order],
                                                               "Share of deals leaving a stage that moved forward",
                                                               percent=True)),
                  chart("funnel-time-in-stage", charts.bar([(s, conv.get((s, "time_in_stage_days"))) for s in order],
                                                            "Days in stage before moving on", color=charts.PALETTE[2]))),
        table(["stage", "conversion to the next stage", "days in stage"], stage_rows, ident="stages"))
    return body, f"{p.label} ({p.start} to {p.end}) and the {MONTHS} months to its end · as of the end of {ctx.day}"
