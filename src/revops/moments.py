"""Moments given on the command line (``--at``): one reading for every command.

Empty or ``now`` is now; a date alone is its midnight UTC; an ISO date-time with an offset
or ``Z`` is turned into UTC, one without is UTC already. Always returned naive, in UTC, as
the store keeps timestamps.
"""

from __future__ import annotations

from datetime import date, datetime, time, timezone

from revops.errors import RevopsError


def parse_moment(text: str | datetime | date | None, option: str = "--at",
                 error: type[RevopsError] = RevopsError) -> datetime:
    if text is None or (isinstance(text, str) and text.strip().lower() in ("", "now")):
        return datetime.now(timezone.utc).replace(tzinfo=None)
    if isinstance(text, datetime):
        value = text
    elif isinstance(text, date):
        return datetime.combine(text, time())
    else:
        raw = text.strip()
        try:
            if len(raw) == 10:
                return datetime.combine(date.fromisoformat(raw), time())
            value = datetime.fromisoformat(raw.replace("Z", "+00:00").replace(" ", "T", 1))
        except ValueError:
            raise error(f"{option} {text!r} is not a date or date-time; write YYYY-MM-DD, "
                        "YYYY-MM-DDTHH:MM (UTC) or YYYY-MM-DDTHH:MM+02:00") from None
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value
