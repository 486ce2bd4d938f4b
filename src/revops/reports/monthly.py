"""The monthly GTM review (GTM leadership): the funnel with its conversion rates, speed to
lead and SLA attainment, pipeline by source, bookings against quota, the MRR bridge of the
month, NRR and GRR, CAC and payback, churn and the customers' health bands.

The month is ``--period`` (2026-04), else the last month ended by the as-of day.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, timedelta

from revops.engines.health.score import HealthRequest, score_accounts
from revops.engines.revenue.bridge import BRIDGE_COLUMNS, mrr_bridge
from revops.engines.revenue.retention import trailing_retention
from revops.reports.context import ReportContext, ReportError, number
from revops.reports.definitions import define
from revops.reports.html import Page, charts, heading, note, table, text, tiles
from revops.reports.svg import bar_chart, line_chart

FUNNEL = ["lead_count", "mql_count", "sql_count", "won_count"]
RATES = ["mql_to_sql_rate", "sql_to_opportunity_rate", "win_rate", "lead_to_customer_rate"]
SPEED = ["speed_to_lead_minutes", "speed_to_lead_p90_minutes", "first_contact_sla_breach_rate",
         "sla_attainment_rate", "sla_breaches", "sla_open_breaches"]
BOOKINGS = ["won_amount", "quota", "quota_attainment", "won_count", "avg_deal_size", "sales_cycle_days"]
EFFICIENCY = ["sm_spend", "new_customers", "cac", "cac_payback_months"]
CHURN = ["logo_churn_rate", "churned_mrr", "contraction_mrr"]


def month_bounds(ctx: ReportContext) -> tuple[str, date, date]:
    """(label, first day, last day) of the report's month."""
    period = ctx.request.period
    if period:
        if not re.fullmatch(r"\d{4}-\d{2}", period) or not 1 <= int(period[5:]) <= 12:
            raise ReportError(f"--period {period!r}: the monthly review is of a month, e.g. 2026-04")
        first = date(int(period[:4]), int(period[5:]), 1)
    else:
        day = ctx.as_of + timedelta(days=1)  # the month ending on the as-of day counts as ended
        first = (day.replace(day=1) - timedelta(days=1)).replace(day=1)
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    if first > ctx.as_of:
        raise ReportError(f"--period {first:%Y-%m} starts after the as-of day {ctx.as_of}")
    return f"{first:%Y-%m}", first, last


def _months_back(first: date, n: int) -> date:
    y, m = first.year, first.month - n
    while m < 1:
        y, m = y - 1, m + 12
    return date(y, m, 1)


def build(ctx: ReportContext) -> str:
    label, first, last = month_bounds(ctx)
    page = Page(ctx.model, f"Monthly GTM review — {label}",
                f"{ctx.model.company.name} · {first} to {last}, as the data stood at the end of {ctx.as_of} · "
                f"{ctx.request.filters_text()}")
    trend_from = _months_back(first, 5)
    _funnel(page, ctx, first, last, trend_from)
    _speed(page, ctx, first, last, trend_from)
    _sources(page, ctx, first, last)
    _bookings(page, ctx, first, last, trend_from)
    _revenue(page, ctx, label, first, last)
    _efficiency(page, ctx, first, last, trend_from)
    _health(page, ctx, last)
    return page.render()


def _month(ctx: ReportContext, names: list[str], first: date, last: date) -> dict:
    return ctx.values(names, period="month", start=first, end=last)


