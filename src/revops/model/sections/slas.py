"""`slas`: handoff promises between teams, measured from one event to another."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from revops.model.sections.base import Key, Section

DurationUnit = Literal["minutes", "hours", "business_hours", "days", "business_days"]

FallbackAction = Literal[
    "reassign_to_manager", "reassign_to_team", "reassign_to_queue", "notify_manager", "notify_owner",
]


class Fallback(Section):
    """What happens when a promise is missed: who gets the record or the alert."""

    action: FallbackAction
    after: float | None = Field(None, gt=0)
    """Time after the breach (or, in routing, after assignment without response) before acting."""
    unit: DurationUnit | None = None
    """Unit of `after`; defaults to the SLA's unit."""
    queue: str | None = None
    """reassign_to_queue only: the queue that receives the record."""


class SlaPolicy(Section):
    key: Key
    label: str
    description: str = ""
    measurement: str = ""
    """How the SLA is measured, in words (timestamp difference, conversion rate …)."""
    start: str
    """Event that starts the clock: TABLE.FIELD (a timestamp or date field) or a named event."""
    stop: str
    """Event that stops the clock, on the same record as `start`."""
    filter: str = ""
    """Expression over the record's table choosing the records the SLA applies to
    (e.g. `type = 'new_business'`); empty: every record whose start event happened."""
    duration: float = Field(gt=0)
    """How long the owner team has between start and stop."""
    unit: DurationUnit
    """minutes, hours, business_hours, days or business_days (business units skip nights, weekends and holidays)."""
    owner_team: Key
    """Team accountable for meeting the SLA (sales_ops, revops, cs_ops …)."""
    reminder_before: float | None = Field(None, gt=0)
    """Remind the owner this long (same unit) before the SLA is breached."""
    fallback: Fallback | None = None
