"""``RoutingDecision``: who got a lead, and the whole way there, node by node.

Each decision keeps the path through the graph, one ``Step`` per node with the values it
tested and its outcome, every candidate a pool considered with why they were passed over,
the previous and the new owner. The reason text and the JSON forms are built only when
asked for, so routing itself stays cheap.
"""

from __future__ import annotations

import itertools
import json
import uuid
from functools import lru_cache
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

_ID_PREFIX = uuid.uuid4().hex[:22]
_ID_SERIAL = itertools.count(1)
"""Decision ids: a random prefix per process and a serial, 32 hex digits like a UUID."""

Candidate = tuple[str, str, Any]
"""(user_id, code, detail): code is 'chosen' or why the rep was passed over (SKIPS)."""

SKIPS: dict[str, str] = {
    "inactive": "inactive",
    "not_employed": "not employed on that day",
    "out_of_office": "out of office",
    "off_hours": "outside working hours",
    "cap_per_day": "daily cap reached",
    "cap_per_week": "weekly cap reached",
    "overflow": "holds too many open leads",
    "weight_zero": "weight 0",
    "not_next": "available, not next in rotation",
    "more_loaded": "available, more open leads",
    "later_shift": "nobody at work; starts later",
    "unknown_user": "not in users",
}

CHOSEN: dict[str, str] = {
    "next": "next in rotation",
    "fewest": "fewest open leads",
    "first_on_shift": "nobody at work now; first to start",
    "owner": "owner",
    "named": "named in the model",
}


class Step:
    """One node visited: what it tested, what came of it, and where the lead went next."""

    __slots__ = ("node", "type", "tested", "outcome", "next", "candidates")

    def __init__(self, node: str, type_: str, tested: dict[str, Any], outcome: str,
                 next_: str | None = None, candidates: list[Candidate] | None = None) -> None:
        self.node, self.type, self.tested, self.outcome = node, type_, tested, outcome
        self.next, self.candidates = next_, candidates

    def text(self) -> str:
        """``node (tested values): outcome``, e.g. ``high_score (score=85, company_size=5000): yes, …``."""
        if self.candidates is None:  # conditions, queues, nurture: few distinct texts, cached
            try:
                return _step_text(self.node, self.outcome, tuple(self.tested.items()))
            except TypeError:  # a value that cannot be a cache key
                pass
        return _step_text.__wrapped__(self.node, self.outcome, tuple(self.tested.items()))

    def json(self, at: datetime | None) -> str:
        """The step as JSON text (see ``steps_json``)."""
        if self.candidates is None:
            try:
                return _plain_step_json(self.node, self.type, self.outcome, self.next, tuple(self.tested.items()))
            except TypeError:
                pass
        text = _head(self.node, self.type) + _dumps(self.tested) + ',"outcome":' + _string(self.outcome) + \
            ',"next":' + _string(self.next)
        if self.candidates is not None:
            text += ',"candidates":[' + ",".join(_candidate_json(c, at) for c in self.candidates) + "]"
        return text + "}"


@lru_cache(maxsize=65536)
def _step_text(node: str, outcome: str, tested: tuple[tuple[str, Any], ...]) -> str:
    shown = ", ".join(f"{k}={_show(v)}" for k, v in tested)
    return f"{node} ({shown}): {outcome}" if shown else f"{node}: {outcome}"


@lru_cache(maxsize=65536)
def _plain_step_json(node: str, type_: str, outcome: str, next_: str | None,
                     tested: tuple[tuple[str, Any], ...]) -> str:
    return (_head(node, type_) + _dumps(dict(tested)) + ',"outcome":' + _string(outcome) + ',"next":'
            + _string(next_) + "}")

    def to_dict(self, at: datetime | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"node": self.node, "type": self.type, "tested": self.tested,
                               "outcome": self.outcome, "next": self.next}
        if self.candidates is not None:
            out["candidates"] = [candidate_dict(c, at) for c in self.candidates]
        return out


def candidate_dict(c: Candidate, at: datetime | None) -> dict[str, Any]:
    user_id, code, detail = c
    if code == "chosen":
        return {"user_id": user_id, "outcome": "chosen", "why": CHOSEN.get(detail, detail)}
    return {"user_id": user_id, "outcome": "skipped", "why": skip_text(code, detail, at)}


@lru_cache(maxsize=4096)
def skip_text(code: str, detail: Any, at: datetime | None) -> str:
    """Why a candidate was passed over, in words (a batch shares its instant: cached)."""
    base = SKIPS.get(code, code)
    if detail is None:
        return base
    if code in ("off_hours", "later_shift") and at is not None:
        zone = ZoneInfo(detail)
        local = at.replace(tzinfo=timezone.utc).astimezone(zone)
        return f"{base} ({local:%a %H:%M} {detail})"
    return f"{base} ({detail})"


