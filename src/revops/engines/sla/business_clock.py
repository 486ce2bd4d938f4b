"""Business-hour deadlines in SQL: the company calendar as two small tables every backend joins.

``BusinessCalendar.add_business_minutes`` does this in numpy; here the same arithmetic runs
where the data is (DuckDB, Spark, Postgres), so millions of clocks never leave the backend
and no backend needs time zone functions. Only a few thousand calendar rows are sent.

Every working day of the calendar is numbered ``k = 0, 1, 2 …`` and holds
``minutes_per_day`` business minutes, so an instant ``s`` has a *position*

    P(s) = (working days before s's local day) x minutes_per_day
           + the minutes of s's own working day gone by s (none on a day off)

and a deadline ``m`` business minutes later is at position ``T = P(s) + m``: on working
day ``k = ceil(T / minutes_per_day) - 1``, ``T - k x minutes_per_day`` minutes after it
opens. ``P(b) - P(a)`` is ``minutes_between(a, b)``.

Table ``segments``: stretches of UTC time that lie in one local day (a local day overlaps
one to three UTC dates), keyed by UTC date so an instant finds its stretch by an equality
join on its date plus a range check. Table ``workdays``: the UTC opening instant of working
day ``k``. Both come from ``BusinessCalendar``: time zone, daylight saving time, working
week and holidays are settled in Python once. Instants count to the second (the backends'
epoch seconds). The clocks are assumed not to change *during* working hours (they change at
night everywhere in practice).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa

from revops.engines.business_time import BusinessCalendar

_P = "__cal_"  # prefix of the calendar columns joined in (dropped again)


@dataclass(frozen=True)
class CalendarTables:
    calendar: BusinessCalendar
    first: date
    last: date
    segments: ir.Table
    workdays: ir.Table

    @property
    def minutes_per_day(self) -> float:
        return self.calendar.minutes_per_day


def calendar_tables(cal: BusinessCalendar, first: date, last: date) -> CalendarTables:
    """The calendar from local day ``first`` to ``last`` (a day of margin either side)."""
    if cal.minutes_per_day <= 0:
        raise ValueError(f"business hours {cal.start}-{cal.end} hold no working minutes")
    days = np.arange(np.datetime64(first - timedelta(days=2)), np.datetime64(last + timedelta(days=3)),
                     dtype="datetime64[D]")
    edges = cal.to_utc(pd.DatetimeIndex(np.append(days, days[-1] + 1).astype("datetime64[us]")))
    busdays = cal.busday_calendar()
    working = np.is_busday(days, busdaycal=busdays)
    before = np.busday_count(days[0], days, busdaycal=busdays)
    opens = cal.to_utc(pd.DatetimeIndex(days.astype("datetime64[us]"))
                       + pd.Timedelta(hours=cal.start.hour, minutes=cal.start.minute))

    # split each local day [edges[i], edges[i+1]) at UTC midnights
    day_start, day_end = edges[:-1], edges[1:]
    first_date = day_start.normalize()
    last_date = (day_end - pd.Timedelta(microseconds=1)).normalize()
    pieces = ((last_date - first_date) // pd.Timedelta(days=1)).astype("int64") + 1
    day = np.repeat(np.arange(len(days)), pieces)
    nth = np.arange(len(day)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    utc_date = first_date[day] + pd.to_timedelta(nth, unit="D")
    seg_start = np.maximum(day_start[day], utc_date)
    seg_end = np.minimum(day_end[day], utc_date + pd.Timedelta(days=1))
    us = pa.timestamp("us")
    segments = pa.table({
        f"{_P}date": pa.array(np.asarray(utc_date, dtype="datetime64[D]"), pa.date32()),
        f"{_P}from": pa.array(np.asarray(seg_start, dtype="datetime64[us]"), us),
        f"{_P}until": pa.array(np.asarray(seg_end, dtype="datetime64[us]"), us),
        f"{_P}before": pa.array(before[day].astype("int64")),
        f"{_P}working": pa.array(working[day]),
        f"{_P}opens": pa.array(np.asarray(opens[day], dtype="datetime64[us]"), us),
    })
    workdays = pa.table({
        f"{_P}k": pa.array(before[working].astype("int64")),
        f"{_P}day_opens": pa.array(np.asarray(opens[working], dtype="datetime64[us]"), us),
    })
    return CalendarTables(cal, first, last, ibis.memtable(segments), ibis.memtable(workdays))


def span_days(cal: BusinessCalendar, business_minutes: float) -> int:
    """Calendar days that surely hold ``business_minutes`` of working time, from any start."""
    working_days = math.ceil(business_minutes / cal.minutes_per_day) + 1
    per_week = max(cal.weekmask.count("1"), 1)
    return math.ceil(working_days * 7 / per_week) + len(cal.holidays) + 7


def with_position(t: ir.Table, column: str, name: str, tables: CalendarTables) -> ir.Table:
    """``t`` with ``name``: the business-minute position of ``t[column]`` (null when it is
    null or outside the calendar)."""
    seg = tables.segments
    s = t[column]
    j = t.left_join(seg, [s.cast("date") == seg[f"{_P}date"], s >= seg[f"{_P}from"], s < seg[f"{_P}until"]])
    mpd = float(tables.minutes_per_day)
    into_day = ((j[column].epoch_seconds() - j[f"{_P}opens"].epoch_seconds()).cast("float64") / 60.0)
    worked = ibis.ifelse(j[f"{_P}working"], into_day.clip(lower=0.0, upper=mpd), 0.0)
    j = j.mutate(**{name: j[f"{_P}before"].cast("float64") * mpd + worked})
    return j.drop(*tables.segments.columns)


def with_deadline(t: ir.Table, position: str, minutes: float, name: str, tables: CalendarTables) -> ir.Table:
    """``t`` with ``name``: the UTC instant ``minutes`` business minutes after the instant
    whose position is ``t[position]``."""
    mpd = float(tables.minutes_per_day)
    target = t[position] + float(minutes)
    t = t.mutate(__due_target=target, __due_k=(target / mpd).ceil().cast("int64") - 1)
    w = tables.workdays
    j = t.left_join(w, t.__due_k == w[f"{_P}k"])
    into = ((j.__due_target - j.__due_k.cast("float64") * mpd) * 60e6).round().cast("int64")
    j = j.mutate(**{name: j[f"{_P}day_opens"] + into.as_interval("us")})
    return j.drop(*w.columns, "__due_target", "__due_k")
