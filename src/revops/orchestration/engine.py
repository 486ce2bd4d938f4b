"""``Orchestrator``: reads signals and record changes, starts runs, and does their steps.

One loop (``work_once``) does, in order:
1. **events** after the cursor (``_events.seq``): which workflows they start;
2. **record changes** after the cursor (``_audit_log.seq``): record and score triggers;
3. **schedules** whose next cron tick has come;
4. **due steps**: local ones computed, external ones sent in parallel, then every outcome
   written in one transaction.

Exactly once. New runs, their first steps and the feed's cursor are written in one
transaction, and a run's id is fixed by its workflow and trigger: a worker killed anywhere
resumes at the cursor and starts no run twice. A local step's effect (an owner, a task, a
list member, a touch …), its done mark and the next step are written in one transaction: it
happens once. An external step is marked done after the other system answered; if the worker
dies in between it is sent again with the same idempotency key (docs/workflows.md).

Retries: a failed step is tried again after ``backoff``, doubled each time up to
``max_backoff``; after ``attempts`` tries, or at once when retrying cannot help, it goes to
the dead-letter queue (status ``dead``) until ``revops workflows replay-dead``.
"""

from __future__ import annotations

import heapq
import json
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from revops.access.audit import write_audit
from revops.engines.routing.audit import audit_table, store_lock
from revops.errors import ExpressionError
from revops.model.expressions import parse
from revops.model.sections.workflows import EXTERNAL_ACTIONS, Workflow, duration_seconds
from revops.orchestration import events as event_log
from revops.orchestration.actions import ActionError, Effect, RunInfo, apply_local, send
from revops.orchestration.actions.owners import Owners
from revops.orchestration.plan import next_position, run_id, step_at, step_key
from revops.orchestration.rows import insert_arrow, insert_rows, update_rows
from revops.orchestration.schedules import latest_tick
from revops.orchestration.subjects import Subjects, load_records
from revops.store.schema import table as table_spec
from revops.orchestration.triggers import ChangeTriggers, EventTriggers, Firing, read_changes
from revops.store.store import utcnow

log = logging.getLogger("revops.workflows")


@dataclass
class StepState:
    key: str
    run_id: str
    position: str
    status: str
    attempts: int
    next_at: datetime
    total: int = 0
    """Attempts over the step's life (replays included), numbering ``_workflow_attempts``."""
    action: str | None = None
    """The step's kind when it was reached: a model edited since then is noticed."""


@dataclass
class Outcome:
    state: StepState
    run: RunInfo
    started: datetime
    result: dict[str, Any] | None = None
    effect: Effect | None = None
    error: ActionError | None = None
    branch: str | None = None


@dataclass
class WorkStats:
    events: int = 0
    changes: int = 0
    runs_started: int = 0
    runs_completed: int = 0
    steps_done: int = 0
    steps_retried: int = 0
    steps_dead: int = 0
    not_found: int = 0
    """Firings whose record is not in the store (an event about an account revops does not hold)."""
    filtered: int = 0
    """Firings the workflow's `when` turned down."""
    loops: int = 0
    seconds: float = 0.0


@dataclass
class _Batch:
    runs: list[dict[str, Any]] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)


