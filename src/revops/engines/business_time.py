"""Business time: how many minutes of the company's working hours lie between two instants.

Timestamps in the store are naive UTC. They are first turned into the company's local time
(``company.timezone``), then only the working hours count: ``business_hours.start`` to
``.end`` on ``business_hours.days``, never on ``company.holidays`` (local dates). With
09:00-17:00 Monday to Friday, a lead that became MQL on Friday at 16:00 and was called on
Monday at 10:00 waited 120 business minutes; one that arrived at 20:00 and was called at
09:30 the next working day waited 30.

Whole arrays are counted at once, so millions of rows cost a few numpy calls: every instant
``t`` has a running total ``B(t)`` = working days before its day x minutes per working day
+ the minutes of its own day worked by then (none on a day off), and the business minutes
from ``a`` to ``b`` are ``B(b) - B(a)``. ``numpy.busday_count`` counts the working days
between the two days, honouring the working week and the holidays.

The other way round, ``add_business_minutes`` (and ``add_business_days``) gives the instant a
number of business minutes after a start: the deadline of a business-hour SLA. The SLA
engine does the same arithmetic inside SQL (``engines/sla/business_clock.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, time
from typing import Any

import numpy as np
import pandas as pd

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class BusinessCalendar:
    """The company's working time: time zone, working day, working week and holidays."""

    timezone: str = "UTC"
    start: time = time(9)
    end: time = time(17)
    days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    holidays: tuple[date, ...] = ()

    @classmethod
    def of(cls, company: Any) -> BusinessCalendar:
        """The calendar of the revenue model's ``company`` section."""
        hours = company.business_hours
        return cls(timezone=company.timezone, start=hours.start_time, end=hours.end_time,
                   days=tuple(hours.days), holidays=tuple(company.holidays))

    @property
    def minutes_per_day(self) -> float:
        """Working minutes in one working day (0 when the end is not after the start)."""
        return max(_minute_of_day(self.end) - _minute_of_day(self.start), 0.0)

    @property
    def weekmask(self) -> str:
        """numpy's week mask, Monday first: '1111100' for Monday to Friday."""
        return "".join("1" if d in self.days else "0" for d in WEEKDAYS)

    def busday_calendar(self) -> np.busdaycalendar:
        """numpy's calendar of working days: the working week less the holidays."""
        return np.busdaycalendar(weekmask=self.weekmask,
                                 holidays=np.array(sorted(self.holidays), dtype="datetime64[D]"))

    _busdays = busday_calendar

    def local(self, utc: Iterable[Any]) -> pd.DatetimeIndex:
        """Naive UTC instants as naive local times of the company (missing stay NaT).
        Instants that already carry a time zone are converted from it."""
        return utc_instants(utc).tz_localize("UTC").tz_convert(self.timezone).tz_localize(None)

    def minutes_between(self, start: Iterable[Any], stop: Iterable[Any]) -> np.ndarray:
        """Business minutes from each ``start`` to its ``stop`` (naive UTC instants), as floats.

        NaN where either is missing; negative when ``stop`` is before ``start``."""
        a, b = self.local(start), self.local(stop)
        if len(a) != len(b):
            raise ValueError(f"{len(a)} start instants but {len(b)} stop instants")
        out = np.full(len(a), np.nan)
        known = ~(a.isna() | b.isna())
        if not known.any():
            return out
        a, b = a[known], b[known]
        cal = self._busdays()
        day_a, day_b = _days(a), _days(b)
        whole_days = np.busday_count(day_a, day_b, busdaycal=cal).astype("float64")
        out[known] = (whole_days * self.minutes_per_day
                      + self._worked_today(b, day_b, cal) - self._worked_today(a, day_a, cal))
        return out

    def add_business_minutes(self, starts: Iterable[Any], minutes: Any) -> np.ndarray:
        """The naive UTC instant ``minutes`` business minutes after each of ``starts``.

        ``minutes`` is one number for all rows or one per row (not negative). The clock
        only runs in working hours: with 09:00-17:00 Monday to Friday, 60 minutes after
        Friday 16:30 is Monday 09:30, and 60 minutes after Saturday noon is Monday 10:00.
        A deadline that lands exactly on closing time stays there (4 business hours from
        13:00 is 17:00 the same day, not 09:00 the next). Adding 0 leaves the instant as it
        is. Missing starts or minutes give NaT. The inverse of ``minutes_between``:
        ``minutes_between(s, add_business_minutes(s, m)) == m``.
        """
        a = self.local(starts)
        m = np.broadcast_to(np.asarray(minutes, dtype="float64"), (len(a),))
        out = np.full(len(a), np.datetime64("NaT"), dtype="datetime64[us]")
        known = ~(a.isna() | np.isnan(m))
        if np.any(m[known] < 0):
            raise ValueError("business minutes to add must not be negative")
        if self.minutes_per_day <= 0:
            raise ValueError(f"business hours {self.start}-{self.end} hold no working minutes")
        zero = known & (m == 0)
        out[zero] = np.asarray(utc_instants(starts)[zero], dtype="datetime64[us]")
        todo = known & (m > 0)
        if not todo.any():
            return out
        a, m = a[todo], m[todo]
        cal = self._busdays()
        day = _days(a)
        # minutes of the first working day (on or after the start's day) already gone by the start
        worked = self._worked_today(a, day, cal)
        first = np.busday_offset(day, 0, roll="forward", busdaycal=cal)
        total = worked + m
        whole = np.ceil(total / self.minutes_per_day).astype("int64") - 1
        due_day = np.busday_offset(first, whole, roll="forward", busdaycal=cal)
        into = total - whole * self.minutes_per_day
        micros = np.round((_minute_of_day(self.start) + into) * 60e6).astype("int64")
        local_due = pd.DatetimeIndex(due_day.astype("datetime64[us]") + micros.astype("timedelta64[us]"))
        out[todo] = np.asarray(self.to_utc(local_due), dtype="datetime64[us]")
        return out

    def add_business_days(self, starts: Iterable[Any], days: Any) -> np.ndarray:
        """``days`` business days after each start, a business day being one working day's
        hours (``minutes_per_day``): 1 business day after Friday 10:00 is Monday 10:00, after
        Tuesday 20:00 it is Wednesday 17:00 (the end of the next full working day)."""
        return self.add_business_minutes(starts, np.asarray(days, dtype="float64") * self.minutes_per_day)

    def to_utc(self, local: pd.DatetimeIndex) -> pd.DatetimeIndex:
        """Naive local times of the company as naive UTC instants. A local time the clocks
        skip (spring forward) moves to the first instant after the gap; one they repeat
        (fall back) is read as the first of the two."""
        aware = local.tz_localize(self.timezone, nonexistent="shift_forward",
                                  ambiguous=np.ones(len(local), dtype=bool))
        return aware.tz_convert("UTC").tz_localize(None)

    def _worked_today(self, t: pd.DatetimeIndex, day: np.ndarray, cal: np.busdaycalendar) -> np.ndarray:
        """Working minutes of ``t``'s own day that have passed by ``t``."""
        minute = np.asarray((t - t.normalize()) / pd.Timedelta(minutes=1), dtype="float64")
        worked = np.clip(minute - _minute_of_day(self.start), 0.0, self.minutes_per_day)
        return np.where(np.is_busday(day, busdaycal=cal), worked, 0.0)


def _minute_of_day(t: time) -> float:
    return t.hour * 60.0 + t.minute + t.second / 60.0


def utc_instants(values: Iterable[Any]) -> pd.DatetimeIndex:
    """Instants as naive UTC (naive input is UTC already; aware input is converted)."""
    idx = pd.DatetimeIndex(pd.to_datetime(_as_array(values)))
    return idx if idx.tz is None else idx.tz_convert("UTC").tz_localize(None)


def _days(t: pd.DatetimeIndex) -> np.ndarray:
    return np.asarray(t.normalize().values, dtype="datetime64[D]")


def _as_array(values: Iterable[Any]) -> Sequence[Any] | np.ndarray | pd.Series:
    if isinstance(values, (pd.Series, pd.Index, np.ndarray, list, tuple)):
        return values
    return list(values)
