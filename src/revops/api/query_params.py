"""Query parameters the read endpoints share, typed so that FastAPI refuses what cannot be read
(422 naming the parameter) before any engine sees it.

- ``Day``: YYYY-MM-DD between 1900-01-01 and 2999-12-31 (the engines add periods and days to
  it; a day near the ends of the calendar cannot take that);
- ``Instant``: an ISO 8601 time in the same years, with an offset turned into naive UTC;
- ``Moment``: text as the CLI's --as-of / --at read it (YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM]),
  whose year, when it starts with one, is in the same range; the engine reads the rest;
- ``Quarter``: a fiscal quarter label (2026-Q3) of a year in the same range.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import Annotated

from pydantic import AfterValidator

FIRST, LAST = date(1900, 1, 1), date(2999, 12, 31)
_YEAR = re.compile(r"^\s*(\d{4,})-")


def _day(value: date | None) -> date | None:
    if value is not None and not FIRST <= value <= LAST:
        raise ValueError(f"a day between {FIRST} and {LAST}")
    return value


def _instant(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    _day(value.date())
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def _moment(value: str | None) -> str | None:
    found = _YEAR.match(value or "")
    if found and not FIRST.year <= int(found.group(1)) <= LAST.year:
        raise ValueError(f"a moment between {FIRST} and {LAST}")
    return value


def _quarter(value: str | None) -> str | None:
    found = _YEAR.match(value or "")
    if found and not FIRST.year <= int(found.group(1)) < LAST.year:
        raise ValueError(f"a quarter of a year from {FIRST.year} to {LAST.year - 1}, e.g. 2026-Q3")
    return value


Day = Annotated[date | None, AfterValidator(_day)]
Instant = Annotated[datetime | None, AfterValidator(_instant)]
Moment = Annotated[str | None, AfterValidator(_moment)]
Quarter = Annotated[str | None, AfterValidator(_quarter)]


def text(value: date | None) -> str | None:
    """A Day as the engines' option text."""
    return value.isoformat() if value is not None else None
