"""`handoffs`: the promises at the seams between Sales and Customer Success, both ways.

    handoffs:
      expansion:                       # CS (or the product) sees growth -> Sales acts on it
        sla: expansion_signal_to_first_touch
        signals:
          - key: seats_nearly_full
            label: Seats nearly full
            when: seat_utilisation > 0.9
            action: opportunity        # or task
      sales_to_cs:                     # Sales closes -> CS gets a handoff record, not "good luck!"
        required_fields: [use_case, stakeholders, promised]
        kickoff_sla: closed_won_to_kickoff

An expansion signal is an expression over a customer account as of a day, with the account's
fields and the derived ones in ``EXPANSION_FIELDS`` (seat utilisation, active users, premium
feature events, ARR). docs/handoffs.md defines each one.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from revops.model.sections.base import Key, Section
from revops.store.schema import FieldType

EXPANSION_FIELDS: dict[str, tuple[FieldType, str]] = {
    "seats": ("integer", "Seats of the account's live subscriptions on the day."),
    "arr": ("number", "ARR of the live subscriptions on the day (MRR x 12)."),
    "active_users_30d": ("number", "The latest active_users reading in the usage window before the day."),
    "seat_utilisation": ("number", "active_users_30d over seats (0.95 = 95% of the seats in use)."),
    "premium_events_30d": ("number", "Premium feature events (usage metric premium_metric) in the usage window."),
    "open_expansion_opportunities": ("integer", "Open expansion deals on the account on the day."),
}
"""Fields an expansion signal may name beyond the accounts table's own."""

SignalAction = Literal["opportunity", "task"]
RouteTo = Literal["account_owner", "queue"]
OwnerFallback = Literal["manager", "queue"]


class ExpansionSignal(Section):
    key: Key
    label: str
    description: str = ""
    when: str
    """Expression over the customer account as of the day (e.g. `seat_utilisation > 0.9`)."""
    action: SignalAction = "opportunity"
    """opportunity: an expansion deal at the first open stage; task: a task for the owner to act on."""
    route_to: RouteTo = "account_owner"
    """Who gets it: the account's owner (with `owner_fallback` when they are inactive), or `queue`."""
    queue: Key | None = None
    """route_to: queue only: the queue (else the section's queue)."""
    sla: Key | None = None
    """The SLA the owner is held to; default: the section's `sla`."""


class ExpansionHandoffs(Section):
    sla: Key | None = None
    """SLA every signal's first touch is measured by (a key under slas)."""
    owner_fallback: OwnerFallback = "manager"
    """When the account's owner is inactive: their first active manager up the chain, else the queue."""
    queue: Key = "expansion_queue"
    """Queue for signals no active person can take."""
    cool_down_days: int = Field(90, ge=0, le=3650)
    """After a signal, the same rule does not fire again on the account for this many days, nor
    while its opportunity or task is still open."""
    usage_window_days: int = Field(30, ge=1, le=365)
    """Days of usage before the day that active_users_30d and premium_events_30d read."""
    premium_metric: str = "premium_feature_events"
    """The usage metric that counts premium feature events."""
    close_in_days: int = Field(90, ge=1, le=730)
    """An expansion deal opens with a close date this many days after the signal."""
    signals: list[ExpansionSignal] = Field(default_factory=list)


class SalesToCs(Section):
    deals: str = "type = 'new_business'"
    """Expression over opportunities: which closed-won deals get a handoff."""
    required_fields: list[Key] = Field(default_factory=lambda: ["use_case", "stakeholders", "promised"])
    """What the handoff must say, read from the deal's field of the same name (a custom field of
    opportunities, declared under custom_fields); an empty one is listed as missing."""
    kickoff_sla: Key | None = "closed_won_to_kickoff"
    """The SLA the kickoff is held to (a key under slas, started by opportunity.closed_won)."""
    cs_queue: Key = "cs_onboarding"
    """Who gets the handoff when the store names no CSM for the account."""


class Handoffs(Section):
    expansion: ExpansionHandoffs = Field(default_factory=ExpansionHandoffs)
    sales_to_cs: SalesToCs = Field(default_factory=SalesToCs)
