"""Customers: the MRR bridge month by month, NRR and GRR over the trailing 12 months, and the
customers' health bands with the accounts at risk."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from revops.dashboard import charts
from revops.dashboard.answers import health
from revops.dashboard.html import cards, chart, charts as chart_row, note, section, table, text
from revops.engines.revenue.bridge import BRIDGE_COLUMNS, mrr_bridge
from revops.engines.revenue.retention import trailing_retention
from revops.api.shared_metrics import exclusive
from revops.errors import MetricError
from revops.reports.context import number

KEY = NAV = "customers"
TITLE = "Customers"
HEADLINE = [("MRR", "mrr"), ("ARR", "arr"), ("New MRR", "new_mrr"), ("Expansion MRR", "expansion_mrr"),
            ("Churned MRR", "churned_mrr"), ("Logo churn", "logo_churn_rate")]
MONTHS = 6
AT_RISK_ROWS = 25


def build(ctx: Any) -> tuple[str, str]:
    view, f = ctx.view, ctx.figures
    p = view.period
    end = min(p.end, ctx.day)
    first = end.replace(day=1)
    for _ in range(MONTHS - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    link = {"period": p.label}
    v = f.values([m for _, m in HEADLINE], period=p.grain, start=p.start, end=p.end)
    body = section(f"Recurring revenue, {p.label}", cards([(label, f.metric(m, v[m], **link)) for label, m in HEADLINE]))
    body += _bridge(ctx, first, end)
    body += _retention(ctx, first, end)
    body += _health(ctx)
    return body, f"{p.label} and the {MONTHS} months to {end} · health as of {ctx.day}"


def _bridge(ctx: Any, first: Any, end: Any) -> str:
    f = ctx.figures
    try:
        with exclusive(f.session) as session:
            bridge = mrr_bridge(session, period="month", start=first, end=end, where=ctx.view.where)
    except MetricError as exc:
        return section("MRR bridge", note(f"Not available with these filters: {exc}"))
    rows = bridge.to_dict("records")
    cells = [[text(r["period"]), *[f.number(f"bridge.{k}", r[k], period=str(r["period"])) for k in BRIDGE_COLUMNS]]
             for r in rows]
    last = rows[-1] if rows else None
    steps = []
    if last is not None:
        steps = [("opening", number(last["opening_mrr"]), "absolute")]
        steps += [(k.replace("_mrr", ""), number(last[k]), "relative") for k in BRIDGE_COLUMNS[1:-1]]
        steps.append(("MRR", number(last["mrr"]), "total"))
    return section("MRR bridge",
                   chart_row(chart("customers-bridge", charts.waterfall(
                       steps, f"MRR bridge {last['period'] if last else ''}"))),
                   table(["month", *[k.replace("_", " ") for k in BRIDGE_COLUMNS]], cells, ident="bridge"))


def _retention(ctx: Any, first: Any, end: Any) -> str:
    f = ctx.figures
    try:
        with exclusive(f.session) as session:
            ret = trailing_retention(session, start=first, end=end, where=ctx.view.where)
    except MetricError as exc:
        return section("Retention", note(f"Not available with these filters: {exc}"))
    rows = ret.to_dict("records")
    last = rows[-1] if rows else {}
    link = {"period": str(last.get("period", ""))}
    return section("Retention over the trailing 12 months",
                   cards([("NRR", f.metric("nrr", number(last.get("nrr")), **link)),
                          ("GRR", f.metric("grr", number(last.get("grr")), **link)),
                          ("Logo churn (12 months)", f.metric("logo_churn_rate", number(last.get("logo_churn_rate")),
                                                              **link))]),
                   chart_row(chart("customers-retention", charts.lines(
                       {"NRR": [(str(r["period"]), number(r["nrr"])) for r in rows],
                        "GRR": [(str(r["period"]), number(r["grr"])) for r in rows]},
                       "NRR and GRR, trailing 12 months", percent=True, reference=1.0))))


def _health(ctx: Any) -> str:
    f = ctx.figures
    rows = health(ctx)
    bands = [b.key for b in ctx.model.health.bands]
    counts = Counter(r["band"] for r in rows)
    risky = sorted((r for r in rows if r["at_risk"]), key=lambda r: (r["score"] if r["score"] is not None else 0,
                                                                    str(r["account_id"])))
    cells = [[text(r["account_name"] or r["account_id"]), text(ctx.owner_label(r["owner_id"])),
              f.number("health.score", r["score"], "count"), text(r["band"]), text(r["trend"]),
              text(r["reasons"])] for r in risky[:AT_RISK_ROWS]]
    attrs = [f' data-owner="{text(r["owner_id"])}"' for r in risky[:AT_RISK_ROWS]]
    return section(f"Customer health on {ctx.day}",
                   cards([(b, f.number("health.accounts", counts.get(b, 0), "count")) for b in bands]
                         + [("At risk", f.number("health.accounts", len(risky), "count"))]),
                   chart_row(chart("customers-health", charts.bar([(b, float(counts.get(b, 0))) for b in bands],
                                                                  "Accounts by health band"))),
                   table(["account", "owner", "score", "band", "trend", "why"], cells, numeric={2},
                         ident="accounts-at-risk", row_attrs=attrs, empty="no account at risk"),
                   note("Health is by account owner: the team and owner filters and your view apply, the segment "
                        "filter does not." if ctx.view.filters.segment else ""))
