"""Months and fiscal quarters as plans name them: ``2025-01`` and ``2025-Q1``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        m = MONTH.match(str(text).strip())
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise ValueError(f"expected a month YYYY-MM, not {text!r}")
        return cls(int(m.group(1)), int(m.group(2)))

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    def plus(self, months: int) -> Month:
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    def minus(self, other: Month) -> int:
        """Whole months from ``other`` to this month."""
        return (self.year - other.year) * 12 + self.month - other.month

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def fiscal_quarter(month: Month, start_month: int) -> str:
    """``YYYY-Qn`` of the fiscal quarter holding ``month`` (a fiscal year is named by the
    calendar year it ends in, as the metrics layer's FiscalCalendar does)."""
    from revops.engines.metrics.periods import FiscalCalendar

    return FiscalCalendar(start_month).label(month.first_day, "quarter")


def quarter_months(label: str, start_month: int) -> list[Month]:
    """The three months of fiscal quarter ``label`` (``2025-Q1``)."""
    from revops.engines.metrics.periods import FiscalCalendar

    if not QUARTER.match(label.strip()):
        raise ValueError(f"expected a quarter YYYY-Qn, not {label!r}")
    first = Month.of(FiscalCalendar(start_month).label_start(label.strip(), "quarter"))
    return [first.plus(i) for i in range(3)]
