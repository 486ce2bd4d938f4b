"""Working hours in a rep's own time zone: is the rep at work at an instant, which of their
days and weeks is it (caps count per local day and ISO week), and when does their next
working day start.

The company's business hours (``company.business_hours``: start, end, working days) and
holidays apply to every rep, read on the rep's own clock: with 09:00-17:00, a rep in
Europe/Paris works 08:00-16:00 UTC in winter while one in America/Chicago works 15:00-23:00.

Routing asks this for every candidate of every decision, so each time zone keeps the
answer for the stretch of time it holds (e.g. "at work from 14:00 to 22:00 UTC on local day
N") and answers from it with two comparisons until the instant leaves the stretch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from revops.engines.business_time import WEEKDAYS

_UTC = timezone.utc


@dataclass(frozen=True, slots=True)
class ShiftStatus:
    """A rep's clock at an instant (naive UTC instants throughout)."""

    at_work: bool
    day: int
    """The local date as an ordinal (date.toordinal())."""
    week: int
    """The local ISO week as year * 100 + week."""
    next_start: datetime
    """When the rep is next at work: the instant itself while at work, else the next start."""
    valid_from: datetime
    valid_until: datetime


class ShiftClock:
    """The working hours of one time zone, answered from a cached stretch of time."""

    __slots__ = ("zone_name", "zone", "start", "end", "workdays", "holidays", "_cached")

    def __init__(self, zone_name: str | None, start: time, end: time, days: tuple[str, ...],
                 holidays: frozenset[date] = frozenset()) -> None:
        self.zone_name = zone_name or "UTC"
        try:
            self.zone = ZoneInfo(self.zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            self.zone_name, self.zone = "UTC", ZoneInfo("UTC")
        self.start, self.end = start, end
        self.workdays = frozenset(WEEKDAYS.index(d) for d in days)
        self.holidays = holidays
        self._cached: ShiftStatus | None = None

    def status(self, at: datetime) -> ShiftStatus:
        cached = self._cached
        if cached is not None and cached.valid_from <= at < cached.valid_until:
            return cached
        fresh = self._compute(at)
        self._cached = fresh  # one attribute store: threads see the old or the new stretch
        return fresh

    def local(self, at: datetime) -> datetime:
        """The naive local wall-clock time of a naive UTC instant."""
        return at.replace(tzinfo=_UTC).astimezone(self.zone).replace(tzinfo=None)

    def is_workday(self, day: date) -> bool:
        return day.weekday() in self.workdays and day not in self.holidays

    def _utc(self, day: date, t: time) -> datetime:
        return datetime.combine(day, t, tzinfo=self.zone).astimezone(_UTC).replace(tzinfo=None)

    def _compute(self, at: datetime) -> ShiftStatus:
        day = self.local(at).date()
        day_start = self._utc(day, time(0))
        day_end = self._utc(day + timedelta(days=1), time(0))
        iso = day.isocalendar()
        week = iso[0] * 100 + iso[1]
        if self.is_workday(day) and self.end > self.start:
            start, end = self._utc(day, self.start), self._utc(day, self.end)
            if start <= at < end:
                return ShiftStatus(True, day.toordinal(), week, at, start, end)
            if at < start:
                return ShiftStatus(False, day.toordinal(), week, start, day_start, start)
            return ShiftStatus(False, day.toordinal(), week, self._next_start(day), end, day_end)
        return ShiftStatus(False, day.toordinal(), week, self._next_start(day), day_start, day_end)

    def _next_start(self, day: date) -> datetime:
        """The start of the first working day after ``day`` (a far instant if none in a year)."""
        if self.end <= self.start:
            return datetime.max
        for ahead in range(1, 366):
            d = day + timedelta(days=ahead)
            if self.is_workday(d):
                return self._utc(d, self.start)
        return datetime.max


def clock_factory(company: Any) -> Callable[[str | None], ShiftClock]:
    """A function time-zone name -> ShiftClock, one clock per zone, for the model's company."""
    hours = company.business_hours
    start, end, days = hours.start_time, hours.end_time, tuple(hours.days)
    holidays = frozenset(company.holidays)
    clocks: dict[str, ShiftClock] = {}

    def clock(zone_name: str | None) -> ShiftClock:
        key = zone_name or "UTC"
        found = clocks.get(key)
        if found is None:
            found = clocks[key] = ShiftClock(key, start, end, days, holidays)
        return found

    return clock
