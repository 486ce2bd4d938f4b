"""SLA clocks: one row per SLA and record whose start event happened, as an Ibis table.

For each SLA of the model (``slas``) and each record of its table with a start by the
moment asked about (``at``):

| column | meaning |
| --- | --- |
| sla | the SLA's key |
| record_id | the record (lead_id, opportunity_id …) |
| owner_id | the record's owner (its ``owner_id``), who is asked to act |
| owner_team | the team the SLA holds accountable (``owner_team`` in the model) |
| started_at | the start event (a start that repeats: its latest occurrence by ``at``) |
| due_at | started_at + duration in the SLA's unit; business units count the company's working hours (business_time) |
| remind_at | due_at less ``reminder_before`` (same unit); null without one |
| stopped_at | the stop event by ``at`` (a stop that repeats: its first occurrence at or after the start) |
| state | met: stopped on or before due_at; breached: stopped after due_at, or running and ``at`` is past due_at; due: running, not yet due |
| reminder | due, and ``at`` is at or past remind_at |
| minutes_late | breached: minutes from due_at to stopped_at (or to ``at`` while still open) |
| minutes_remaining | due: minutes from ``at`` to due_at |
| elapsed_minutes | minutes on the SLA's clock (business minutes for business units) from start to stop, or to ``at`` while running; 0 when the stop came first |

A stop that came before the start (a lead called before it became an MQL) kept the promise
early: met. Nothing after ``at`` is seen: a later stop leaves the clock running, a later
start leaves the record out. An SLA's ``filter`` chooses the records it applies to, on their
current fields. Minutes are clock minutes unless said otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from revops.engines.business_time import BusinessCalendar, utc_instants
from revops.engines.sla import business_clock
from revops.engines.sla.events import EventRows, Tables, event_rows, record_key
from revops.model.events import resolve_event
from revops.errors import SlaError

CLOCK_COLUMNS: tuple[str, ...] = (
    "sla", "record_id", "owner_id", "owner_team", "started_at", "due_at", "remind_at", "stopped_at",
    "state", "reminder", "minutes_late", "minutes_remaining", "elapsed_minutes")
CLOCK_TYPES: dict[str, str] = {
    "sla": "string", "record_id": "string", "owner_id": "string", "owner_team": "string",
    "started_at": "timestamp", "due_at": "timestamp", "remind_at": "timestamp", "stopped_at": "timestamp",
    "state": "string", "reminder": "boolean", "minutes_late": "float64", "minutes_remaining": "float64",
    "elapsed_minutes": "float64"}
STATES: tuple[str, ...] = ("due", "met", "breached")
CLOCK_MINUTES = {"minutes": 1.0, "hours": 60.0, "days": 1440.0}
BUSINESS_UNITS = ("business_hours", "business_days")


@dataclass(frozen=True)
class ClockRequest:
    """Which clocks, seen at which moment."""

    at: datetime
    """The moment the clocks are read at (naive UTC)."""
    keys: tuple[str, ...] = ()
    """SLA keys; empty: every SLA of the model."""
    started_from: date | None = None
    started_to: date | None = None
    """Only clocks started on these days (inclusive)."""


def unit_minutes(unit: str, cal: BusinessCalendar) -> float:
    """Minutes one unit of an SLA duration holds on its own clock."""
    if unit == "business_hours":
        return 60.0
    if unit == "business_days":
        return cal.minutes_per_day
    return CLOCK_MINUTES[unit]


def deadlines(sla: Any, company: Any, starts: Any) -> np.ndarray:
    """When clocks of ``sla`` started at ``starts`` (naive UTC) are due, computed in Python:
    the same instants as ``due_at``, for a caller holding a few records (a lead routed in
    real time) rather than a table."""
    cal = BusinessCalendar.of(company)
    minutes = sla.duration * unit_minutes(sla.unit, cal)
    if sla.unit in BUSINESS_UNITS:
        return cal.add_business_minutes(starts, minutes)
    due = utc_instants(starts) + pd.Timedelta(microseconds=int(round(minutes * 60e6)))
    return np.asarray(due, dtype="datetime64[us]")


def policies(model: Any, keys: tuple[str, ...] = ()) -> list[Any]:
    """The model's SLAs named by ``keys`` (all when empty), or an SlaError naming the choices."""
    if not keys:
        return list(model.slas)
    known = {s.key: s for s in model.slas}
    unknown = [k for k in keys if k not in known]
    if unknown:
        import difflib

        close = difflib.get_close_matches(unknown[0], list(known), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise SlaError(f"no SLA {unknown[0]!r} in the model{hint}; its SLAs: {', '.join(known) or 'none'} "
                       "(slas in revops.yaml)")
    return [known[k] for k in dict.fromkeys(keys)]


def sla_clocks(con: Any, model: Any, request: ClockRequest, tables: Tables | None = None,
               exact: bool = False) -> ir.Table:
    """Every clock ``request`` asks for, as one Ibis table with ``CLOCK_COLUMNS``.

    ``con`` runs the one small query that bounds the business calendar; ``tables`` finds
    the canonical tables (default ``con.table``). Minutes are rounded to 3 decimals for
    people to read, unless ``exact`` (metrics aggregate the exact minutes)."""
    tables = tables or con.table
    slas = policies(model, request.keys)
    if not slas:
        raise SlaError("the model has no SLAs; add some under slas in revops.yaml (see docs/sla.md)")
    at = _timestamp(request.at)
    starts = {s.key: _starts(s, tables, model, at, request) for s in slas}
    cal = BusinessCalendar.of(model.company)
    calendar = _calendar(con, cal, [s for s in slas if s.unit in BUSINESS_UNITS], starts, request)
    parts = [_clock(s, starts[s.key], tables, model, at, cal, calendar, exact) for s in slas]
    return parts[0] if len(parts) == 1 else ibis.union(*parts, distinct=False)


def _timestamp(value: datetime) -> ir.TimestampValue:
    return ibis.literal(value.replace(tzinfo=None).isoformat(sep=" ")).cast("timestamp")


def _starts(sla: Any, tables: Tables, model: Any, at: ir.Value, request: ClockRequest) -> ir.Table:
    """record_id, owner_id, started_at of the records the SLA applies to, and stopped_at too
    when both events are fields of the record (one scan of its table, no join)."""
    start, stop = _event(sla, "start", tables, model), _event(sla, "stop", tables, model)
    rec = _records(sla, start.table, tables, request)
    if start.event.field is not None:
        started = rec[start.event.field].cast("timestamp")
        s = _started_window(rec.filter(started.notnull() & (started <= at)), started, request)
        cols = {"record_id": s[record_key(start.table)].cast("string"), "owner_id": _owner(s),
                "started_at": s[start.event.field].cast("timestamp")}
        if stop.event.field is not None and stop.table == start.table:
            stopped = s[stop.event.field].cast("timestamp")
            cols["stopped_at"] = ibis.ifelse(stopped <= at, stopped, ibis.null("timestamp"))
        return s.select(**cols)
    s = start.rows.filter(start.rows.at <= at)
    s = _started_window(s, s.at, request)
    if start.repeats:
        s = s.group_by("record_id").aggregate(at=s.at.max())
    rec = rec.select(__rid=rec[record_key(start.table)].cast("string"), owner_id=_owner(rec))
    j = s.inner_join(rec, s.record_id == rec.__rid)
    return j.select("record_id", "owner_id", started_at=j.at)


def _records(sla: Any, table: str, tables: Tables, request: ClockRequest) -> ir.Table:
    """The SLA's table, narrowed by its filter."""
    rec = tables(table)
    if not sla.filter.strip():
        return rec
    from revops.model.expressions import parse

    try:
        return rec.filter(parse(sla.filter).to_ibis(rec, now=request.at).fill_null(False))
    except Exception as exc:
        raise SlaError(f"SLA {sla.key!r}: filter {sla.filter!r} cannot be applied to {table}: {exc}") from None


def _owner(t: ir.Table) -> ir.StringValue:
    return t.owner_id.cast("string") if "owner_id" in t.columns else ibis.null("string")


def _started_window(t: ir.Table, started: ir.Value, request: ClockRequest) -> ir.Table:
    if request.started_from is not None:
        t = t.filter(started.cast("date") >= request.started_from)
    if request.started_to is not None:
        t = t.filter(started.cast("date") <= request.started_to)
    return t


def _event(sla: Any, end: str, tables: Tables, model: Any) -> EventRows:
    ref = getattr(sla, end)
    try:
        return event_rows(ref, tables, model)
    except ValueError as exc:
        raise SlaError(f"SLA {sla.key!r}: {end} event: {exc}") from None
    except Exception as exc:  # a backend without the table the event reads
        raise SlaError(f"SLA {sla.key!r}: cannot read the {end} event {ref!r}: {exc}") from None


def _stops(sla: Any, starts: ir.Table, tables: Tables, model: Any, at: ir.Value) -> ir.Table:
    """__stop_rid, stopped_at: the stop each started record has by ``at``. A named stop event
    (first touch, kickoff held) is read for the started records only: it reads no other
    record's row, and an SLA that applies to few records (expansion signals) should not pay
    for every deal's activities."""
    event = resolve_event(sla.stop)
    if event.field is None:
        key = record_key(event.table)

        def scoped(name: str) -> ir.Table:
            t = tables(name)
            return t.semi_join(starts, t[key].cast("string") == starts.record_id) if name == event.table else t

        stop = _event(sla, "stop", scoped, model)
    else:
        stop = _event(sla, "stop", tables, model)
    p = stop.rows.filter(stop.rows.at <= at)
    if stop.repeats:
        s = starts.select(__sid=starts.record_id, __started=starts.started_at)
        j = s.inner_join(p, s.__sid == p.record_id)
        j = j.filter(j.at >= j.__started)
        return j.group_by(__stop_rid=j.__sid).aggregate(stopped_at=j.at.min())
    return p.select(__stop_rid=p.record_id, stopped_at=p.at)


def _calendar(con: Any, cal: BusinessCalendar, business: list[Any], starts: dict[str, ir.Table],
              request: ClockRequest) -> business_clock.CalendarTables | None:
    """The calendar the business SLAs need: from their earliest start to past the latest due."""
    if not business:
        return None
    first = request.started_from or _earliest(con, [starts[s.key] for s in business]) or request.at.date()
    longest = max(s.duration * unit_minutes(s.unit, cal) for s in business)
    last = request.at.date() + timedelta(days=business_clock.span_days(cal, longest))
    return business_clock.calendar_tables(cal, first, last)


def _earliest(con: Any, starts: list[ir.Table]) -> date | None:
    values = [con.execute(s.started_at.min()) for s in starts]
    values = [v for v in values if v is not None and v == v]  # NaT compares unequal to itself
    return min(values).date() if values else None


def _clock(sla: Any, starts: ir.Table, tables: Tables, model: Any, at: ir.Value, cal: BusinessCalendar,
           calendar: business_clock.CalendarTables | None, exact: bool = False) -> ir.Table:
    if "stopped_at" in starts.columns:
        t = starts
    else:
        stops = _stops(sla, starts, tables, model, at)
        t = starts.left_join(stops, starts.record_id == stops.__stop_rid).drop("__stop_rid")
    per_unit = unit_minutes(sla.unit, cal)
    allowed = sla.duration * per_unit
    remind = None if sla.reminder_before is None else (sla.duration - sla.reminder_before) * per_unit
    t = t.mutate(__end=ibis.greatest(t.started_at, t.stopped_at.fill_null(at)))
    if sla.unit in BUSINESS_UNITS:
        assert calendar is not None
        t = business_clock.with_position(t, "started_at", "__p_start", calendar)
        t = business_clock.with_position(t, "__end", "__p_end", calendar)
        t = business_clock.with_deadline(t, "__p_start", allowed, "due_at", calendar)
        if remind is not None:
            t = business_clock.with_deadline(t, "__p_start", remind, "remind_at", calendar)
        t = t.mutate(elapsed_minutes=t.__p_end - t.__p_start)
    else:
        t = t.mutate(due_at=t.started_at + _minutes(allowed),
                     elapsed_minutes=_minutes_between(t.started_at, t.__end))
        if remind is not None:
            t = t.mutate(remind_at=t.started_at + _minutes(remind))
    if remind is None:
        t = t.mutate(remind_at=ibis.null("timestamp"))
    stopped = t.stopped_at.notnull()
    state = ibis.cases((stopped & (t.stopped_at <= t.due_at), "met"), (stopped, "breached"),
                       (at > t.due_at, "breached"), else_="due")
    t = t.mutate(state=state)
    t = t.mutate(
        sla=ibis.literal(sla.key), owner_team=ibis.literal(sla.owner_team),
        reminder=((t.state == "due") & (at >= t.remind_at)).fill_null(False),
        minutes_late=ibis.ifelse(t.state == "breached", _minutes_between(t.due_at, t.stopped_at.fill_null(at)),
                                 ibis.null("float64")),
        minutes_remaining=ibis.ifelse(t.state == "due", _minutes_between(at, t.due_at), ibis.null("float64")))
    if not exact:
        t = t.mutate(**{c: t[c].round(3) for c in ("minutes_late", "minutes_remaining", "elapsed_minutes")})
    return t.select(*CLOCK_COLUMNS).cast(CLOCK_TYPES)


def _minutes(minutes: float) -> ir.IntervalScalar:
    return ibis.interval(microseconds=int(round(minutes * 60e6)))


def _minutes_between(a: ir.Value, b: ir.Value) -> ir.FloatingValue:
    return (b.epoch_seconds() - a.epoch_seconds()).cast("float64") / 60.0
