"""Events: signals from forms, product analytics and intent providers, each stored once.

An event is ``{"type", "occurred_at", "properties"}`` with one of ``account_id``, ``lead_id``
or ``email``, and an optional ``event_id`` (a sender that retries sends the same one: the
event is then stored, and processed, once). Stored events get a sequence number in commit
order; workflows read them in that order (``_events.seq``), so a worker that stops anywhere
resumes exactly where it left off.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from revops.engines.routing.router import naive_utc
from revops.store.migrations import EVENT_COLUMNS

FUTURE = timedelta(days=1)
"""How far ahead of the server's clock an event's time may be (clocks differ a little)."""
EVENT_NAMES: tuple[str, ...] = tuple(n for n, _ in EVENT_COLUMNS)
_ARROW = {"seq": pa.int64(), "occurred_at": pa.timestamp("us"), "received_at": pa.timestamp("us")}


class IncomingEvent(BaseModel):
    """One event as a sender writes it (POST /v1/events, a line of an events file)."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)
    """Other top-level fields (a Segment payload's anonymousId, utm_source …) are kept in properties."""

    type: str = Field(min_length=1, max_length=120, description="page_view, form_submitted, product_signup …")
    occurred_at: datetime = Field(description="When it happened (ISO 8601; without a zone: UTC).")
    properties: dict[str, Any] = Field(default_factory=dict, description="Anything the sender knows: url, plan …")
    event_id: str | None = Field(None, min_length=1, max_length=200,
                                 description="The sender's id: the same id sent twice is processed once.")
    account_id: str | None = Field(None, min_length=1, max_length=200)
    lead_id: str | None = Field(None, min_length=1, max_length=200)
    email: str | None = Field(None, min_length=3, max_length=320)
    source: str | None = Field(None, max_length=120, description="Who sent it (segment, 6sense, website …).")

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and "@" not in value:
            raise ValueError(f"{value!r} is not an e-mail address")
        return value.lower() if value is not None else None

    @model_validator(mode="after")
    def _who(self) -> IncomingEvent:
        if self.account_id is None and self.lead_id is None and self.email is None:
            raise ValueError("say who the event is about: give account_id, lead_id or email")
        if self.model_extra:
            self.properties = {**self.model_extra, **self.properties}
            self.model_extra.clear()
        return self

    def future_problem(self, now: datetime) -> str | None:
        """What is wrong with an event from the future (``now`` naive UTC), or None."""
        if naive_utc(self.occurred_at) > now + FUTURE:
            return (f"occurred_at {self.occurred_at.isoformat()} is more than a day after the server's clock: "
                    "send the time it happened, in UTC or with its zone")
        return None


@dataclass(frozen=True, slots=True)
class StoredEvent:
    seq: int
    event_id: str
    type: str
    occurred_at: datetime
    received_at: datetime
    account_id: str | None
    lead_id: str | None
    email: str | None
    properties: dict[str, Any]
    source: str | None

    def record(self) -> dict[str, Any]:
        """The event as a trigger's condition reads it: its properties by name, then type,
        occurred_at and source (which a property of the same name does not hide)."""
        return {**self.properties, "type": self.type, "occurred_at": self.occurred_at, "source": self.source}


class EventLog:
    """Appends events to ``_events`` with the next sequence numbers; the caller holds the
    transaction (and the store's writer lock)."""

    def __init__(self, con: Any) -> None:
        self.next_seq = int(con.execute("SELECT coalesce(max(seq), 0) FROM _events").fetchall()[0][0]) + 1

    def append(self, con: Any, events: Sequence[IncomingEvent], received_at: datetime,
               source: str | None = None) -> tuple[list[StoredEvent], list[bool]]:
        """Store the events not stored before. Returns the stored ones and, for each event given,
        whether it is new (False: its event_id was stored before or came earlier in ``events``).
        An event without an event_id gets one. Call inside a transaction."""
        for event in events:
            if event.event_id is None:
                event.event_id = content_id(event)
        seen = _existing(con, [e.event_id for e in events])  # type: ignore[misc]
        stored: list[StoredEvent] = []
        fresh: list[bool] = []
        for event in events:
            event_id: str = event.event_id  # type: ignore[assignment]
            if event_id in seen:
                fresh.append(False)
                continue
            seen.add(event_id)
            fresh.append(True)
            stored.append(StoredEvent(self.next_seq + len(stored), event_id, event.type, naive_utc(event.occurred_at),
                                      received_at, event.account_id, event.lead_id, event.email,
                                      event.properties, event.source or source))
        if stored:
            _insert(con, stored)
            self.next_seq += len(stored)
        return stored, fresh


def content_id(event: IncomingEvent) -> str:
    """The id of an event sent without one, fixed by what it says (type, time, who, properties):
    the same event sent again (a retried request, a file loaded twice) is stored once, and two
    identical events are one."""
    text = json.dumps(event.model_dump(mode="json", exclude={"event_id"}), sort_keys=True, default=str)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:32]


def _existing(con: Any, ids: list[str]) -> set[str]:
    if not ids:
        return set()
    rows = con.execute("SELECT event_id FROM _events WHERE event_id IN (SELECT unnest(?::VARCHAR[]))",
                       [ids]).fetchall()
    return {r[0] for r in rows}


def _insert(con: Any, events: list[StoredEvent]) -> None:
    columns: dict[str, list[Any]] = {n: [] for n in EVENT_NAMES}
    for e in events:
        for name in EVENT_NAMES:
            value = getattr(e, name)
            columns[name].append(json.dumps(value, default=str, separators=(",", ":")) if name == "properties"
                                 else value)
    table = pa.table({n: pa.array(v, _ARROW.get(n, pa.string())) for n, v in columns.items()})
    con.register("_event_rows", table)
    try:
        con.execute("INSERT INTO _events BY NAME SELECT * FROM _event_rows")
    finally:
        con.unregister("_event_rows")


def read_after(con: Any, seq: int, limit: int) -> list[StoredEvent]:
    """Stored events after sequence number ``seq``, in order, at most ``limit``."""
    rows = con.execute(f"SELECT {', '.join(EVENT_NAMES)} FROM _events WHERE seq > ? ORDER BY seq LIMIT ?",
                       [seq, limit]).fetchall()
    return [_stored(r) for r in rows]


def _stored(row: Sequence[Any]) -> StoredEvent:
    values = dict(zip(EVENT_NAMES, row))
    values["properties"] = json.loads(values["properties"]) if values["properties"] else {}
    return StoredEvent(**values)


# -- files ----------------------------------------------------------------------------------------
@dataclass
class RejectedEvent:
    line: int
    reason: str
    raw: str


def parse_lines(lines: Iterable[str], now: datetime | None = None) -> tuple[list[IncomingEvent], list[RejectedEvent]]:
    """Events from JSON lines (one object per line; blank lines skipped); each bad line is
    rejected with its line number and what is wrong with it."""
    now = now or datetime.now(timezone.utc).replace(tzinfo=None)
    good: list[IncomingEvent] = []
    bad: list[RejectedEvent] = []
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        if not text:
            continue
        try:
            event = IncomingEvent.model_validate_json(text)
        except ValidationError as exc:
            bad.append(RejectedEvent(number, describe(exc), text[:2000]))
            continue
        problem = event.future_problem(now)
        if problem is not None:
            bad.append(RejectedEvent(number, problem, text[:2000]))
        else:
            good.append(event)
    return good, bad


def describe(exc: ValidationError) -> str:
    """A pydantic error in words: field: problem; field: problem."""
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "event"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)
