"""Workflows: each workflow of revops.yaml with its runs by status, the latest runs step by
step, and the dead-letter queue. Runs act on any record: admin and ops keys see them."""

from __future__ import annotations

from typing import Any

from revops.dashboard.html import cards, note, section, table, text
from revops.orchestration.history import dead_letters, describe_trigger

KEY = NAV = "workflows"
TITLE = "Workflows"
RUNS = 50


def build(ctx: Any) -> tuple[str, str]:
    if ctx.view.owners is not None:
        return section("Workflows", note("Workflow runs act on any record of the company: an admin or ops key "
                                         "sees them.")), "docs/workflows.md"
    f = ctx.figures
    workflows = ctx.model.workflows
    counts = _rows(ctx, "SELECT workflow, status, count(*) AS n FROM _workflow_runs GROUP BY ALL")
    by: dict[str, dict[str, int]] = {}
    for r in counts:
        by.setdefault(r["workflow"], {})[r["status"]] = r["n"]
    dead = _rows(ctx, "SELECT workflow, count(*) AS n FROM _workflow_steps WHERE status = 'dead' GROUP BY ALL")
    dead_by = {r["workflow"]: r["n"] for r in dead}
    events = _rows(ctx, "SELECT count(*) AS n FROM _events")
    body = section("Workflows", cards([
        ("Events stored", f.number("workflows.events", events[0]["n"] if events else 0, "count")),
        ("Runs", f.number("workflows.runs", sum(r["n"] for r in counts), "count")),
        ("Dead steps", f.number("workflows.dead_steps", sum(dead_by.values()), "count")),
    ]), table(["workflow", "trigger", "steps", "running", "completed", "failed", "dead steps"], [
        [text(w.label or w.key) + ("" if w.enabled else " (off)"), text(describe_trigger(w)),
         text(" > ".join(s.kind for s in w.steps)),
         f.number("workflows.runs", by.get(w.key, {}).get("running", 0) + by.get(w.key, {}).get("waiting", 0), "count"),
         f.number("workflows.runs", by.get(w.key, {}).get("completed", 0), "count"),
         f.number("workflows.runs", by.get(w.key, {}).get("failed", 0), "count"),
         f.number("workflows.dead_steps", dead_by.get(w.key, 0), "count")] for w in workflows],
        numeric={3, 4, 5, 6}, ident="workflows", empty="revops.yaml has no workflows (docs/workflows.md)"))
    runs = _rows(ctx, "SELECT r.run_id, r.workflow, r.status, r.subject_table, r.subject_id, r.triggered_at, "
                      "r.started_at, r.finished_at, "
                      "list(s.action || ':' || s.status ORDER BY s.created_at, s.step_key) AS steps "
                      "FROM _workflow_runs r LEFT JOIN _workflow_steps s USING (run_id) GROUP BY ALL "
                      f"ORDER BY r.started_at DESC, r.triggered_at DESC, r.run_id LIMIT {RUNS}")
    body += section("Latest runs", table(
        ["workflow", "record", "status", "triggered", "finished", "steps"],
        [[text(r["workflow"]), text(f"{r['subject_table']} {r['subject_id']}"), text(r["status"]),
          text(_when(r["triggered_at"])), text(_when(r["finished_at"])), text(" > ".join(r["steps"] or []))]
         for r in runs], ident="runs", empty="no run yet"))
    try:
        letters = dead_letters(ctx.con.con)
    except Exception:  # a store from before the workflows' tables
        letters = []
    body += section("Dead-letter queue", table(
        ["workflow", "record", "step", "tries", "error"],
        [[text(d["workflow"]), text(f"{d['subject_table']} {d['subject_id']}"), text(d["action"]),
          text(d["attempts"]), text(d["error"])] for d in letters[:100]],
        ident="dead", empty="no dead step"),
        note("`revops workflows replay-dead` (or POST /v1/workflows/replay-dead) puts them back in the queue."))
    return body, "revops.yaml's workflows section · docs/workflows.md"


def _rows(ctx: Any, sql: str) -> list[dict[str, Any]]:
    try:
        return ctx.sql(sql)
    except Exception:  # a store from before the workflows' tables: nothing to show
        return []


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else ""
