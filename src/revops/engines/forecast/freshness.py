"""Whether the data can speak for the day asked about.

A forecast is made with what is known at the end of its as-of day. Two days make no sense:

- a day after today: a future day knows nothing more than today does, so the forecast
  refuses it (``refuse_future_day``);
- a day long after the data's last change (``DealWorld.last_event``), as with an old CRM
  export forecast as of today: every open deal has sat untouched for months or years, so the
  models give none a chance and every number is 0. It is answered, with a warning saying
  which day to ask about instead (``stale_data_warning``).

``pipeline flow`` asks the same of its ``--to`` day but only warns (``flow_warnings``).
"""

from __future__ import annotations

from datetime import date

from revops.engines.forecast.world import DealWorld, day_date, day_number
from revops.errors import ForecastError

STALE_AFTER_DAYS = 30
"""A day more than this many days after the data's last change gets a warning: no business goes a
month without a single deal created, moved or closed, so the data has stopped, not the sales."""


def _data_ends(world: DealWorld) -> date:
    return day_date(world.last_event)


def future_day_text(world: DealWorld, day: date, option: str = "--as-of") -> str | None:
    """Why ``day`` cannot be forecast when it is after the world's today, else None."""
    today = world.today_date()
    if day <= today:
        return None
    return (f"{option} {day:%Y-%m-%d} is after today ({today:%Y-%m-%d}): a forecast is made with what is known, "
            f"and a future day knows nothing more than today does; give a day up to {today:%Y-%m-%d}, or leave "
            f"{option} out for today")


def refuse_future_day(world: DealWorld, day: date, option: str = "--as-of") -> None:
    """Raise ``ForecastError`` when ``day`` is after the world's today."""
    text = future_day_text(world, day, option)
    if text:
        raise ForecastError(text)


def stale_data_warning(world: DealWorld, day: date, *, option: str = "--as-of",
                       asked: str = "a forecast as of {day}", outcome: str = "sees no open deal that can still close"
                       ) -> str | None:
    """The warning when ``day`` is more than ``STALE_AFTER_DAYS`` after the data's last change
    (None otherwise): when the data ends, and the day to ask about instead."""
    if day_number(day) - world.last_event <= STALE_AFTER_DAYS:
        return None
    ends = _data_ends(world)
    return (f"the data's last change is on {ends:%Y-%m-%d}; {asked.format(day=f'{day:%Y-%m-%d}')} {outcome}; "
            f"use {option} {ends:%Y-%m-%d} (or a day before it)")


def flow_warnings(world: DealWorld, end: date) -> list[str]:
    """The warnings for a pipeline flow to ``end`` (``--to``): after today, or long after the
    data's last change. A flow is still given: nothing moves in the days without data."""
    warnings = []
    today = world.today_date()
    if end > today:
        warnings.append(f"--to {end:%Y-%m-%d} is after today ({today:%Y-%m-%d}): the flow can only show what "
                        f"has happened, up to today")
    stale = stale_data_warning(world, end, option="--to", asked="a flow to {day}",
                               outcome="shows nothing moving after it")
    if stale:
        warnings.append(stale)
    return warnings
