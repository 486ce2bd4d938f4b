"""`company`: who the model is for, its currency, fiscal calendar and working hours."""

from __future__ import annotations

import re
from datetime import date, time
from typing import Literal

from pydantic import Field, field_validator

from revops.model.sections.base import Section

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class BusinessHours(Section):
    """The working day that business-hour SLAs count: only these hours on these days."""

    start: str = "09:00"
    """Start of the working day, 24-hour HH:MM in the company time zone."""
    end: str = "17:00"
    """End of the working day, 24-hour HH:MM; must be after start."""
    days: list[Weekday] = Field(default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"])
    """Working days: mon, tue, wed, thu, fri, sat, sun."""

    @field_validator("start", "end")
    @classmethod
    def _hh_mm(cls, value: str) -> str:
        if not _HHMM.match(value):
            raise ValueError(f"{value!r} is not a time of day; write 24-hour HH:MM such as '09:00'")
        return value

    @field_validator("days")
    @classmethod
    def _no_repeats(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("a working day is listed twice")
        if not value:
            raise ValueError("at least one working day is needed")
        return value

    @property
    def start_time(self) -> time:
        return time.fromisoformat(self.start)

    @property
    def end_time(self) -> time:
        return time.fromisoformat(self.end)

    @property
    def hours_per_day(self) -> float:
        s, e = self.start_time, self.end_time
        return (e.hour * 60 + e.minute - s.hour * 60 - s.minute) / 60


class Company(Section):
    """The company the model describes."""

    name: str = "Example Co"
    currency: str = "USD"
    """ISO 4217 currency code of every amount in the store (USD, EUR, GBP …)."""
    fiscal_year_start_month: int = Field(1, ge=1, le=12)
    """Month (1-12) the fiscal year starts in; quarters and periods count from it."""
    timezone: str = "UTC"
    """IANA time zone (e.g. America/New_York) used for business hours and period edges."""
    business_hours: BusinessHours = Field(default_factory=BusinessHours)
    holidays: list[date] = Field(default_factory=list)
    """Dates that are not working days, for business-hour and business-day SLAs."""

    @field_validator("currency")
    @classmethod
    def _iso_currency(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z]{3}", value):
            raise ValueError(f"{value!r} is not an ISO 4217 currency code; write three letters such as 'USD'")
        return value.upper()
