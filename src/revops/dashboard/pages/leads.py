"""Leads & SLAs: speed to lead and SLA attainment, the breach queue (who owns each breached
record, their manager, how late), and the routing log with each decision's path."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from revops.dashboard import charts
from revops.dashboard.answers import breach_queue
from revops.dashboard.html import cards, chart, charts as chart_row, note, section, table, text

KEY = NAV = "leads"
TITLE = "Leads & SLAs"
SPEED = [("Leads", "lead_count"), ("MQLs", "mql_count"), ("Speed to lead (median)", "speed_to_lead_minutes"),
         ("Speed to lead (P90)", "speed_to_lead_p90_minutes"),
         ("First-contact SLA breached", "first_contact_sla_breach_rate"),
         ("SLA attainment (all SLAs)", "sla_attainment_rate"), ("SLA breaches", "sla_breaches"),
         ("Still open", "sla_open_breaches")]
ROUTING = [("Routed to a queue", "routed_to_queue_rate"), ("Fallback", "fallback_rate")]
QUEUE_ROWS = 50
LOG_ROWS = 50


def build(ctx: Any) -> tuple[str, str]:
    view, f = ctx.view, ctx.figures
    p = view.period
    link = {"period": p.label}
    names = [m for _, m in SPEED + ROUTING]
    v = f.values(names, period=p.grain, start=p.start, end=p.end)
    trend_end = min(p.end, ctx.day)
    trend_from = trend_end.replace(day=1)
    for _ in range(5):
        trend_from = (trend_from - timedelta(days=1)).replace(day=1)
    series = f.series(["speed_to_lead_minutes", "speed_to_lead_p90_minutes", "sla_attainment_rate"], "month",
                      trend_from, trend_end)
    body = section(f"Speed to lead and SLAs, {p.label}",
                   cards([(label, f.metric(m, v[m], **link)) for label, m in SPEED + ROUTING]),
                   chart_row(chart("leads-speed", charts.lines({"median": series["speed_to_lead_minutes"],
                                                                "P90": series["speed_to_lead_p90_minutes"]},
                                                               "Speed to lead, business minutes")),
                             chart("leads-sla", charts.lines({"attainment": series["sla_attainment_rate"]},
                                                             "SLA attainment", percent=True, reference=1.0))))
    body += _queue(ctx)
    body += _routing(ctx)
    return body, f"{p.label} ({p.start} to {p.end}) · breaches and routing as of the end of {ctx.day}"


def _queue(ctx: Any) -> str:
    f = ctx.figures
    queue = breach_queue(ctx)
    rows = queue.slice(0, QUEUE_ROWS).to_pylist()
    cells = [[text(r["sla"]), text(r["record_id"]), text(ctx.owner_label(r["owner_id"])), text(r["team"]),
              text(r["manager_name"] or r["manager_id"]), text(r["due_at"]),
              f.number("sla.minutes_late", r["minutes_late"], "minutes"), text(r["fallback"])] for r in rows]
    attrs = [f' data-owner="{text(r["owner_id"])}"' for r in rows]
    return section("SLA breach queue",
                   cards([("Open breaches", f.number("sla.open_breaches", queue.num_rows, "count"))]),
                   table(["SLA", "record", "owner", "team", "manager", "due", "late", "fallback"], cells, numeric={6},
                         ident="breaches", row_attrs=attrs, empty="no open breach"),
                   note(f"The longest overdue first; the first {QUEUE_ROWS} of {queue.num_rows:,} "
                        "(`revops sla breaches --format csv` gives them all)." if queue.num_rows > QUEUE_ROWS else ""))


def _routing(ctx: Any) -> str:
    f = ctx.figures
    view = ctx.view
    sql = ("SELECT decided_at, lead_id, trigger, path, assigned_to, assigned_kind, team, reason "
           "FROM _routing_decisions WHERE decided_at < ?")
    params: list[Any] = [ctx.day + timedelta(days=1)]
    if view.owners is not None:
        sql += " AND assigned_to IN (SELECT unnest(?::VARCHAR[]))"
        params.append(sorted(view.owners))
    try:
        total = ctx.sql(sql.replace("SELECT decided_at, lead_id, trigger, path, assigned_to, assigned_kind, team, "
                                    "reason", "SELECT count(*) AS n"), params)[0]["n"]
        rows = ctx.sql(sql + f" ORDER BY decided_at DESC, decision_id DESC LIMIT {LOG_ROWS}", params)
    except Exception:  # a store the router never wrote to
        total, rows = 0, []
    cells = [[text(r["decided_at"]), text(r["lead_id"]), text(r["trigger"]), text(_path(r["path"])),
              text(ctx.owner_label(r["assigned_to"]) if r["assigned_kind"] == "user" else r["assigned_to"]),
              text(r["team"]), f"<small>{text(r['reason'])}</small>"] for r in rows]
    attrs = [f' data-owner="{text(r["assigned_to"])}"' for r in rows]
    return section("Routing log",
                   cards([("Decisions", f.number("routing.decisions", total, "count"))]),
                   table(["decided", "lead", "trigger", "path", "assigned to", "team", "why"], cells, numeric=set(),
                         ident="routing", row_attrs=attrs, empty="no routing decision recorded"),
                   note("The latest decisions first; the path is the routing graph's nodes from start to the "
                        "assignment (see Definitions for the graph)."))


def _path(raw: Any) -> str:
    try:
        return " → ".join(json.loads(raw)) if isinstance(raw, str) else " → ".join(raw or [])
    except ValueError:
        return str(raw)