class RoutingDecision:
    """The outcome of routing one lead, with everything needed to explain and audit it."""

    __slots__ = ("lead_id", "decided_at", "trigger", "model_hash", "path", "steps", "previous_owner",
                 "assigned_to", "assigned_kind", "team", "node", "rotation", "undo", "_id", "_reason")

    def __init__(self, lead_id: str | None, decided_at: datetime, trigger: str, model_hash: str | None,
                 previous_owner: str | None) -> None:
        self.lead_id = lead_id
        self.decided_at = decided_at
        self.trigger = trigger
        self.model_hash = model_hash
        self.previous_owner = previous_owner
        self.path: list[str] = []
        self.steps: list[Step] = []
        self.assigned_to: str | None = None
        self.assigned_kind = "none"
        """user, queue, nurture, or none (nothing could place the lead)."""
        self.team: str | None = None
        self.node: str | None = None
        """The node that made the assignment."""
        self.rotation: tuple[str, float] | None = None
        """(rotation key, weight) when a rotation chose the rep."""
        self.undo: tuple | None = None
        self._id: str | None = None
        self._reason: str | None = None

    @property
    def decision_id(self) -> str:
        if self._id is None:
            self._id = f"{_ID_PREFIX}{next(_ID_SERIAL):010x}"
        return self._id

    @property
    def reason(self) -> str:
        if self._reason is None:
            self._reason = " -> ".join(s.text() for s in self.steps)
        return self._reason

    @property
    def summary(self) -> str:
        """The reason without the conditions passed on the way: what placed the lead."""
        placing = [s for s in self.steps if s.type != "condition"] or self.steps[-1:]
        return " -> ".join(s.text() for s in placing)

    @reason.setter
    def reason(self, text: str) -> None:
        self._reason = text

    def candidates(self) -> list[dict[str, Any]]:
        """Every candidate considered on the way, with the node that considered them."""
        return [{"node": s.node, **candidate_dict(c, self.decided_at)}
                for s in self.steps for c in (s.candidates or ())]

    def row(self) -> dict[str, Any]:
        """The contract row of `revops route`: lead_id, assigned_to, team, path, reason."""
        return {"lead_id": self.lead_id, "assigned_to": self.assigned_to, "team": self.team,
                "path": list(self.path), "reason": self.reason}

    def to_dict(self) -> dict[str, Any]:
        return {"decision_id": self.decision_id, "lead_id": self.lead_id, "decided_at": self.decided_at,
                "trigger": self.trigger, "model_hash": self.model_hash, "previous_owner": self.previous_owner,
                "assigned_to": self.assigned_to, "assigned_kind": self.assigned_kind, "team": self.team,
                "node": self.node, "path": list(self.path),
                "steps": [s.to_dict(self.decided_at) for s in self.steps], "reason": self.reason}

    def audit_row(self) -> dict[str, Any]:
        """The row of ``_routing_decisions`` (path and steps as JSON text)."""
        return {"decision_id": self.decision_id, "lead_id": self.lead_id, "decided_at": self.decided_at,
                "trigger": self.trigger, "model_hash": self.model_hash,
                "path": _path_json(tuple(self.path)),
                "steps": steps_json(self.steps, self.decided_at),
                "previous_owner": self.previous_owner, "assigned_to": self.assigned_to,
                "assigned_kind": self.assigned_kind, "team": self.team, "reason": self.reason}

    def __repr__(self) -> str:
        return (f"RoutingDecision(lead={self.lead_id!r}, {self.assigned_kind}={self.assigned_to!r}, "
                f"path={self.path})")


def steps_json(steps: list[Step], at: datetime | None) -> str:
    """The steps as JSON text, as ``json.dumps([s.to_dict(at) for s in steps])`` would write them.

    Written by hand from cached fragments: an audit of a million decisions repeats the same
    nodes, outcomes and candidate reasons over and over."""
    return "[" + ",".join([s.json(at) for s in steps]) + "]"


@lru_cache(maxsize=4096)
def _path_json(path: tuple[str, ...]) -> str:
    return _ENCODE(list(path))


@lru_cache(maxsize=1024)
def _head(node: str, type_: str) -> str:
    return '{"node":' + json.dumps(node, ensure_ascii=False) + ',"type":' + json.dumps(type_) + ',"tested":'


@lru_cache(maxsize=8192)
def _string(text: str | None) -> str:
    return _ENCODE(text)


def _candidate_json(c: Candidate, at: datetime | None) -> str:
    """Only the reasons that show the rep's local time depend on the instant: the others are
    cached once for every decision (a simulation or the API decides at a new instant each time)."""
    if c[1] in _TIMED:
        return _candidate_json_at(c, at)
    return _candidate_json_any_time(c)


_TIMED = frozenset({"off_hours", "later_shift"})


@lru_cache(maxsize=8192)
def _candidate_json_at(c: Candidate, at: datetime | None) -> str:
    return _ENCODE(candidate_dict(c, at))


@lru_cache(maxsize=8192)
def _candidate_json_any_time(c: Candidate) -> str:
    return _ENCODE(candidate_dict(c, None))


def _dumps(values: dict[str, Any]) -> str:
    """A tested-values dict as JSON; plain values (text, whole and finite numbers) the quick way."""
    parts = []
    for k, v in values.items():
        cls = v.__class__
        if cls is str:
            parts.append(_key(k) + _string(v))
        elif v is None:
            parts.append(_key(k) + "null")
        elif cls is int or (cls is float and v == v and v not in (_INF, -_INF)):
            parts.append(_key(k) + repr(v))
        else:  # dates, decimals, NaN (as null) …
            return _ENCODE({k: None if isinstance(v, float) and v != v else v for k, v in values.items()})
    return "{" + ",".join(parts) + "}"


@lru_cache(maxsize=1024)
def _key(name: str) -> str:
    return _ENCODE(name) + ":"


def _show(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    return str(value) if not isinstance(value, str) else value


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return str(value)


_ENCODE = json.JSONEncoder(default=_default, ensure_ascii=False, separators=(",", ":")).encode
_INF = float("inf")
