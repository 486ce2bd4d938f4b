"""The quarterly board metrics (executive team, board): ARR and its bridge, NRR and GRR,
logo churn, CAC payback, LTV:CAC, the magic number, bookings against plan, next quarter's
pipeline coverage and the forecast's accuracy history, each with its trend over the last
eight quarters as a small chart.

The quarter is ``--period`` (2026-Q1), else the last fiscal quarter ended by the as-of day.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from revops.engines import forecast as forecast_engine
from revops.engines.forecast.backtest import summarise
from revops.engines.revenue.bridge import BRIDGE_COLUMNS, mrr_bridge
from revops.reports.context import ReportContext, ReportError, number
from revops.reports.definitions import define
from revops.reports.html import Page, charts, heading, note, table, text, tiles
from revops.reports.svg import bar_chart, line_chart

QUARTERS = 8
TREND = ["arr", "nrr", "grr", "logo_churn_rate", "cac_payback_months", "ltv_to_cac", "magic_number",
         "won_amount", "quota", "quota_attainment"]
BACKTEST_WEEK = 4


def quarter_bounds(ctx: ReportContext) -> tuple[str, date, date]:
    period = ctx.request.period
    if period:
        if not re.fullmatch(r"\d{4}-Q[1-4]", period):
            raise ReportError(f"--period {period!r}: the board report is of a fiscal quarter, e.g. 2026-Q1")
        first = ctx.calendar.label_start(period, "quarter")
    else:
        label, first, last = ctx.quarter_of(ctx.as_of)
        if last > ctx.as_of:
            first = ctx.calendar.period_start(first - timedelta(days=1), "quarter")
    if first > ctx.as_of:
        raise ReportError(f"--period {period}: starts after the as-of day {ctx.as_of}")
    return ctx.calendar.label(first, "quarter"), first, ctx.calendar.period_end(first, "quarter")


def build(ctx: ReportContext) -> str:
    label, first, last = quarter_bounds(ctx)
    trend_from = first
    for _ in range(QUARTERS - 1):
        trend_from = ctx.calendar.period_start(trend_from - timedelta(days=1), "quarter")
    page = Page(ctx.model, f"Board metrics — {label}",
                f"{ctx.model.company.name} · {first} to {last}, as the data stood at the end of {ctx.as_of} · "
                f"trends over the {QUARTERS} quarters from {trend_from} · {ctx.request.filters_text()}")
    frame = ctx.compute(TREND, period="quarter", start=trend_from, end=last)
    series = {m: [(str(r["period"]), number(r["value"])) for _, r in frame[frame["metric"] == m].iterrows()]
              for m in TREND}
    now = {m: (dict(series[m]).get(label)) for m in TREND}
    _arr(page, ctx, label, trend_from, last, series, now)
    _retention(page, series, now)
    _efficiency(page, series, now)
    _bookings(page, ctx, label, last, series, now)
    _accuracy(page, ctx, label)
    return page.render()


def _trend(page: Page, series, metric: str, title: str, kind: str = "line", reference: float | None = None) -> str:
    if kind == "bar":
        return bar_chart(series[metric], title=title, fmt=page.metric_fmt(metric))
    return line_chart(series[metric], title=title, fmt=page.metric_fmt(metric), reference=reference)


def _arr(page: Page, ctx: ReportContext, label, trend_from, last, series, now) -> None:
    bridge = mrr_bridge(ctx.session, period="quarter", start=trend_from, end=last, where=ctx.request.where)
    for k in BRIDGE_COLUMNS:
        define(page, f"bridge.{k}")
    row = bridge[bridge["period"] == label]
    row = row.iloc[0] if len(row) else None
    rows = [[text(r["period"]), *[page.number(f"bridge.{k}", r[k]) for k in BRIDGE_COLUMNS]]
            for _, r in bridge.iterrows()]
    page.section(f"ARR and the revenue bridge, {label}",
                 tiles([("ARR", page.metric("arr", now["arr"])),
                        *[(k.replace("_", " ") + " (MRR)", page.number(f"bridge.{k}", None if row is None else row[k]))
                          for k in BRIDGE_COLUMNS]]),
                 charts(_trend(page, series, "arr", "ARR by quarter end", "bar"),
                        bar_chart([(k.replace("_mrr", "")[:8], None if row is None else float(row[k]))
                                   for k in BRIDGE_COLUMNS], title=f"MRR bridge {label}", fmt=page.metric_fmt("mrr"))),
                 heading("MRR bridge by quarter"),
                 table(["quarter", *[k.replace("_", " ") for k in BRIDGE_COLUMNS]], rows))


def _retention(page: Page, series, now) -> None:
    page.section("Retention",
                 tiles([("NRR", page.metric("nrr", now["nrr"])), ("GRR", page.metric("grr", now["grr"])),
                        ("Logo churn", page.metric("logo_churn_rate", now["logo_churn_rate"]))]),
                 note("Each over the quarter: MRR at its end of the accounts paying at its start."),
                 charts(_trend(page, series, "nrr", "NRR by quarter", reference=1.0),
                        _trend(page, series, "grr", "GRR by quarter", reference=1.0),
                        _trend(page, series, "logo_churn_rate", "Logo churn by quarter")))


def _efficiency(page: Page, series, now) -> None:
    page.section("Unit economics",
                 tiles([("CAC payback", page.metric("cac_payback_months", now["cac_payback_months"])),
                        ("LTV:CAC", page.metric("ltv_to_cac", now["ltv_to_cac"])),
                        ("Magic number", page.metric("magic_number", now["magic_number"]))]),
                 charts(_trend(page, series, "cac_payback_months", "CAC payback (months)"),
                        _trend(page, series, "ltv_to_cac", "LTV:CAC", reference=3.0),
                        _trend(page, series, "magic_number", "Magic number", reference=0.75)))


def _bookings(page: Page, ctx: ReportContext, label, last, series, now) -> None:
    nxt_first = last + timedelta(days=1)
    nxt_label = ctx.calendar.label(nxt_first, "quarter")
    nxt = ctx.values(["open_pipeline", "quota", "pipeline_coverage"], period="quarter", start=nxt_first,
                     end=ctx.calendar.period_end(nxt_first, "quarter"))
    quota = dict(series["quota"])
    rows = [[text(p), page.metric("won_amount", w), page.metric("quota", quota.get(p)),
             page.metric("quota_attainment", dict(series["quota_attainment"]).get(p))] for p, w in series["won_amount"]]
    page.section("Bookings against plan",
                 tiles([("Bookings", page.metric("won_amount", now["won_amount"])),
                        ("Plan (quota)", page.metric("quota", now["quota"])),
                        ("Attainment", page.metric("quota_attainment", now["quota_attainment"])),
                        (f"Open pipeline {nxt_label}", page.metric("open_pipeline", nxt.get("open_pipeline"))),
                        (f"Quota {nxt_label}", page.metric("quota", nxt.get("quota"))),
                        (f"Coverage {nxt_label}", page.metric("pipeline_coverage", nxt.get("pipeline_coverage")))]),
                 charts(_trend(page, series, "won_amount", "Bookings by quarter", "bar"),
                        _trend(page, series, "quota_attainment", "Attainment by quarter", reference=1.0)),
                 table(["quarter", "bookings", "plan", "attainment"], rows),
                 note(f"Coverage of {nxt_label}: its open pipeline as of {ctx.as_of} over the quota still to close (blank when met)."))


def _accuracy(page: Page, ctx: ReportContext, label: str) -> None:
    request = forecast_engine.BacktestRequest(quarters=QUARTERS, weeks=(BACKTEST_WEEK,), last=label)
    try:
        rows = forecast_engine.backtest(ctx.con, ctx.model, request)
    except ReportError:
        raise
    except Exception as exc:  # too little history: say so in the report rather than fail it
        page.section("Forecast accuracy", note(f"No backtest: {exc}"))
        return
    for k in ("backtest.p50", "backtest.actual", "backtest.mape", "backtest.coverage"):
        define(page, k)
    summary = summarise(rows)[0] if rows else {}
    table_rows = [[text(r["period"]), text(r["as_of"]), page.number("backtest.p50", r["p50"]),
                   page.number("backtest.actual", r["actual"])] for r in rows]
    page.section(f"Forecast accuracy: P50 at week {BACKTEST_WEEK} against the actual",
                 tiles([("MAPE of the P50", page.number("backtest.mape", summary.get("mape_p50"), "percent")),
                        ("Actual inside P10-P90", page.number("backtest.coverage", summary.get("p10_p90_coverage"), "percent"))]),
                 charts(line_chart([(r["period"], r["p50"]) for r in rows], title="P50 at week 4",
                                   fmt=page.metric_fmt("won_amount")),
                        bar_chart([(r["period"], r["actual"]) for r in rows], title="Actual bookings",
                                  fmt=page.metric_fmt("won_amount"))),
                 table(["quarter", "forecast as of", "P50", "actual"], table_rows),
                 note("The forecast is the whole company's." if ctx.request.where else ""))
