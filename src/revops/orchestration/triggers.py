"""Which workflows a signal, a record change or a clock tick starts.

``Firing``: one run to start, with the trigger's key (what makes the run unique: the event,
the change, the tick and record) and what the run's conditions and texts may read besides
the record (``signal_count``, ``event_type``, ``event_at``).

Signals in a window: each event of the type that meets ``where`` is counted for its account
(or lead); when the count within ``within`` up to that event reaches ``count``, and the
workflow has not fired for that account within ``cooldown``, the workflow fires once.
"""

from __future__ import annotations

import bisect
import functools
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from revops.errors import ExpressionError
from revops.model.expressions import parse
from revops.model.sections.workflows import Workflow, duration_seconds
from revops.orchestration.events import StoredEvent


@dataclass
class Firing:
    workflow: Workflow
    trigger_key: str
    subject_table: str
    subject_id: str
    triggered_at: datetime
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Counter:
    workflow: Workflow
    where: Any
    window: timedelta
    cooldown: timedelta
    times: dict[str, list[datetime]] = field(default_factory=lambda: defaultdict(list))
    fired: dict[str, datetime] = field(default_factory=dict)

    def add(self, key: str, at: datetime) -> int:
        """Count the signal; the most signals for ``key`` in a window holding ``at``: the one
        ending at it, or (an event that arrives after later ones) one ending at a later signal."""
        times = self.times[key]
        bisect.insort(times, at)
        if len(times) > 4 * self.workflow.trigger.signals.count + 16:  # forget what no window reaches
            latest = times[-1] - self.window
            del times[:bisect.bisect_right(times, latest)]
        ends = times[bisect.bisect_left(times, at):bisect.bisect_left(times, at + self.window)]
        return max((bisect.bisect_right(times, end) - bisect.bisect_right(times, end - self.window)
                    for end in ends), default=0)

    def cool(self, key: str, at: datetime) -> bool:
        last = self.fired.get(key)
        return last is None or abs(at - last) >= self.cooldown  # a late signal of the last spike: not cool


class EventTriggers:
    """The workflows events start: `event` triggers and `signals` counted in windows."""

    def __init__(self, workflows: Iterable[Workflow]) -> None:
        self.by_type: dict[str, list[tuple[Workflow, Any, _Counter | None]]] = defaultdict(list)
        self.counters: dict[str, _Counter] = {}
        for w in workflows:
            kind = w.trigger.kind
            if kind not in ("event", "signals"):
                continue
            spec = w.trigger.spec
            where = parse(spec.where) if spec.where.strip() else None
            counter = None
            if kind == "signals":
                window = timedelta(seconds=duration_seconds(spec.within))
                cooldown = timedelta(seconds=duration_seconds(spec.cooldown)) if spec.cooldown else window
                counter = self.counters[w.key] = _Counter(w, where, window, cooldown)
            self.by_type[spec.type].append((w, where, counter))

    @property
    def longest_window(self) -> timedelta:
        return max((c.window for c in self.counters.values()), default=timedelta(0))

    def fired_before(self, workflow: str, subject: str, at: datetime) -> None:
        """What the runs already started say: the last firing for an account (lead)."""
        counter = self.counters.get(workflow)
        if counter is not None and (subject not in counter.fired or counter.fired[subject] < at):
            counter.fired[subject] = at

    def match(self, events: Sequence[StoredEvent], subjects: Sequence[tuple[str | None, str | None]],
              *, replay: bool = False, now: datetime | None = None) -> list[Firing]:
        """Firings of these events (in order). ``replay``: only count, start nothing (catching
        up on the events before the cursor when a worker starts). ``now``: when they are read,
        against which a trigger's max_age is measured."""
        out: list[Firing] = []
        by_type = self.by_type
        for event, (lead, account) in zip(events, subjects):
            hooks = by_type.get(event.type)
            if not hooks:
                continue
            record = None
            for workflow, where, counter in hooks:
                if where is not None:
                    record = record if record is not None else event.record()
                    if not _matches(where, record):
                        continue
                if counter is None:
                    subject = account if workflow.trigger.event.subject == "account" else lead
                    if subject is not None and not replay and _fresh(workflow.trigger.event, event, now):
                        out.append(Firing(workflow, event.event_id, workflow.trigger.table, subject, event.occurred_at,
                                          {"event_type": event.type, "event_at": event.occurred_at, "signal_count": 1}))
                    continue
                key = account if workflow.trigger.signals.per == "account" else lead
                if key is None:
                    continue
                n = counter.add(key, event.occurred_at)
                if n >= workflow.trigger.signals.count and counter.cool(key, event.occurred_at):
                    counter.fired[key] = max(event.occurred_at, counter.fired.get(key, event.occurred_at))
                    if not replay and _fresh(workflow.trigger.signals, event, now):
                        out.append(Firing(workflow, event.event_id, workflow.trigger.table, key, event.occurred_at,
                                          {"event_type": event.type, "event_at": event.occurred_at,
                                           "signal_count": n}))
        return out