def _funnel(page: Page, ctx: ReportContext, first, last, trend_from) -> None:
    v = _month(ctx, FUNNEL + RATES + ["pipeline_created"], first, last)
    steps = [("Leads", "lead_count"), ("MQL", "mql_count"), ("SQL", "sql_count"),
             ("Opportunities (amount created)", "pipeline_created"), ("Won", "won_count")]
    rows = [[text(label), page.metric(m, v.get(m))] for label, m in steps]
    rate_rows = [[text(label), page.metric(m, v.get(m))] for label, m in
                 [("MQL → SQL", "mql_to_sql_rate"), ("SQL → opportunity", "sql_to_opportunity_rate"),
                  ("Opportunity → won (win rate)", "win_rate"), ("Lead → customer", "lead_to_customer_rate")]]
    chart = bar_chart([(label.split(" ")[0], v.get(m)) for label, m in steps if m != "pipeline_created"],
                      title="Funnel of the month (counts)", fmt=page.metric_fmt("lead_count"))
    trend = line_chart(ctx.series("mql_to_sql_rate", "month", trend_from, last), title="MQL → SQL, 6 months",
                       fmt=page.metric_fmt("mql_to_sql_rate"))
    page.section("Funnel", table(["step", "in the month"], rows), heading("Conversion"),
                 table(["conversion", "rate"], rate_rows), charts(chart, trend),
                 note("Each step is counted by its own date (leads by created_at, MQLs by mql_at, SQLs by sql_at, "
                      "won deals by close_date); the metrics layer has no count of opportunities created, so "
                      "opportunities are shown as the amount created (pipeline_created)."))


def _speed(page: Page, ctx: ReportContext, first, last, trend_from) -> None:
    v = _month(ctx, SPEED, first, last)
    trend = line_chart(ctx.series("sla_attainment_rate", "month", trend_from, last),
                       title="SLA attainment, 6 months", fmt=page.metric_fmt("sla_attainment_rate"))
    page.section("Speed to lead and SLAs",
                 tiles([("Speed to lead (median)", page.metric("speed_to_lead_minutes", v.get("speed_to_lead_minutes"))),
                        ("Speed to lead (P90)", page.metric("speed_to_lead_p90_minutes", v.get("speed_to_lead_p90_minutes"))),
                        ("First-contact SLA breached", page.metric("first_contact_sla_breach_rate", v.get("first_contact_sla_breach_rate"))),
                        ("SLA attainment (all SLAs)", page.metric("sla_attainment_rate", v.get("sla_attainment_rate"))),
                        ("SLA breaches", page.metric("sla_breaches", v.get("sla_breaches"))),
                        ("Still open", page.metric("sla_open_breaches", v.get("sla_open_breaches")))]),
                 charts(trend))


def _sources(page: Page, ctx: ReportContext, first, last) -> None:
    frame = ctx.compute(["pipeline_created", "won_amount", "win_rate"], by=["source"], period="month",
                        start=first, end=last)
    cell = {(r["source"], r["metric"]): r["value"] for _, r in frame.iterrows()}
    sources = sorted({s for s in frame["source"]}, key=lambda s: -(cell.get((s, "pipeline_created")) or 0.0))
    rows = [[text(s if s is not None else "(none)"), *[page.metric(m, cell.get((s, m)))
                                                      for m in ("pipeline_created", "won_amount", "win_rate")]]
            for s in sources]
    chart = bar_chart([(str(s)[:10], cell.get((s, "pipeline_created"))) for s in sources[:8]],
                      title="Pipeline created by source", fmt=page.metric_fmt("pipeline_created"))
    page.section("Pipeline by source", table(["source", "pipeline created", "won", "win rate"], rows), charts(chart))


def _bookings(page: Page, ctx: ReportContext, first, last, trend_from) -> None:
    v = _month(ctx, BOOKINGS, first, last)
    won = ctx.series("won_amount", "month", trend_from, last)
    quota = dict(ctx.series("quota", "month", trend_from, last))
    rows = [[text(p), page.metric("won_amount", w), page.metric("quota", quota.get(p))] for p, w in won]
    page.section("Bookings against quota",
                 tiles([("Bookings", page.metric("won_amount", v.get("won_amount"))),
                        ("Quota", page.metric("quota", v.get("quota"))),
                        ("Attainment", page.metric("quota_attainment", v.get("quota_attainment"))),
                        ("Deals won", page.metric("won_count", v.get("won_count"))),
                        ("Average deal", page.metric("avg_deal_size", v.get("avg_deal_size"))),
                        ("Sales cycle", page.metric("sales_cycle_days", v.get("sales_cycle_days")))]),
                 charts(bar_chart(won, title="Bookings, 6 months", fmt=page.metric_fmt("won_amount"))),
                 table(["month", "bookings", "quota"], rows))


