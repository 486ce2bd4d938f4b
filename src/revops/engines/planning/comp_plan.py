"""The compensation plan file, typed: who is on which plan, for what pay, measured how.

    plans:
      - name: ae_new_business
        roles: [ae]                  # and/or users: [usr_001, ...]
        ote: 200000                  # on-target earnings a year: base + target variable
        base_share: 0.5              # base = ote x base_share; the rest is target variable
        quota: 800000                # a year; leave out to use users.quota
        measure: bookings            # bookings | closed_pipeline | net_expansion
        deal_types: [new_business, expansion]
        schedule: marginal           # marginal | tiered
        tiers:                       # attainment from which a rate applies (x the base rate)
          - {from: 0.0, rate: 0.5}   # decelerator below 50 %
          - {from: 0.5, rate: 1.0}
          - {from: 1.0, rate: 1.5}   # accelerator above quota
        cap: 2.0                     # variable pay at most 2 x target variable (leave out: none)
        spiffs:
          - {name: platform_deal, amount: 1000, products: [platform]}
          - {name: big_deal, rate: 0.01, min_amount: 100000}
        clawback: {months: 12, share: 1.0}

Measures (what a rep is credited with in the period):

- ``bookings`` (Sales): amount of won deals they own, by close date; ``deal_types`` narrows.
- ``closed_pipeline`` (Marketing): amount of won deals, by close date, whose source is one
  of ``sources`` — every member of the plan is credited with the whole of it.
- ``net_expansion`` (Customer Success): change in ARR (12 x MRR) between the first and the
  last day of the period of the accounts they own that were paying on the first day:
  expansion less contraction and churn; new logos are not counted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from revops.engines.planning.plan_file import load_plan_file

Measure = Literal["bookings", "closed_pipeline", "net_expansion"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Tier(_Strict):
    start: float = Field(alias="from", ge=0, description="Attainment (1.0 = quota) from which the rate applies.")
    rate: float = Field(ge=0, description="Multiplier of the base rate (variable / quota): <1 decelerates, >1 accelerates.")


class Spiff(_Strict):
    name: str
    amount: float | None = Field(None, ge=0, description="Paid per qualifying deal.")
    rate: float | None = Field(None, ge=0, description="Share of a qualifying deal's amount.")
    products: list[str] | None = None
    deal_types: list[str] | None = None
    min_amount: float = Field(0, ge=0)

    @model_validator(mode="after")
    def _one_payment(self) -> Spiff:
        if (self.amount is None) == (self.rate is None):
            raise ValueError("give a SPIF either amount (per deal) or rate (share of the deal amount), one of them")
        return self


class Clawback(_Strict):
    months: int = Field(12, ge=1, description="A deal whose account churns within this many months of its "
                                              "close is clawed back.")
    share: float = Field(1.0, gt=0, le=1, description="Share of the deal's commission taken back.")


class CompPlan(_Strict):
    name: str
    roles: list[str] = []
    users: list[str] = []
    ote: float = Field(gt=0)
    base_share: float = Field(ge=0, le=1)
    quota: float | None = Field(None, gt=0, description="Annual; leave out to use each user's users.quota.")
    measure: Measure = "bookings"
    deal_types: list[str] | None = None
    sources: list[str] | None = None
    schedule: Literal["marginal", "tiered"] = "marginal"
    tiers: list[Tier] = Field(default_factory=lambda: [Tier(start=0.0, rate=1.0)])
    cap: float | None = Field(None, gt=0, description="Variable pay at most cap x target variable.")
    spiffs: list[Spiff] = []
    clawback: Clawback | None = None

    @field_validator("tiers")
    @classmethod
    def _tiers_ascending(cls, tiers: list[Tier]) -> list[Tier]:
        if not tiers:
            raise ValueError("give at least one tier (from: 0, rate: 1.0 pays the base rate throughout)")
        if tiers[0].start != 0:
            raise ValueError(f"the first tier must start from 0, not {tiers[0].start:g}")
        for a, b in zip(tiers, tiers[1:]):
            if b.start <= a.start:
                raise ValueError(f"tiers must start at increasing attainment: {b.start:g} follows {a.start:g}")
        return tiers

    @model_validator(mode="after")
    def _who_and_what(self) -> CompPlan:
        if not self.roles and not self.users:
            raise ValueError(f"plan {self.name!r} applies to nobody: give roles, users or both")
        if self.measure == "closed_pipeline" and not self.sources:
            raise ValueError(f"plan {self.name!r} measures closed_pipeline: list the opportunity sources it "
                             "credits (sources: [inbound, webinar])")
        return self

    @property
    def base(self) -> float:
        return self.ote * self.base_share

    @property
    def variable(self) -> float:
        return self.ote - self.base


class CompPlanFile(_Strict):
    currency: str | None = None
    plans: list[CompPlan] = Field(min_length=1)

    @field_validator("plans")
    @classmethod
    def _unique_names(cls, plans: list[CompPlan]) -> list[CompPlan]:
        seen: set[str] = set()
        for p in plans:
            if p.name in seen:
                raise ValueError(f"two plans are called {p.name!r}; names must be unique")
            seen.add(p.name)
        return plans


def load_comp_plan(path: Path) -> CompPlanFile:
    """The plan file at ``path``; PlanError with FILE:LINE for every mistake."""
    return load_plan_file(Path(path), CompPlanFile)
