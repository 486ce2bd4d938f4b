"""Capacity: a hiring plan, a ramp curve and attrition into bookings capacity per month and
quarter, against the target, and the hires that would close a gap (`revops plan capacity`).

A rep in month k of tenure (k = 0 in their start month) contributes ``ramp[k] x
quota_per_ramped_rep`` that month (1.0 once k is past the curve: fully ramped); with a monthly
attrition a, a rep is still there m months into the plan (or after their start, if later)
with probability (1 - a)^m, and contributes that share. ``ramped_reps`` of a month is the sum
of the ramp factors (x that share); ``capacity`` is ramped_reps x quota_per_ramped_rep.

The reps come from the plan (``reps`` and ``hires``) or, when the plan lists none, from the
store: active users of the quota-carrying roles with their start_date. The productivity of a
ramped rep defaults to the history: the mean monthly bookings of the reps who were fully
ramped, over their rep-months of the last 12 months.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from revops.engines.planning.months import Month, fiscal_quarter, quarter_months
from revops.engines.planning.plan_file import PlanError


class PlannedRep(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: str
    """The month the rep starts (YYYY-MM)."""
    count: int = Field(1, ge=1, description="Several reps starting the same month (a hiring plan line).")
    role: str | None = None
    segment: str | None = None
    name: str | None = None

    @field_validator("start", mode="before")
    @classmethod
    def _month(cls, value: Any) -> str:
        return str(Month.parse(str(value)))


class CapacityPlan(BaseModel):
    """The plan file of `revops plan capacity` (docs/planning.md)."""

    model_config = ConfigDict(extra="forbid")

    start: str
    months: int = Field(12, ge=1, le=120)
    ramp: list[float] = Field(default_factory=lambda: [0.0, 0.25, 0.5, 0.75, 1.0], min_length=1)
    monthly_attrition: float = Field(0.0, ge=0, lt=1)
    quota_per_ramped_rep: float | None = Field(None, gt=0, description=(
        "Monthly bookings of a fully ramped rep; default: measured from history."))
    reps: list[PlannedRep] | None = None
    """The reps counted; none: the quota-carrying users of the store."""
    hires: list[PlannedRep] = Field(default_factory=list)
    """The hiring plan: reps to start, on top of ``reps``."""
    roles: list[str] = Field(default_factory=lambda: ["ae"])
    """Quota-carrying roles read from the store when ``reps`` is not given."""
    targets: dict[str, float] = Field(default_factory=dict)
    """Bookings targets by month (2025-01) or fiscal quarter (2025-Q1)."""

    @field_validator("start", mode="before")
    @classmethod
    def _start(cls, value: Any) -> str:
        return str(Month.parse(str(value)))

    @field_validator("ramp")
    @classmethod
    def _ramp(cls, value: list[float]) -> list[float]:
        if any(v < 0 or v > 1 for v in value):
            raise ValueError("ramp factors are shares of full productivity, from 0 to 1 (1.0 is fully ramped, "
                             "which every rep is once past the curve)")
        if any(b < a for a, b in zip(value, value[1:])):
            raise ValueError(f"a ramp curve rises month by month; {value} falls somewhere")
        return value

    @field_validator("targets")
    @classmethod
    def _positive(cls, value: dict[str, float]) -> dict[str, float]:
        bad = [k for k, v in value.items() if v < 0]
        if bad:
            raise ValueError(f"target {bad[0]}: a bookings target is 0 or more")
        return value

    def ramp_factor(self, k: int) -> float:
        """Productivity in month k of tenure: ``ramp[k]``, 1.0 past the curve."""
        return self.ramp[k] if k < len(self.ramp) else 1.0

    @field_validator("targets", mode="before")
    @classmethod
    def _targets(cls, value: Any) -> Any:
        if isinstance(value, dict):
            for key in value:
                text = str(key).strip()
                try:
                    quarter_months(text, 1) if "Q" in text else Month.parse(text)
                except ValueError:
                    raise ValueError(f"target period {key!r}: a month (2025-01) or a quarter (2025-Q1)") from None
            return {str(k).strip(): v for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _periods_parse(self) -> CapacityPlan:
        last = Month.parse(self.start).plus(self.months - 1)
        late = [h.start for h in self.hires if Month.parse(h.start) > last]
        if late:
            raise ValueError(f"hires: a hire starting {late[0]} is after the plan's last month {last}; extend months "
                             "or drop the hire")
        return self


@dataclass(frozen=True)
class CapacityRow:
    period: str
    grain: str
    """month or quarter"""
    ramped_reps: float
    headcount: float
    """Reps expected on the books (after attrition), ramped or not."""
    capacity: float
    target: float | None
    gap: float | None
    """target - capacity: above 0 the plan falls short."""
    hires_needed: int | None = None
    """Quarter rows with a gap: reps to add to close it, if they start by ``hire_by``."""
    hire_by: str | None = None
    note: str | None = None
    """Why a figure is missing (a quarter with part of its months' targets, a gap hiring cannot close)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Starter:
    start: Month
    count: int
    source: str
    """plan, hire or store"""


def plan_capacity(plan: CapacityPlan, *, starters: list[Starter], productivity: float,
                  fiscal_start_month: int = 1) -> list[CapacityRow]:
    """Month rows then quarter rows (the fiscal quarters the plan touches)."""
    first = Month.parse(plan.start)
    months = [first.plus(i) for i in range(plan.months)]

    ramp_at = plan.ramp_factor

    def survival(s: Starter, m: Month) -> float:
        elapsed = m.minus(max(s.start, first))
        return (1 - plan.monthly_attrition) ** max(elapsed, 0)

    month_rows: list[CapacityRow] = []
    monthly: dict[Month, tuple[float, float]] = {}
    for m in months:
        ramped = heads = 0.0
        for s in starters:
            k = m.minus(s.start)
            if k < 0:
                continue
            share = s.count * survival(s, m)
            ramped += share * ramp_at(k)
            heads += share
        monthly[m] = (ramped, heads)
        capacity = ramped * productivity
        target = plan.targets.get(str(m))
        month_rows.append(CapacityRow(str(m), "month", round(ramped, 4), round(heads, 4), round(capacity, 2),
                                      target, _gap(target, capacity)))
    quarters: dict[str, list[Month]] = {}
    for m in months:
        quarters.setdefault(fiscal_quarter(m, fiscal_start_month), []).append(m)
    quarter_rows = []
    for label, in_plan in quarters.items():
        ramped = sum(monthly[m][0] for m in in_plan)
        capacity = ramped * productivity
        target = plan.targets.get(label)
        if target is None:
            given = [plan.targets[str(m)] for m in quarter_months(label, fiscal_start_month) if str(m) in plan.targets]
            target = sum(given) if len(given) == 3 else None
        note = None
        if target is None:
            given = [str(m) for m in quarter_months(label, fiscal_start_month) if str(m) in plan.targets]
            if given:
                note = f"targets for {', '.join(given)} only: give all three months or the quarter"
        gap = _gap(target, capacity)
        needed = hire_by = None
        if gap is not None and gap > 0:
            needed, hire_by = _hires_to_close(gap, label, plan, first, productivity, fiscal_start_month)
            if needed is None:
                note = "no hire starting within the plan adds capacity to this quarter (the ramp starts at 0)"
        quarter_rows.append(CapacityRow(label, "quarter", round(ramped, 4), round(sum(monthly[m][1] for m in in_plan)
                                        / len(in_plan), 4), round(capacity, 2), target, gap, needed, hire_by, note))
    unknown = [k for k in plan.targets if k not in {r.period for r in month_rows + quarter_rows}]
    if unknown:
        raise PlanError(f"targets: {', '.join(unknown)} is outside the plan's {plan.months} months from {plan.start}")
    return month_rows + quarter_rows


def _gap(target: float | None, capacity: float) -> float | None:
    return None if target is None else round(target - capacity, 2)


def _hires_to_close(gap: float, quarter: str, plan: CapacityPlan, first: Month, productivity: float,
                    fiscal_start_month: int) -> tuple[int | None, str | None]:
    """The fewest reps that close the quarter's gap if they start at the plan's start, and the
    latest start month by which that many still close it. None when no start month inside
    the plan adds capacity to the quarter (the ramp is all zeros that early)."""
    in_quarter = quarter_months(quarter, fiscal_start_month)

    def one_rep(start: Month) -> float:
        total = 0.0
        for m in in_quarter:
            k = m.minus(start)
            if k >= 0:
                factor = plan.ramp_factor(k)
                total += factor * (1 - plan.monthly_attrition) ** k * productivity
        return total

    candidates = [first.plus(i) for i in range(max(in_quarter[-1].minus(first) + 1, 0))]
    best = one_rep(first) if candidates else 0.0
    if best <= 0:
        return None, None
    needed = math.ceil(gap / best - 1e-9)
    latest = max(s for s in candidates if one_rep(s) * needed >= gap - 1e-6)
    return needed, str(latest)


def starters_of(plan: CapacityPlan, store_reps: list[Starter]) -> list[Starter]:
    base = ([Starter(Month.parse(r.start), r.count, "plan") for r in plan.reps] if plan.reps is not None
            else store_reps)
    return base + [Starter(Month.parse(h.start), h.count, "hire") for h in plan.hires]
