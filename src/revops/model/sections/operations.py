"""`hygiene`, `health` and `targets`: the rules, scores and goals the engines hold the data to."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from revops.model.sections.base import Key, Section

Severity = Literal["info", "warning", "critical"]


class HygieneRule(Section):
    key: Key
    label: str = ""
    description: str = ""
    severity: Severity = "warning"
    table: str = "opportunities"
    when: str
    """Expression over the table's fields: a record is flagged when it is true."""
    stages: list[str] = Field(default_factory=list)
    """Only check deals in these pipeline stages (empty: every stage)."""
    at_risk: bool = False
    """Open deals this rule flags are the 'deals at risk' of the hygiene headline."""


class Hygiene(Section):
    rules: list[HygieneRule] = Field(default_factory=list)


HealthInput = Literal["usage_trend", "seat_utilisation", "engagement", "support_tickets", "nps",
                      "payment_status", "champion_change"]
"""What a health measure reads (docs/health.md defines each):

- usage_trend: the account's average daily ``metric`` over the last ``window_days`` divided by
  its average over the ``baseline_days`` before them (1.0 = as usual)
- seat_utilisation: the latest ``active_users`` value in the last ``window_days`` over the seats
  of the account's live subscriptions
- engagement: activities with the account (``activity_types``, every type if empty) in the last
  ``window_days``
- support_tickets: tickets open on the day, plus ``escalated_weight`` for each ticket escalated
  in the last ``window_days``
- nps: the latest NPS answer (0-10) of the last ``window_days``
- payment_status: the invoices unpaid on the day more than ``grace_days`` after their due date,
  by ``overdue_by``: ``days`` (the default) the days the oldest of them is past its due date
  (after the grace), once their amount is ``min_overdue_share`` of a month's recurring revenue,
  or the most days late an invoice due in the last ``window_days`` was paid, if more;
  ``amount`` their amount in months of the account's recurring revenue; ``invoices`` how many
- champion_change: 1 while the account's champion is gone: one left in the last
  ``window_days`` and no new champion was named since (a contact with role champion created
  after the departure who has not left); else 0"""

_HEALTH_DEFAULTS: dict[str, dict[str, float | None]] = {
    # full_at, zero_at, window_days, baseline_days
    "usage_trend": {"full_at": 1.0, "zero_at": 0.5, "window_days": 28, "baseline_days": 90},
    "seat_utilisation": {"full_at": 0.8, "zero_at": 0.2, "window_days": 28},
    "engagement": {"full_at": 6, "zero_at": 0, "window_days": 90},
    "support_tickets": {"full_at": 0, "zero_at": 6, "window_days": 90},
    "nps": {"full_at": 9, "zero_at": 3, "window_days": 365},
    "payment_status": {"full_at": 0, "zero_at": 30, "window_days": 90},
    "champion_change": {"full_at": 0, "zero_at": 1, "window_days": 365},
}
_PAYMENT_DEFAULTS = {"days": (0, 30), "amount": (0, 1), "invoices": (0, 2)}
"""payment_status: (full_at, zero_at) by ``overdue_by``: 30 days past due, a month's revenue
unpaid, two invoices overdue each score 0."""


