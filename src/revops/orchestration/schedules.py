"""Cron schedules in the company's time zone: the latest tick that has come."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo


def latest_tick(cron: str, zone: str, last: datetime, now: datetime) -> datetime | None:
    """The latest tick of ``cron`` (read in ``zone``) after ``last`` and at or before ``now``
    (naive UTC), or None: ticks missed while no worker ran are made up once, at the latest."""
    from croniter import croniter

    it = croniter(cron, last.replace(tzinfo=timezone.utc).astimezone(ZoneInfo(zone)))
    tick = None
    while (candidate := it.get_next(datetime).astimezone(timezone.utc).replace(tzinfo=None)) <= now:
        tick = candidate
    return tick
