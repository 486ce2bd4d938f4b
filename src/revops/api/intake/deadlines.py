"""By when a lead just taken must be contacted: the ``sla_due_at`` of the answer.

The clock that runs for the lead is, in order:

1. an SLA of the model on leads that starts on a field of the lead (the default
   ``mql_to_first_contact``: ``lead.mql_at`` to ``lead.first_contacted_at``, 4 business
   hours): when the start field is set, the stop field is not, and the SLA's filter holds;
   due = start + duration, business units counted in the company's working hours and holidays
   (``BusinessCalendar``), exactly as ``revops sla status`` counts them;
2. else, for a lead just assigned to a rep, ``routing.fallback``: the first touch is due
   ``after`` (4 business hours by default) the assignment, when the fallback moves it on
   (the deadline ``revops route --fallbacks`` enforces);
3. else none (nurture, a queue, an unplaced lead): null.

Business deadlines come from ``BusinessCalendar.add_business_minutes`` (pandas: a few
milliseconds a call), kept per duration for the stretch of time over which the answer moves
in step with the start: while the start and its deadline both fall inside working hours, a
start later by x is due later by x; while the start falls outside them (a night, a weekend),
every start is due at the same moment. The stretches come from the company's working hours
read by routing's ``ShiftClock``, with the same holidays; a deadline landing on a boundary is
computed afresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from revops.engines.business_time import BusinessCalendar
from revops.engines.routing.shifts import clock_factory
from revops.engines.sla.clocks import BUSINESS_UNITS, unit_minutes
from revops.model.events import resolve_event
from revops.model.expressions import parse

FALLBACK = "routing.fallback"


@dataclass(frozen=True)
class _LeadClock:
    key: str
    start: str
    stop: str | None
    minutes: float
    business: bool
    filter: Any


class FirstContactClock:
    def __init__(self, model: Any) -> None:
        self.model = model
        self.calendar = BusinessCalendar.of(model.company)
        self.clocks: list[_LeadClock] = []
        for sla in model.slas:
            try:
                start, stop = resolve_event(sla.start), resolve_event(sla.stop)
            except ValueError:
                continue
            if start.table != "leads" or start.field is None:
                continue
            self.clocks.append(_LeadClock(
                sla.key, start.field, stop.field if stop.table == "leads" else None,
                sla.duration * unit_minutes(sla.unit, self.calendar), sla.unit in BUSINESS_UNITS,
                parse(sla.filter) if sla.filter.strip() else None))
        self.shift = clock_factory(model.company)(model.company.timezone)
        self._stretches: dict[float, tuple[datetime, datetime, datetime, datetime, bool]] = {}
        """Per duration: (from, until, start, its due, moves with the start)."""
        fb = model.routing.fallback
        self.fallback: tuple[str, float, bool] | None = None
        """routing.fallback as (clock, minutes, in business time), when it has a delay."""
        if fb is not None and fb.after is not None:
            unit = fb.unit or "business_hours"
            self.fallback = (FALLBACK, fb.after * unit_minutes(unit, self.calendar), unit in BUSINESS_UNITS)

    def due(self, leads: list[dict[str, Any]], assigned: list[bool], now: datetime) -> list[tuple[str | None, datetime | None]]:
        """(clock, due time) per lead; ``assigned``: whether the lead was just given to a rep.
        Business deadlines are computed in one call for the whole batch, once per distinct start."""
        out: list[tuple[str | None, datetime | None]] = [(None, None)] * len(leads)
        business: dict[tuple[datetime, float], list[tuple[int, str]]] = {}
        for i, lead in enumerate(leads):
            clock = self._clock_of(lead, now)
            if clock is not None:
                start = lead[clock.start]
                start = start if isinstance(start, datetime) else datetime(start.year, start.month, start.day)
                key, minutes, on_business = clock.key, clock.minutes, clock.business
            elif assigned[i] and self.fallback is not None:
                start, (key, minutes, on_business) = now, self.fallback
            else:
                continue
            if on_business:
                business.setdefault((start, minutes), []).append((i, key))
            else:
                out[i] = (key, start + timedelta(minutes=minutes))
        for (start, minutes), leads_due in business.items():
            moment = self.business_due(start, minutes)
            for i, key in leads_due:
                out[i] = (key, moment)
        return out

    def business_due(self, start: datetime, minutes: float) -> datetime | None:
        """``minutes`` business minutes after ``start`` (naive UTC), from the stretch cache."""
        stretch = self._stretches.get(minutes)
        if stretch is not None and stretch[0] <= start < stretch[1]:
            base, due, moves = stretch[2], stretch[3], stretch[4]
            return due + (start - base) if moves else due
        value = self.calendar.add_business_minutes([start], np.array([minutes]))[0]
        if np.isnat(value):
            return None
        due = pd.Timestamp(value).to_pydatetime()
        at_start, at_due = self.shift.status(start), self.shift.status(due)
        if not at_start.at_work:
            self._stretches[minutes] = (start, at_start.valid_until, start, due, False)
        elif at_due.at_work and at_due.valid_from <= due < at_due.valid_until:
            span = min(at_start.valid_until - start, at_due.valid_until - due)
            self._stretches[minutes] = (start, start + span, start, due, True)
        return due

    def _clock_of(self, lead: dict[str, Any], now: datetime) -> _LeadClock | None:
        for clock in self.clocks:
            if lead.get(clock.start) is None:
                continue
            if clock.stop is not None and lead.get(clock.stop) is not None:
                continue
            if clock.filter is not None and not clock.filter.matches(lead, now):
                continue
            return clock
        return None