def _revenue(page: Page, ctx: ReportContext, label, first, last) -> None:
    bridge = mrr_bridge(ctx.session, period="month", start=first, end=last, where=ctx.request.where)
    row = bridge[bridge["period"] == label].iloc[0] if len(bridge) else None
    keys = [c for c in BRIDGE_COLUMNS]
    for k in keys:
        define(page, f"bridge.{'opening_mrr' if k == 'opening_mrr' else k}")
    cells = [(k.replace("_", " "), page.number(f"bridge.{k}", None if row is None else row[k])) for k in keys]
    chart = bar_chart([(k.replace("_mrr", "")[:8], None if row is None else float(row[k])) for k in keys],
                      title=f"MRR bridge {label}", fmt=page.metric_fmt("mrr"))
    retention = trailing_retention(ctx.session, start=_months_back(first, 5), end=last, where=ctx.request.where)
    ret = retention.iloc[-1] if len(retention) else None
    for k in ("nrr", "grr", "logo_churn_rate"):
        page.define_metric(k)
    nrr_chart = line_chart([(str(r["period"]), number(r["nrr"])) for _, r in retention.iterrows()],
                           title="NRR, trailing 12 months", fmt=page.metric_fmt("nrr"), reference=1.0)
    grr_chart = line_chart([(str(r["period"]), number(r["grr"])) for _, r in retention.iterrows()],
                           title="GRR, trailing 12 months", fmt=page.metric_fmt("grr"), reference=1.0)
    churn = _month(ctx, CHURN, first, last)
    page.section("Revenue: MRR bridge, retention and churn",
                 tiles(cells), charts(chart),
                 heading("Retention over the 12 months to the month's end"),
                 tiles([("NRR", page.metric("nrr", None if ret is None else number(ret["nrr"]))),
                        ("GRR", page.metric("grr", None if ret is None else number(ret["grr"]))),
                        ("Logo churn (12 months)", page.metric("logo_churn_rate", None if ret is None else number(ret["logo_churn_rate"])))]),
                 charts(nrr_chart, grr_chart),
                 heading("Churn in the month"),
                 tiles([("Logo churn", page.metric("logo_churn_rate", churn.get("logo_churn_rate"))),
                        ("Churned MRR", page.metric("churned_mrr", churn.get("churned_mrr"))),
                        ("Contraction MRR", page.metric("contraction_mrr", churn.get("contraction_mrr")))]))


def _efficiency(page: Page, ctx: ReportContext, first, last, trend_from) -> None:
    v = _month(ctx, EFFICIENCY, first, last)
    trend = bar_chart(ctx.series("cac", "month", trend_from, last), title="CAC, 6 months", fmt=page.metric_fmt("cac"))
    page.section("Acquisition cost",
                 tiles([("S&M spend", page.metric("sm_spend", v.get("sm_spend"))),
                        ("New customers", page.metric("new_customers", v.get("new_customers"))),
                        ("CAC", page.metric("cac", v.get("cac"))),
                        ("CAC payback", page.metric("cac_payback_months", v.get("cac_payback_months")))]),
                 charts(trend))


def _health(page: Page, ctx: ReportContext, last: date) -> None:
    day = min(last, ctx.as_of)
    report = score_accounts(ctx.store.con, ctx.model.health, HealthRequest(day), currency=ctx.model.company.currency)
    define(page, "health.accounts")
    counts = Counter(r["band"] for r in report.rows)
    bands = [b.key for b in ctx.model.health.bands]
    rows = [[text(b), page.number("health.accounts", counts.get(b, 0), "count")] for b in bands]
    at_risk = sum(1 for r in report.rows if r["at_risk"])
    blocks = [table(["band", "accounts"], rows),
              charts(bar_chart([(b, float(counts.get(b, 0))) for b in bands], title=f"Accounts by health band, {day}",
                               fmt=lambda v: f"{v:,.0f}")),
              note(f"{at_risk} account(s) flagged as a churn risk on {day}.")]
    if ctx.request.where:
        blocks.append(note("Health bands are the whole company's: the health engine does not filter by team or segment."))
    page.section("Customer health", *blocks)
