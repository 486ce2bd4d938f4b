"""Workflows: each workflow of revops.yaml with its runs by status, the latest runs step by
step, and the dead-letter queue. Runs act on any record: admin and ops keys see them."""

from __future__ import annotations

from typing import Any

from revops.dashboard.html import cards, note, section, table, text
from revops.orchestration.history import dead_letters, list_runs, list_workflows

KEY = NAV = "workflows"
TITLE = "Workflows"
RUNS = 50


def build(ctx: Any) -> tuple[str, str]:
    if ctx.view.owners is not None:
        return section("Workflows", note("Workflow runs act on any record of the company: an admin or ops key "
                                         "sees them.")), "docs/workflows.md"
    f = ctx.figures
    con = ctx.con.con
    listed = list_workflows(con, ctx.model)
    events = con.execute("SELECT count(*) FROM _events").fetchall()[0][0]
    body = section("Workflows", cards([
        ("Events stored", f.number("workflows.events", events, "count")),
        ("Runs", f.number("workflows.runs", sum(w["runs"] for w in listed), "count")),
        ("Dead steps", f.number("workflows.dead_steps", sum(w["dead_steps"] for w in listed), "count")),
    ]), table(["workflow", "trigger", "steps", "running", "completed", "failed", "dead steps"], [
        [text(w["label"] or w["key"]) + ("" if w["enabled"] else " (off)"), text(w["when"]),
         text(" > ".join(w["actions"])), f.number("workflows.runs", w["running"], "count"),
         f.number("workflows.runs", w["completed"], "count"), f.number("workflows.runs", w["failed"], "count"),
         f.number("workflows.dead_steps", w["dead_steps"], "count")] for w in listed],
        numeric={3, 4, 5, 6}, ident="workflows", empty="revops.yaml has no workflows (docs/workflows.md)"))
    body += section("Latest runs", table(
        ["workflow", "record", "status", "triggered", "finished", "steps"],
        [[text(r["workflow"]), text(f"{r['subject_table']} {r['subject_id']}"), text(r["status"]),
          text(_when(r["triggered_at"])), text(_when(r["finished_at"])),
          text(" > ".join(f"{s['action']}:{s['status']}" for s in r["steps"]))]
         for r in list_runs(con, limit=RUNS)], ident="runs", empty="no run yet"))
    body += section("Dead-letter queue", table(
        ["workflow", "record", "step", "tries", "error"],
        [[text(d["workflow"]), text(f"{d['subject_table']} {d['subject_id']}"), text(d["action"]),
          text(d["attempts"]), text(d["error"])] for d in dead_letters(con)[:100]],
        ident="dead", empty="no dead step"),
        note("`revops workflows replay-dead` (or POST /v1/workflows/replay-dead) puts them back in the queue."))
    return body, "revops.yaml's workflows section · docs/workflows.md"


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else ""
