"""Data quality: hygiene findings by owner and severity (with each owner's data-quality
score), field completeness by stage, and the rows quarantined at ingest by table and reason."""

from __future__ import annotations

from collections import Counter
from typing import Any

from revops.dashboard import charts
from revops.dashboard.answers import hygiene
from revops.dashboard.html import cards, chart, charts as chart_row, note, section, table, text
from revops.engines.deals.scorecard import completeness, rep_scores

KEY = NAV = "quality"
TITLE = "Data quality"
SEVERITIES = ("critical", "warning", "info")
OWNER_ROWS = 60


def build(ctx: Any) -> tuple[str, str]:
    f = ctx.figures
    report = hygiene(ctx)
    open_ids = set(report.deals.filter(report.deals["is_open"])["opportunity_id"].to_pylist())
    by_severity = Counter(x["severity"] for x in report.findings if x["opportunity_id"] in open_ids)
    by_rule = Counter(x["rule"] for x in report.findings if x["opportunity_id"] in open_ids)
    labels = {r.key: r.label or r.key for r in ctx.model.hygiene.rules}
    body = section("Hygiene findings on open deals",
                   cards([("Open deals checked", f.number("hygiene.open_deals", len(open_ids), "count"))]
                         + [(s.title(), f.number("hygiene.findings", by_severity.get(s, 0), "count"))
                            for s in SEVERITIES]),
                   chart_row(chart("quality-rules", charts.bar(
                       [(labels.get(k, k), float(n)) for k, n in by_rule.most_common()], "Findings by rule",
                       horizontal=True, color=charts.PALETTE[3]))),
                   *[note(f"{s.label or s.key}: {s.note}") for s in report.rules if not s.checked])
    scores = rep_scores(report, ctx.model, ctx.user_names())
    cells = [[text(ctx.owner_label(r["owner_id"])), f.number("hygiene.open_deals", r["open_deals"], "count"),
              *[f"<span class=\"sev-{s}\">{f.number('hygiene.findings', r[s], 'count')}</span>" for s in SEVERITIES],
              f.number("hygiene.data_quality_score", r["data_quality_score"], "count"),
              f.number("hygiene.completeness", r["completeness"], "count")] for r in scores[:OWNER_ROWS]]
    attrs = [f' data-owner="{text(r["owner_id"])}"' for r in scores[:OWNER_ROWS]]
    body += section("By owner (the lowest data-quality score first)",
                    table(["owner", "open deals", "critical", "warning", "info", "score (0-100)", "completeness"],
                          cells, ident="owners", row_attrs=attrs, empty="no open deal"))
    fields = completeness(report, ctx.model)
    fcells = [[text(r["stage"]), text(r["field"]), "yes" if r["required"] else "", text(r["deals"]),
               f.number("hygiene.completeness", r["completeness"], "count")] for r in fields if r["deals"]]
    body += section("Field completeness by stage", table(["stage", "field", "required", "deals", "filled %"], fcells,
                                                         numeric={3, 4}, ident="completeness"))
    body += _quarantine(ctx)
    return body, f"Open deals as of the end of {ctx.day} · rules of revops.yaml's hygiene section"


def _quarantine(ctx: Any) -> str:
    f = ctx.figures
    if ctx.view.owners is not None:
        return section("Quarantine", note("Rows quarantined at ingest belong to no owner: an admin or ops key "
                                          "sees them."))
    try:
        rows = ctx.shared("quarantine", lambda: ctx.sql(
            "SELECT table_name, reason, count(*) AS n FROM _quarantine GROUP BY ALL ORDER BY n DESC, table_name, reason"))
    except Exception:
        rows = []
    total = sum(r["n"] for r in rows)
    cells = [[text(r["table_name"]), text(r["reason"]), f.number("quarantine.rows", r["n"], "count")] for r in rows[:100]]
    return section("Quarantine", cards([("Rows quarantined", f.number("quarantine.rows", total, "count"))]),
                   table(["table", "reason", "rows"], cells, numeric={2}, ident="quarantine",
                         empty="nothing quarantined"))