class HealthMeasure(Section):
    key: Key
    label: str = ""
    description: str = ""
    weight: float = Field(ge=0, le=1)
    """Share of the health score (all weights sum to 1)."""
    reads: HealthInput | None = None
    """What the measure reads: usage_trend, seat_utilisation, engagement, support_tickets, nps,
    payment_status or champion_change. Without it the measure is reported as not measured."""
    full_at: float | None = None
    """The value that scores 100 (default per input, e.g. usage_trend 1.0: usage as usual)."""
    zero_at: float | None = None
    """The value that scores 0 (default per input, e.g. usage_trend 0.5: half the usual usage).
    Between the two the score is linear; beyond them it stays at 100 or 0."""
    window_days: int | None = Field(None, ge=0, le=3650)
    """Days back from the day scored that the measure looks at (default per input)."""
    baseline_days: int | None = Field(None, ge=1, le=3650)
    """usage_trend: days before the window that make the account's own baseline (default 90)."""
    metric: str = "active_users"
    """usage_trend: the usage metric compared (a value of usage.metric)."""
    activity_types: list[str] = Field(default_factory=list)
    """engagement: the activity types counted (call, email, meeting …); empty: all."""
    escalated_weight: float = Field(3.0, ge=0)
    """support_tickets: what one escalated ticket counts for, on top of being open."""
    grace_days: int = Field(0, ge=0)
    """payment_status: days past the due date before an unpaid invoice counts as overdue (and
    not counted in its days overdue: grace 10 and 40 days past due reads 30)."""
    overdue_by: Literal["days", "amount", "invoices"] = "days"
    """payment_status: what is measured of the overdue invoices: ``days`` the oldest is past due,
    or the most days late an invoice due in the last ``window_days`` (90) was paid, whichever is
    more (default full_at 0, zero_at 30: 30 days past due is a red flag); ``amount`` unpaid in
    months of the account's recurring revenue (0 / 1); or how many ``invoices`` (0 / 2)."""
    min_overdue_share: float = Field(0.1, ge=0)
    """payment_status by days: overdue invoices count only once their amount reaches this share
    of the account's monthly recurring revenue (0.1 = 10%): a small disputed line is not a
    payment problem. 0 counts any amount."""

    @model_validator(mode="after")
    def _fill_defaults(self) -> "HealthMeasure":
        if self.reads is None:
            return self
        defaults = dict(_HEALTH_DEFAULTS[self.reads])
        if self.reads == "payment_status":
            defaults["full_at"], defaults["zero_at"] = _PAYMENT_DEFAULTS[self.overdue_by]
        for name, value in defaults.items():
            if getattr(self, name) is None:
                object.__setattr__(self, name, value)
        own = {"baseline_days": "usage_trend", "activity_types": "engagement"}
        for name, reads in own.items():
            if getattr(self, name) and self.reads != reads:
                raise ValueError(f"{name} applies to measures that read {reads}, not {self.reads}")
        for name in ("overdue_by", "min_overdue_share", "grace_days"):  # set to other than their default
            if getattr(self, name) != type(self).model_fields[name].default and self.reads != "payment_status":
                raise ValueError(f"{name} applies to measures that read payment_status, not {self.reads}")
        if self.reads == "champion_change" and not {self.full_at, self.zero_at} <= {0, 1}:
            raise ValueError(
                f"champion_change reads 1 while the champion is gone (left in the last window_days, no new "
                f"champion named since) and 0 otherwise, so full_at and zero_at are 0 and 1, not "
                f"{self.full_at:g} and {self.zero_at:g}; say how long a departure counts with window_days")
        if self.reads == "champion_change" and self.window_days == 0:
            raise ValueError("champion_change needs window_days > 0: how long a departed champion, not "
                             "replaced, counts against the account")
        if self.full_at == self.zero_at:
            raise ValueError(f"full_at and zero_at are both {self.full_at:g}: the score would jump from 0 "
                             "to 100; give the value that scores 100 and a different one that scores 0")
        return self

    def score(self, value: float) -> float:
        """The measure's 0-100 score of ``value``: linear from zero_at (0) to full_at (100)."""
        share = (value - self.zero_at) / (self.full_at - self.zero_at)
        return 100.0 * min(max(share, 0.0), 1.0)


class HealthBand(Section):
    key: Key
    label: str = ""
    min: float = Field(ge=0, le=100)
    max: float = Field(ge=0, le=100)


class Health(Section):
    measures: list[HealthMeasure] = Field(default_factory=list)
    bands: list[HealthBand] = Field(default_factory=list)
    trend_days: int = Field(30, ge=1, le=365)
    """The trend compares the score with the score this many days before."""
    flat_within: float = Field(3, ge=0, le=100)
    """A change of at most this many points is a flat trend."""
    reason_below: float = Field(60, ge=0, le=100)
    """A measure scoring under this is named among the account's reasons."""
    at_risk_bands: list[Key] = Field(default_factory=lambda: ["red"])
    """Bands whose accounts are flagged as churn risks (and whose renewals are at risk)."""
    critical_below: float = Field(15, ge=0, le=100)
    """A measure scoring under this flags the account as a churn risk whatever its band: one
    failing signal (the champion gone, invoices long overdue) is a risk even when the others
    keep the weighted score up. 0 turns this off."""

    @model_validator(mode="after")
    def _bands_known(self) -> "Health":
        keys = [b.key for b in self.bands]
        unknown = [k for k in self.at_risk_bands if self.bands and k not in keys]
        if unknown:
            raise ValueError(f"at_risk_bands names {', '.join(map(repr, unknown))}, not a band; bands: "
                             f"{', '.join(keys)}")
        return self


class CoverageTarget(Section):
    target: float = Field(3.0, gt=0)
    """Open pipeline over the remaining quota you aim for (3.0 = 3×)."""
    warning_below: float = Field(2.0, gt=0)
    """Coverage under which the period is flagged at risk."""


class PaybackTarget(Section):
    warning_above: float = Field(18, gt=0)
    """Months to recover CAC from gross-margin revenue above which a warning is raised."""


_PERIOD = re.compile(r"^(FY\d{4}|\d{4}-Q[1-4]|\d{4}-(0[1-9]|1[0-2]))$")


class Quota(Section):
    period: str
    """Fiscal period: FY2026, 2026-Q1 or 2026-01."""
    amount: float = Field(gt=0)
    team: str | None = None
    owner_id: str | None = None

    @field_validator("period")
    @classmethod
    def _period(cls, value: str) -> str:
        if not _PERIOD.match(value):
            raise ValueError(f"{value!r} is not a period; write FY2026, 2026-Q1 or 2026-01")
        return value


class Targets(Section):
    pipeline_coverage: CoverageTarget = Field(default_factory=CoverageTarget)
    cac_payback_months: PaybackTarget = Field(default_factory=PaybackTarget)
    quotas: list[Quota] = Field(default_factory=list)
    gross_margin: float = Field(0.8, gt=0, le=1)
    """Share of recurring revenue left after the cost of serving it (0.8 = 80%); LTV uses it."""
