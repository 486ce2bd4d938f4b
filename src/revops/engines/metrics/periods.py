"""Fiscal periods: which month, quarter or year a date falls in, honouring the fiscal-year start.

Labels are the contract's: months ``2017-03`` (calendar months), quarters ``2017-Q1`` and
years ``2017``. A fiscal year that starts in a month other than January is named after the
calendar year in which it ends (FY2018 runs from February 2017 to January 2018), the usual
convention; quarters count from the fiscal-year start.

Bucketing is plain integer arithmetic on year and month (a period key, named on the small
result), so it compiles the same way on every Ibis backend.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import ibis
import ibis.expr.types as ir
import pandas as pd

from revops.errors import RevopsError

PeriodKind = Literal["month", "quarter", "year"]
PERIOD_KINDS: tuple[str, ...] = ("month", "quarter", "year")


@dataclass(frozen=True)
class FiscalCalendar:
    start_month: int = 1

    # -- one date -------------------------------------------------------------------------
    def fiscal_year(self, d: date) -> int:
        return d.year + (1 if self.start_month > 1 and d.month >= self.start_month else 0)

    def fiscal_quarter(self, d: date) -> int:
        return (d.month - self.start_month) % 12 // 3 + 1

    def label(self, d: date, kind: PeriodKind) -> str:
        if kind == "month":
            return f"{d.year:04d}-{d.month:02d}"
        if kind == "quarter":
            return f"{self.fiscal_year(d):04d}-Q{self.fiscal_quarter(d)}"
        return f"{self.fiscal_year(d):04d}"

    def period_start(self, d: date, kind: PeriodKind) -> date:
        if kind == "month":
            return d.replace(day=1)
        months_in = (d.month - self.start_month) % 12
        if kind == "quarter":
            months_in = months_in % 3
        return add_months(d.replace(day=1), -months_in)

    def period_end(self, d: date, kind: PeriodKind) -> date:
        """The last day of the period ``d`` falls in."""
        span = {"month": 1, "quarter": 3, "year": 12}[kind]
        return add_months(self.period_start(d, kind), span) - timedelta(days=1)

    def label_start(self, label: str, kind: PeriodKind) -> date:
        """The first day of the period a label names (inverse of ``label``)."""
        if kind == "month":
            return date(int(label[:4]), int(label[5:7]), 1)
        fyear = int(label[:4])
        first = date(fyear - (1 if self.start_month > 1 else 0), self.start_month, 1)
        if kind == "quarter":
            first = add_months(first, 3 * (int(label[-1]) - 1))
        return first

    def periods(self, start: date, end: date, kind: PeriodKind) -> list[tuple[str, date, date]]:
        """Every period overlapping [start, end]: (label, first day, last day)."""
        out: list[tuple[str, date, date]] = []
        cursor = self.period_start(start, kind)
        while cursor <= end:
            last = self.period_end(cursor, kind)
            out.append((self.label(cursor, kind), cursor, last))
            cursor = last + timedelta(days=1)
        return out

    # -- a column -------------------------------------------------------------------------
    def key_expr(self, value: ir.Value, kind: PeriodKind) -> ir.IntegerValue:
        """The period a date or timestamp column falls in, as an integer key (``key_label``
        names it): grouping by a number is several times cheaper than by a built string."""
        year = value.year().cast("int64")
        month = value.month().cast("int64")
        if kind == "month":
            return year * 12 + (month - 1)
        fyear = year + ((month >= self.start_month).cast("int64") if self.start_month > 1 else 0)
        if kind == "year":
            return fyear
        return fyear * 4 + ((month - self.start_month + 12) % 12) // 3

    def key_label(self, key: int, kind: PeriodKind) -> str:
        """The label of a ``key_expr`` key."""
        if kind == "month":
            year, month = divmod(key, 12)
            return f"{year:04d}-{month + 1:02d}"
        if kind == "quarter":
            year, quarter = divmod(key, 4)
            return f"{year:04d}-Q{quarter + 1}"
        return f"{key:04d}"

    def key_labels(self, keys: pd.Series, kind: PeriodKind) -> pd.Series:
        """``key_label`` of every key of a result column (nulls stay null)."""
        names = {k: self.key_label(int(k), kind) for k in keys.dropna().unique()}
        return keys.map(names).astype(object).where(keys.notna(), None)


def add_months(d: date, months: int) -> date:
    total = d.year * 12 + d.month - 1 + months
    year, month = divmod(total, 12)
    return d.replace(year=year, month=month + 1, day=1) if d.day == 1 else _clamp(year, month + 1, d.day)


def _clamp(year: int, month: int, day: int) -> date:
    while True:
        try:
            return date(year, month, day)
        except ValueError:
            day -= 1


def parse_period(kind: str | None) -> PeriodKind | None:
    if kind is None:
        return None
    if kind not in PERIOD_KINDS:
        raise RevopsError(f"unknown period {kind!r}; use month, quarter or year")
    return kind  # type: ignore[return-value]


def parse_date(value: str | date | None, option: str) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise RevopsError(f"{option} {value!r} is not a date; write YYYY-MM-DD, e.g. 2026-03-31") from None


def month_start(d: date) -> date:
    return d.replace(day=1)


def literal_date(d: date) -> ir.DateValue:
    return ibis.literal(d.isoformat()).cast("date")
