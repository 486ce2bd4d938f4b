"""What a connector offers a sync: for each CRM object, the canonical tables its records go
to and a pull of the records modified since a date, page by page."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any


@dataclass(frozen=True)
class PulledRecord:
    """One CRM record as the preset reads it: API field name -> value."""

    row: dict[str, Any]
    modified_at: datetime | None
    """The CRM's modified date (naive UTC): what the cursor follows."""


@dataclass(frozen=True)
class Page:
    records: list[PulledRecord]
    total: int | None = None
    """How many records the CRM says match in all, when it says."""


@dataclass(frozen=True)
class Target:
    """A canonical table a CRM object's records go to (HubSpot contacts go to leads, and those
    at a company to contacts too)."""

    table: str
    keep: Callable[[dict[str, Any]], bool] = field(default=lambda row: True)


@dataclass(frozen=True)
class Feed:
    object: str
    """The CRM's name of the object: ``contacts``, ``Opportunity``."""
    targets: tuple[Target, ...]
    pull: Callable[[datetime | None], Iterator[Page]]
    """Records modified at or after the date (all of them for None), oldest first."""


def naive_utc(value: Any) -> datetime | None:
    """A CRM timestamp (ISO text with Z or +0000, epoch milliseconds, a datetime) as naive UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, (int, float)) or (isinstance(value, str) and value.isdigit()):
        moment = datetime.fromtimestamp(int(value) / 1000, tz=timezone.utc)
    else:
        text = str(value).strip().replace("Z", "+00:00")
        if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":  # Salesforce's +0000
            text = f"{text[:-2]}:{text[-2:]}"
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def epoch_ms(moment: datetime) -> int:
    """A naive UTC moment as milliseconds since 1970 (how HubSpot filters on dates)."""
    return (moment - datetime(1970, 1, 1)) // timedelta(milliseconds=1)


def iso_z(moment: datetime) -> str:
    """A naive UTC moment as ISO 8601 with a Z, to the second: ``2024-01-05T10:00:00Z``."""
    return moment.replace(microsecond=0).isoformat() + "Z"
