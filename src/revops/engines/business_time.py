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

    def _busdays(self) -> np.busdaycalendar:
        return np.busdaycalendar(weekmask=self.weekmask,
                                 holidays=np.array(sorted(self.holidays), dtype="datetime64[D]"))

    def local(self, utc: Iterable[Any]) -> pd.DatetimeIndex:
        """Naive UTC instants as naive local times of the company (missing stay NaT).
        Instants that already carry a time zone are converted from it."""
        idx = pd.DatetimeIndex(pd.to_datetime(_as_array(utc)))
        if idx.tz is None:
            idx = idx.tz_localize("UTC")
        return idx.tz_convert(self.timezone).tz_localize(None)

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

    def _worked_today(self, t: pd.DatetimeIndex, day: np.ndarray, cal: np.busdaycalendar) -> np.ndarray:
        """Working minutes of ``t``'s own day that have passed by ``t``."""
        minute = np.asarray((t - t.normalize()) / pd.Timedelta(minutes=1), dtype="float64")
        worked = np.clip(minute - _minute_of_day(self.start), 0.0, self.minutes_per_day)
        return np.where(np.is_busday(day, busdaycal=cal), worked, 0.0)


def _minute_of_day(t: time) -> float:
    return t.hour * 60.0 + t.minute + t.second / 60.0


def _days(t: pd.DatetimeIndex) -> np.ndarray:
    return np.asarray(t.normalize().values, dtype="datetime64[D]")


def _as_array(values: Iterable[Any]) -> Sequence[Any] | np.ndarray | pd.Series:
    if isinstance(values, (pd.Series, pd.Index, np.ndarray, list, tuple)):
        return values
    return list(values)