class Orchestrator:
    def __init__(self, store: Any, model: Any, *, clock: Callable[[], datetime] = utcnow, router: Any = None,
                 env: Mapping[str, str] | None = None, batch_size: int = 2000, senders: int = 8) -> None:
        self.store, self.model, self.clock, self.env = store, model, clock, env
        self.workflows: dict[str, Workflow] = {w.key: w for w in model.workflows}
        active = [w for w in model.workflows if w.enabled]
        self.event_triggers = EventTriggers(active)
        self.change_triggers = ChangeTriggers(active)
        self.schedules = [w for w in active if w.trigger.kind == "schedule"]
        self.batch_size = batch_size
        self.lock = store_lock(store)
        self.read = store.con.cursor()
        self.subjects = Subjects(self.read)
        self._router = router
        self._senders = ThreadPoolExecutor(max_workers=senders, thread_name_prefix="workflow-send")
        self._group = senders
        self.stats = WorkStats()
        self.steps: dict[str, StepState] = {}
        self.runs: dict[str, RunInfo] = {}
        self.due: list[tuple[datetime, str]] = []
        self.cursors: dict[str, int] = {}
        self.last_tick: dict[str, datetime] = {}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.state_lock = threading.RLock()
        """Held by each pass and by a replay from another thread (the API)."""
        self.writes = 0
        """Transactions written: a server's cached answers older than the last are stale."""
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None
        """The last pass that failed (the server's /health shows it)."""
        self.model_hash = model.hash()
        self._load()

    # -- state at start -----------------------------------------------------------------------
    def _load(self) -> None:
        con = self.read
        self.cursors = dict(con.execute("SELECT feed, position FROM _workflow_cursors").fetchall())
        self.last_tick = dict(con.execute("SELECT workflow, last_tick FROM _workflow_schedules").fetchall())
        runs = con.execute("SELECT run_id, workflow, subject_table, subject_id, triggered_at, context "
                           "FROM _workflow_runs WHERE status IN ('running', 'waiting')").fetchall()
        for rid, wf, table, sid, at, context in runs:
            self.runs[rid] = self._run_info(rid, wf, table, sid, at, context)
        rows = con.execute(
            "SELECT s.step_key, s.run_id, s.position, s.status, s.attempts, s.next_at, "
            "(SELECT count(*) FROM _workflow_attempts a WHERE a.step_key = s.step_key), s.action "
            "FROM _workflow_steps s WHERE s.status IN ('pending', 'waiting')").fetchall()
        for key, rid, position, status, attempts, next_at, total, action in rows:
            self._queue(StepState(key, rid, position, status, attempts or 0, next_at, total, action))
        self._replay_signals()

    def _run_info(self, rid: str, wf: str, table: str, sid: str, at: datetime, context: str | None) -> RunInfo:
        extras = json.loads(context) if context else {}
        if isinstance(extras.get("event_at"), str):
            extras["event_at"] = datetime.fromisoformat(extras["event_at"])
        workflow = self.workflows.get(wf)
        return RunInfo(rid, workflow, table, sid, at, extras)  # type: ignore[arg-type]

    def _replay_signals(self) -> None:
        """Rebuild the signal windows (and cooldowns) from the events already processed."""
        triggers = self.event_triggers
        if not triggers.counters:
            return
        for wf, subject, at in self.read.execute(
                "SELECT workflow, subject_id, max(triggered_at) FROM _workflow_runs "
                "WHERE trigger_kind = 'signals' GROUP BY 1, 2").fetchall():
            triggers.fired_before(wf, subject, at)
        done = self.cursors.get("events", 0)
        latest = self.read.execute("SELECT max(occurred_at) FROM _events WHERE seq <= ?", [done]).fetchall()[0][0]
        if latest is None:
            return
        since = latest - triggers.longest_window
        types = sorted(triggers.by_type)
        position = 0
        while True:
            rows = self.read.execute(
                f"SELECT {', '.join(event_log.EVENT_NAMES)} FROM _events WHERE seq > ? AND seq <= ? "
                "AND occurred_at >= ? AND type IN (SELECT unnest(?::VARCHAR[])) ORDER BY seq LIMIT ?",
                [position, done, since, types, self.batch_size * 5]).fetchall()
            if not rows:
                break
            batch = [event_log._stored(r) for r in rows]
            triggers.match(batch, self.subjects.resolve(batch), replay=True)
            position = batch[-1].seq

    # -- the loop -----------------------------------------------------------------------------
    def work_once(self) -> int:
        """One pass over every feed and the due steps; how much it did (0: nothing to do)."""
        t0 = time.perf_counter()
        with self.state_lock:
            done = self.take_events() + self._take_changes() + self._tick_schedules() + self._run_due()
        self.stats.loops += 1
        self.stats.seconds += time.perf_counter() - t0
        return done

    def run_until_idle(self, *, include_waits: bool = False, timeout: float | None = None) -> WorkStats:
        """Work until nothing is left to do now (steps waiting for a later time stay waiting,
        unless ``include_waits``: then the clock is not waited for)."""
        deadline = time.monotonic() + timeout if timeout else None
        while True:
            if self.work_once():
                continue
            if not self.due:
                break
            wait = (self.due[0][0] - self.clock()).total_seconds()
            if not include_waits and wait > 1.0:
                break
            if deadline is not None and time.monotonic() > deadline:
                break
            time.sleep(min(max(wait, 0.01), 1.0))
        return self.stats

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def notify(self) -> None:
        """New events or changes are in the store: wake the worker thread."""
        self._wake.set()

    def start(self, poll_seconds: float = 0.5) -> Orchestrator:
        """Work in a background thread (the server), until ``close``."""
        def loop() -> None:
            while not self._stop.is_set():
                try:
                    if self.work_once():
                        continue
                except Exception as exc:  # never let the worker die: log it and go on after a pause
                    log.exception("workflows: a pass failed")
                    self.last_error = f"{self.clock().isoformat()}Z: {type(exc).__name__}: {exc}"
                    self._stop.wait(1.0)
                    continue
                wait = poll_seconds
                if self.due:
                    wait = min(wait, max((self.due[0][0] - self.clock()).total_seconds(), 0.0))
                self._wake.wait(wait)
                self._wake.clear()
        self._thread = threading.Thread(target=loop, name="workflows", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self._senders.shutdown(wait=True)
        try:
            self.read.close()
        except Exception:
            pass

    # -- starting runs ------------------------------------------------------------------------
    def take_events(self) -> int:
        """Read the next batch of events after the cursor and start the runs they trigger (their
        steps are done by the next pass); how many events were read."""
        position = self.cursors.get("events", 0)
        batch = event_log.read_after(self.read, position, self.batch_size)
        if not batch:
            return 0
        firings = self.event_triggers.match(batch, self.subjects.resolve(batch), now=self.clock()) \
            if self.event_triggers.by_type else []
        self.stats.events += len(batch)
        self._start(firings, ("events", batch[-1].seq))
        return len(batch)

    def _take_changes(self) -> int:
        if not self.change_triggers.workflows:
            return 0
        if "changes" not in self.cursors:  # first start: changes from now on, not the whole history
            latest = self.read.execute("SELECT coalesce(max(seq), 0) FROM _audit_log").fetchall()[0][0]
            self._start([], ("changes", int(latest)))
        changes = read_changes(self.read, self.cursors["changes"], self.batch_size)
        if not changes:
            return 0
        ids: dict[str, set[str]] = defaultdict(set)
        for c in changes:
            if c.table:
                ids[c.table].add(c.record_id)
        records = {table: load_records(self.read, table, keys) for table, keys in ids.items()}
        self.stats.changes += len(changes)
        self._start(self.change_triggers.match(changes, records), ("changes", changes[-1].seq))
        return len(changes)

    def _tick_schedules(self) -> int:
        now = self.clock()
        started = 0
        for w in self.schedules:
            last = self.last_tick.get(w.key)
            if last is None:  # first sight: count from now, do not make up for the past
                self._start([], None, tick=(w.key, now))
                continue
            tick = latest_tick(w.trigger.schedule.cron, self.model.company.timezone, last, now)
            if tick is None:
                continue
            spec = w.trigger.schedule
            table = spec.table
            key = table_spec(table).key
            where = f" WHERE {parse(spec.where).to_sql(now)}" if spec.where.strip() else ""
            try:
                ids = [r[0] for r in self.read.execute(f'SELECT "{key}" FROM "{table}"{where}').fetchall()]
            except Exception as exc:  # e.g. a custom field not in the store yet: this tick starts nothing
                log.warning("workflow %s: schedule condition failed at %s: %s", w.key, tick, exc)
                ids = []
            firings = [Firing(w, f"tick:{tick.isoformat()}:{i}", table, i, tick,
                              {"event_type": "schedule", "event_at": tick, "signal_count": 1}) for i in ids]
            self._start(firings, None, tick=(w.key, tick))
            started += 1
        return started

    def _start(self, firings: list[Firing], cursor: tuple[str, int] | None, *,
               tick: tuple[str, datetime] | None = None) -> None:
        """Start the runs of ``firings`` whose record exists and whose `when` holds, and move the
        feed's cursor (or the schedule's last tick), in one transaction."""
        now = self.clock()
        batch = _Batch()
        fired: dict[str, Firing] = {}
        wanted: dict[str, set[str]] = defaultdict(set)
        for f in firings:
            wanted[f.subject_table].add(f.subject_id)
        records = {t: load_records(self.read, t, ids) for t, ids in wanted.items()}
        for f in firings:
            record = records[f.subject_table].get(f.subject_id)
            if record is None:
                self.stats.not_found += 1
                continue
            if f.workflow.when.strip():
                try:
                    holds = _holds(f.workflow.when, {**record, **f.extras}, now)
                except ExpressionError as exc:  # a value the condition cannot read: no run, the feed goes on
                    log.warning("workflow %s: `when` cannot be read for %s %s: %s", f.workflow.key,
                                f.subject_table, f.subject_id, exc)
                    holds = False
                if not holds:
                    self.stats.filtered += 1
                    continue
            rid = run_id(f.workflow.key, f.trigger_key)
            fired[rid] = f
            batch.runs.append({"run_id": rid, "workflow": f.workflow.key, "trigger_kind": f.workflow.trigger.kind,
                               "trigger_key": f.trigger_key, "subject_table": f.subject_table,
                               "subject_id": f.subject_id, "status": "running", "triggered_at": f.triggered_at,
                               "started_at": now, "finished_at": None,
                               "context": json.dumps(f.extras, default=str), "model_hash": self.model_hash})
            batch.steps.append(self._step_row(f.workflow, rid, "0", now))
        with self.lock, self.store.transaction() as con:
            if batch.runs:
                known = {r[0] for r in con.execute(
                    "SELECT run_id FROM _workflow_runs WHERE run_id IN (SELECT unnest(?::VARCHAR[]))",
                    [[r["run_id"] for r in batch.runs]]).fetchall()}
                if known:
                    batch.runs = [r for r in batch.runs if r["run_id"] not in known]
                    batch.steps = [s for s in batch.steps if s["run_id"] not in known]
                insert_rows(con, "_workflow_runs", batch.runs)
                insert_rows(con, "_workflow_steps", batch.steps)
            if cursor is not None:
                con.execute("INSERT OR REPLACE INTO _workflow_cursors VALUES (?, ?, ?)", [cursor[0], cursor[1], now])
            if tick is not None:
                con.execute("INSERT OR REPLACE INTO _workflow_schedules VALUES (?, ?)", list(tick))
        self.writes += 1
        if cursor is not None:
            self.cursors[cursor[0]] = cursor[1]
        if tick is not None:
            self.last_tick[tick[0]] = tick[1]
        for r in batch.runs:  # the firing's extras with their Python types (event_at a datetime)
            f = fired[r["run_id"]]
            self.runs[r["run_id"]] = RunInfo(r["run_id"], f.workflow, f.subject_table, f.subject_id, f.triggered_at,
                                             dict(f.extras))
        for s in batch.steps:
            self._queue(StepState(s["step_key"], s["run_id"], s["position"], s["status"], 0, s["next_at"], 0,
                                  s["action"]))
        self.stats.runs_started += len(batch.runs)

    def _step_row(self, workflow: Workflow, rid: str, position: str, now: datetime) -> dict[str, Any]:
        step = step_at(workflow, position)
        waiting = step.kind == "wait"
        return {"step_key": step_key(rid, position), "run_id": rid, "workflow": workflow.key, "position": position,
                "action": step.kind, "status": "waiting" if waiting else "pending", "attempts": 0,
                "next_at": now + timedelta(seconds=duration_seconds(step.wait)) if waiting else now,
                "created_at": now, "finished_at": None, "result": None, "error": None}

    def _queue(self, state: StepState) -> None:
        self.steps[state.key] = state
        heapq.heappush(self.due, (state.next_at, state.key))

    # -- doing steps --------------------------------------------------------------------------
    def _run_due(self) -> int:
        now = self.clock()
        taken: list[tuple[StepState, RunInfo]] = []
        while self.due and self.due[0][0] <= now and len(taken) < self.batch_size:
            _, key = heapq.heappop(self.due)
            state = self.steps.get(key)
            if state is None or state.next_at > now:  # done already, or moved to a later time
                continue
            run = self.runs.get(state.run_id)
            if run is None:
                self.steps.pop(key, None)
                continue
            taken.append((state, run))
        if not taken:
            return 0
        wanted: dict[str, set[str]] = defaultdict(set)
        for _, run in taken:
            wanted[run.subject_table].add(run.subject_id)
        records = {t: load_records(self.read, t, ids) for t, ids in wanted.items()}
        owners = Owners(self.read, self.router)
        outcomes: list[Outcome] = []
        remote: list[tuple[Outcome, Any, dict[str, Any]]] = []
        for state, run in taken:
            out = Outcome(state, run, now)
            outcomes.append(out)
            record = records[run.subject_table].get(run.subject_id)
            try:
                if run.workflow is None:
                    raise ActionError("the workflow is no longer in revops.yaml", retryable=False)
                step = _current_step(run.workflow, state)
                if record is None:
                    raise ActionError(f"{run.subject_table} {run.subject_id} is no longer in the store",
                                      retryable=False)
                kind = step.kind
                if kind == "wait":
                    out.result = {"waited": step.wait}
                elif kind == "if":
                    out.branch = "then" if _holds(step.if_, {**record, **run.extras}, now) else "else"
                    out.result = {"condition": step.if_, "branch": out.branch}
                elif kind in EXTERNAL_ACTIONS or (kind == "create_task" and step.create_task.crm):
                    remote.append((out, step, record))
                else:
                    out.effect = apply_local(kind, step.spec, run, record, state.key, now, owners, self.model,
                                             self.read)
                    out.result = out.effect.result
            except ActionError as exc:
                out.error = exc
            except ExpressionError as exc:
                out.error = ActionError(str(exc), retryable=False)
        sent = {id(out) for out, _, _ in remote}
        self._record([out for out in outcomes if id(out) not in sent])
        # External steps go out a few at a time, each group recorded as soon as it is answered:
        # a worker killed midway leaves at most one group answered but unrecorded (sent again,
        # with the same idempotency keys, when it restarts).
        group = self._group
        for i in range(0, len(remote), group):
            chunk = remote[i:i + group]
            extras = []
            for out, step, record in chunk:
                try:
                    extras.append(self._prepare(out, step, record, owners))
                except ActionError as exc:
                    out.error = exc
                    extras.append({})
            list(self._senders.map(lambda item: self._send(*item[0], item[1]), zip(chunk, extras)))
            for (out, step, record), extra in zip(chunk, extras):
                if out.error is None and step.kind == "create_task":  # the local task, with the CRM's id
                    out.effect = apply_local("create_task", step.spec, out.run, record, out.state.key, out.started,
                                             owners, self.model, self.read, crm_id=(out.result or {}).get("crm_id"),
                                             placed=extra.get("placed"))
                    out.result = out.effect.result
            self._record([out for out, _, _ in chunk])
        return len(outcomes)

    def router(self) -> Any:
        if self._router is None:
            from revops.engines.routing.router import Router

            self._router = Router.from_store(self.store, self.model, self.clock())
        return self._router

    def _prepare(self, out: Outcome, step: Any, record: dict[str, Any], owners: Owners) -> dict[str, Any]:
        """What an external step needs from the store, read here (one thread reads the store;
        the senders only talk to the other system): the owner's e-mail, the task's owner."""
        extra: dict[str, Any] = {}
        if step.kind == "notify" and step.notify.to_owner:
            extra["owner_email"] = (owners.users().get(record.get("owner_id") or "") or {}).get("email")
        if step.kind == "create_task":
            extra["placed"] = owners.place(step.create_task.owner, record, out.run.subject_table,
                                           {**record, **out.run.extras}, out.started)
        return extra

    def _send(self, out: Outcome, step: Any, record: dict[str, Any], extra: dict[str, Any]) -> None:
        if out.error is not None:
            return
        placed = extra.get("placed")
        try:
            out.result = send(step.kind, step.spec, out.run, record, out.state.key, out.started, self.model,
                              owner_email=extra.get("owner_email"), env=self.env,
                              task_owner=placed.owner if placed is not None else None)
        except ActionError as exc:
            out.error = exc
        except ExpressionError as exc:
            out.error = ActionError(str(exc), retryable=False)
        except Exception as exc:  # a bug or an unexpected answer: tried again, then dead-lettered
            out.error = ActionError(f"{type(exc).__name__}: {exc}")

    def _record(self, outcomes: list[Outcome]) -> None:
        """Write every outcome in one transaction; if that fails, each in its own, so one bad
        effect (a value the column cannot hold) fails its own step only."""
        if not outcomes:
            return
        try:
            self._write(outcomes)
        except Exception as exc:
            if len(outcomes) == 1:
                out = outcomes[0]
                out.effect, out.error = None, ActionError(f"the store refused the step's write: {exc}")
                self._write(outcomes)
                return
            for out in outcomes:
                self._record([out])

    def _write(self, outcomes: list[Outcome]) -> None:
        now = self.clock()
        step_updates: list[dict[str, Any]] = []
        new_steps: list[dict[str, Any]] = []
        run_updates: list[tuple[str, str, datetime | None]] = []
        attempts: list[dict[str, Any]] = []
        follow: list[tuple[Outcome, str, int, datetime]] = []
        inserts: dict[str, list[dict[str, Any]]] = defaultdict(list)
        statements: list[tuple[str, list[Any]]] = []
        audits: list[tuple[Any, ...]] = []
        decisions: list[Any] = []
        for out in outcomes:
            state, run = out.state, out.run
            tries = state.attempts + 1
            attempts.append({"step_key": state.key, "attempt": state.total + 1, "started_at": out.started,
                             "finished_at": now, "ok": out.error is None,
                             "error": str(out.error) if out.error else None, "replay": None})
            if out.error is None:
                if out.effect is not None:
                    for table, rows in out.effect.inserts.items():
                        inserts[table].extend(rows)
                    statements.extend(out.effect.statements)
                    audits.extend(out.effect.audits)
                    decisions.extend(out.effect.decisions)
                step_updates.append({"step_key": state.key, "status": "done", "attempts": tries, "next_at": None,
                                     "finished_at": now, "result": json.dumps(out.result, default=str),
                                     "error": None})
                try:
                    following = next_position(run.workflow, state.position, out.branch)
                except KeyError:  # revops.yaml changed under the run: it ends after this step
                    following = None
                if following is None:
                    run_updates.append((run.run_id, "completed", now))
                else:
                    row = self._step_row(run.workflow, run.run_id, following, now)
                    new_steps.append(row)
                    run_updates.append((run.run_id, row["status"] == "waiting" and "waiting" or "running", None))
                follow.append((out, "done", tries, now))
                continue
            retry = run.workflow.retry if run.workflow is not None else None
            if retry is not None and out.error.retryable and tries < retry.attempts:
                wait = min(retry.backoff_seconds * 2 ** (tries - 1), retry.max_backoff_seconds)
                at = now + timedelta(seconds=wait)
                step_updates.append({"step_key": state.key, "status": "pending", "attempts": tries, "next_at": at,
                                     "finished_at": None, "result": None, "error": str(out.error)})
                follow.append((out, "retry", tries, at))
            else:
                step_updates.append({"step_key": state.key, "status": "dead", "attempts": tries, "next_at": None,
                                     "finished_at": now, "result": None, "error": str(out.error)})
                run_updates.append((run.run_id, "failed", now))
                follow.append((out, "dead", tries, now))
        with self.lock, self.store.transaction() as con:
            for table, rows in inserts.items():
                insert_rows(con, table, rows)
            for sql, params in statements:
                con.execute(sql, params)
            write_audit(con, audits)
            if decisions:
                insert_arrow(con, "_routing_decisions", audit_table(decisions))
            update_rows(con, "_workflow_steps", "step_key", step_updates)
            insert_rows(con, "_workflow_steps", new_steps)
            insert_rows(con, "_workflow_attempts", attempts)
            for status in ("running", "waiting", "completed", "failed"):
                ids = [r for r, s, _ in run_updates if s == status]
                if ids:
                    con.execute("UPDATE _workflow_runs SET status = ?, finished_at = ? "
                                "WHERE run_id IN (SELECT unnest(?::VARCHAR[]))",
                                [status, now if status in ("completed", "failed") else None, ids])
        self.writes += 1
        stats = self.stats
        for out, what, tries, at in follow:
            state = out.state
            state.total += 1
            if what == "retry":
                state.attempts, state.next_at, state.status = tries, at, "pending"
                heapq.heappush(self.due, (at, state.key))
                stats.steps_retried += 1
                continue
            self.steps.pop(state.key, None)
            if what == "dead":
                stats.steps_dead += 1
                self.runs.pop(out.run.run_id, None)
            else:
                stats.steps_done += 1
        for rid, status, _ in run_updates:
            if status == "completed":
                self.runs.pop(rid, None)
                stats.runs_completed += 1
        for row in new_steps:
            self._queue(StepState(row["step_key"], row["run_id"], row["position"], row["status"], 0, row["next_at"],
                                  0, row["action"]))


def _current_step(workflow: Workflow, state: StepState) -> Any:
    """The step at the state's place in the workflow as revops.yaml has it now; a step that is no
    longer there, or is now another action, cannot be done as it was planned: dead letter."""
    try:
        step = step_at(workflow, state.position)
    except KeyError:
        raise ActionError(f"revops.yaml changed while this run waited: workflow {workflow.key} has no step "
                          f"{state.position} any more", retryable=False) from None
    if state.action is not None and step.kind != state.action:
        raise ActionError(f"revops.yaml changed while this run waited: step {state.position} of {workflow.key} "
                          f"is now {step.kind}, not {state.action}", retryable=False)
    return step


# -- helpers --------------------------------------------------------------------------------------
def _holds(condition: str, scope: dict[str, Any], now: datetime) -> bool:
    """The condition holds for the record; time words (days_since …) count from the worker's clock."""
    return parse(condition).matches(scope, now)


def replay(orchestrator: Orchestrator, *, workflow: str | None = None, step: str | None = None) -> list[dict[str, Any]]:
    """Put dead steps back in the queue of a running orchestrator (and the store)."""
    with orchestrator.state_lock:
        found = _replay(orchestrator, workflow, step)
    orchestrator.notify()
    return found


def _replay(orchestrator: Orchestrator, workflow: str | None, step: str | None) -> list[dict[str, Any]]:
    from revops.orchestration.history import replay_dead

    now = orchestrator.clock()
    found = replay_dead(orchestrator.store, now, workflow=workflow, step_key=step)
    orchestrator.writes += 1
    runs = {r[0]: r for r in orchestrator.read.execute(
        "SELECT run_id, workflow, subject_table, subject_id, triggered_at, context FROM _workflow_runs "
        "WHERE run_id IN (SELECT unnest(?::VARCHAR[]))", [[d["run_id"] for d in found]]).fetchall()} if found else {}
    totals = dict(orchestrator.read.execute(
        "SELECT step_key, count(*) FROM _workflow_attempts WHERE step_key IN (SELECT unnest(?::VARCHAR[])) "
        "GROUP BY 1", [[d["step_key"] for d in found]]).fetchall()) if found else {}
    for d in found:
        if d["run_id"] in runs:
            orchestrator.runs[d["run_id"]] = orchestrator._run_info(*runs[d["run_id"]])
        orchestrator._queue(StepState(d["step_key"], d["run_id"], d["position"], "pending", 0, now,
                                      totals.get(d["step_key"], 0), d["action"]))
    return found