def _fresh(spec: Any, event: StoredEvent, now: datetime | None) -> bool:
    """The event is recent enough to start a run (the trigger's max_age)."""
    if spec.max_age is None or now is None:
        return True
    return (now - event.occurred_at).total_seconds() <= _seconds(spec.max_age)


@functools.lru_cache(maxsize=256)
def _seconds(duration: str) -> float:
    return duration_seconds(duration)


# -- record changes -------------------------------------------------------------------------------
ENTITY_TABLES = {"leads", "accounts", "contacts", "opportunities"}


@dataclass(frozen=True)
class Change:
    seq: int
    table: str
    record_id: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    source: str | None
    at: datetime

    @property
    def created(self) -> bool:
        return self.before is None

    def changed_fields(self) -> set[str]:
        before, after = self.before or {}, self.after or {}
        return {k for k in set(before) | set(after) if before.get(k) != after.get(k)}


def read_changes(con: Any, after_seq: int, limit: int) -> list[Change]:
    """Writes of records from the audit log after sequence ``after_seq``, in commit order."""
    rows = con.execute(
        "SELECT seq, entity, entity_id, action, before, after, source, changed_at FROM _audit_log "
        "WHERE seq > ? ORDER BY seq LIMIT ?", [after_seq, limit]).fetchall()
    out = []
    for seq, entity, entity_id, action, before, after, source, at in rows:
        if entity in ENTITY_TABLES and entity_id:
            out.append(Change(seq, entity, entity_id, action, json.loads(before) if before else None,
                              json.loads(after) if after else None, source, at))
        else:
            out.append(Change(seq, "", "", action, None, None, source, at))  # moves the cursor only
    return out


class ChangeTriggers:
    """The workflows record changes start: `record` (created, updated, a field changed) and
    `score` (a lead's score crossing a threshold)."""

    def __init__(self, workflows: Iterable[Workflow]) -> None:
        self.workflows = [w for w in workflows if w.trigger.kind in ("record", "score")]
        self.where = {w.key: parse(w.trigger.record.where) for w in self.workflows
                      if w.trigger.kind == "record" and w.trigger.record.where.strip()}

    def match(self, changes: Sequence[Change], records: dict[str, dict[str, dict[str, Any]]]) -> list[Firing]:
        """``records``: the current records by table and id (a deleted record starts nothing)."""
        out: list[Firing] = []
        for change in changes:
            if not change.table:
                continue
            for w in self.workflows:
                if change.source and change.source.startswith(f"workflow:{w.key}:"):
                    continue  # a workflow's own writes do not start it again
                record = records.get(change.table, {}).get(change.record_id)
                if record is None or not self._fires(w, change, record):
                    continue
                out.append(Firing(w, f"change:{change.seq}", change.table, change.record_id, change.at,
                                  {"event_type": change.action, "event_at": change.at, "signal_count": 1}))
        return out

    def _fires(self, w: Workflow, change: Change, record: dict[str, Any]) -> bool:
        trigger = w.trigger
        if trigger.kind == "score":
            spec = trigger.score
            if change.table != "leads" or change.after is None or spec.score not in change.after:
                return False
            old, new = _number((change.before or {}).get(spec.score)), _number(change.after.get(spec.score))
            if new is None:
                return False
            if spec.direction == "up":
                return new >= spec.crosses and (old is None or old < spec.crosses)
            return new < spec.crosses and old is not None and old >= spec.crosses
        spec = trigger.record
        if change.table != spec.table:
            return False
        if spec.on == "created" and not change.created or spec.on == "updated" and change.created:
            return False
        if spec.fields and not change.created and not (set(spec.fields) & change.changed_fields()):
            return False
        where = self.where.get(w.key)
        return where is None or _matches(where, record)


def _matches(where: Any, record: dict[str, Any]) -> bool:
    """Whether the condition holds; a record (an event's properties) it cannot read, such as a
    text where it compares numbers, does not match, and holds up nothing behind it."""
    try:
        return where.matches(record)
    except ExpressionError:
        return False


def _number(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None
