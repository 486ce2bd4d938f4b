"""What workflows did: the workflows and their counts, runs with each step, the dead-letter
queue, and replaying it."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from revops.engines.routing.audit import store_lock

STEP_FIELDS = ("step_key", "position", "action", "status", "attempts", "next_at", "created_at", "finished_at",
               "result", "error")


def _rows(con: Any, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


def _filters(**equal: str | None) -> tuple[str, list[Any]]:
    """`` WHERE a = ? AND b = ?`` for the columns given a value, with the values."""
    given = {column: value for column, value in equal.items() if value}
    return (" WHERE " + " AND ".join(f"{c} = ?" for c in given) if given else ""), list(given.values())


def describe_trigger(workflow: Any) -> str:
    kind, spec = workflow.trigger.kind, workflow.trigger.spec
    if kind == "event":
        return f"event {spec.type}" + (f" where {spec.where}" if spec.where else "")
    if kind == "signals":
        return (f"{spec.count}+ {spec.type} per {spec.per} within {spec.within}"
                + (f" where {spec.where}" if spec.where else ""))
    if kind == "record":
        what = f"{spec.table} {spec.on.replace('_', ' ')}"
        return what + (f" ({', '.join(spec.fields)} changed)" if spec.fields else "") + (
            f" where {spec.where}" if spec.where else "")
    if kind == "score":
        return f"lead {spec.score} crosses {spec.crosses:g} {spec.direction}"
    return f"schedule {spec.cron} over {spec.table}" + (f" where {spec.where}" if spec.where else "")


def list_workflows(con: Any, model: Any) -> list[dict[str, Any]]:
    counts: dict[str, dict[str, int]] = {}
    for wf, status, n in con.execute("SELECT workflow, status, count(*) FROM _workflow_runs GROUP BY 1, 2").fetchall():
        counts.setdefault(wf, {})[status] = n
    dead = dict(con.execute("SELECT workflow, count(*) FROM _workflow_steps WHERE status = 'dead' GROUP BY 1").fetchall())
    last = dict(con.execute("SELECT workflow, max(started_at) FROM _workflow_runs GROUP BY 1").fetchall())
    out = []
    for w in model.workflows:
        c = counts.get(w.key, {})
        out.append({"key": w.key, "label": w.label, "enabled": w.enabled, "trigger": w.trigger.kind,
                    "when": describe_trigger(w), "condition": w.when or None, "steps": len(w.steps),
                    "actions": [s.kind for s in w.steps], "runs": sum(c.values()),
                    "running": c.get("running", 0) + c.get("waiting", 0), "completed": c.get("completed", 0),
                    "failed": c.get("failed", 0), "dead_steps": dead.get(w.key, 0), "last_run_at": last.get(w.key)})
    return out


def list_runs(con: Any, *, workflow: str | None = None, status: str | None = None, record_id: str | None = None,
              limit: int = 50) -> list[dict[str, Any]]:
    """Newest first, each with its steps in order and their attempts."""
    where, params = _filters(workflow=workflow, status=status, subject_id=record_id)
    sql = ("SELECT run_id, workflow, status, trigger_kind, trigger_key, subject_table, subject_id, triggered_at, "
           "started_at, finished_at, context FROM _workflow_runs" + where
           + f" ORDER BY started_at DESC, triggered_at DESC, run_id LIMIT {int(limit)}")
    runs = _rows(con, sql, params)
    if not runs:
        return []
    ids = [r["run_id"] for r in runs]
    steps: dict[str, list[dict[str, Any]]] = {}
    for s in _rows(con, f"SELECT run_id, {', '.join(STEP_FIELDS)} FROM _workflow_steps "
                        "WHERE run_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY created_at, step_key", [ids]):
        s["result"] = json.loads(s["result"]) if s["result"] else None
        steps.setdefault(s.pop("run_id"), []).append(s)
    for r in runs:
        r["context"] = json.loads(r["context"]) if r["context"] else {}
        r["steps"] = steps.get(r["run_id"], [])
    return runs


def dead_letters(con: Any, workflow: str | None = None) -> list[dict[str, Any]]:
    sql = ("SELECT s.step_key, s.workflow, s.run_id, r.subject_table, r.subject_id, s.position, s.action, "
           "s.attempts, s.error, s.finished_at AS dead_at FROM _workflow_steps s "
           "JOIN _workflow_runs r USING (run_id) WHERE s.status = 'dead'"
           + (" AND s.workflow = ?" if workflow else "") + " ORDER BY s.finished_at, s.step_key")
    return _rows(con, sql, [workflow] if workflow else [])


def replay_dead(store: Any, now: datetime, *, workflow: str | None = None,
                step_key: str | None = None) -> list[dict[str, Any]]:
    """Put dead steps back in the queue (their attempt budget restarts; past attempts stay in
    the history); their runs go back to running. Returns the steps replayed."""
    found = [d for d in dead_letters(store.con, workflow) if step_key is None or d["step_key"] == step_key]
    if not found:
        return []
    keys = [d["step_key"] for d in found]
    runs = sorted({d["run_id"] for d in found})
    with store_lock(store), store.transaction() as con:
        con.execute("UPDATE _workflow_steps SET status = 'pending', attempts = 0, next_at = ?, finished_at = NULL "
                    "WHERE step_key IN (SELECT unnest(?::VARCHAR[]))", [now, keys])
        con.execute("UPDATE _workflow_runs SET status = 'running', finished_at = NULL "
                    "WHERE run_id IN (SELECT unnest(?::VARCHAR[]))", [runs])
    return found


def list_tasks(con: Any, *, owner_id: str | None = None, status: str | None = "open", record_id: str | None = None,
               limit: int = 200) -> list[dict[str, Any]]:
    """Tasks workflows created, the soonest due first."""
    where, params = _filters(owner_id=owner_id, status=status, record_id=record_id)
    return _rows(con, "SELECT task_id, subject, owner_id, table_name, record_id, due_at, status, created_at, "
                      "crm_system, crm_id, body, step_key FROM _tasks" + where
                      + f" ORDER BY due_at, task_id LIMIT {int(limit)}", params)


def list_members(con: Any, *, name: str | None = None) -> list[dict[str, Any]]:
    """Lists and sequences with their members, as workflows added them."""
    return _rows(con, "SELECT list_kind, list_name, member_table, member_id, added_at, step_key FROM _list_members"
                      + (" WHERE list_name = ?" if name else "") + " ORDER BY list_kind, list_name, added_at, member_id",
                 [name] if name else [])
