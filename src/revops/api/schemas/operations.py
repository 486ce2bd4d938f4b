"""What ``GET /v1/forecast``, ``/v1/sla``, ``/v1/hygiene`` and ``/v1/health`` answer: the rows of
`revops forecast calls`, `revops sla status|breaches`, `revops hygiene` and `revops health`
(``--format json``), limited to the key's scope."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Row(BaseModel):
    model_config = ConfigDict(extra="allow")


class ForecastRow(_Row):
    """One person of the roll-up (or the company, ``user_id`` '(company)'): their call, their
    reports' numbers and the deal roll-ups of everyone under them."""

    user_id: str
    name: str | None = None
    role: str | None = None
    manager_id: str | None = None
    depth: int
    call: float | None = None
    reports_call: float | None = None
    number: float | None = None
    adjusted_by: str | None = None
    note: str | None = None
    closed_won: float
    commit: float
    best_case: float
    pipeline: float
    weighted: float
    expected: float
    p10: float | None = None
    p50: float | None = None
    p90: float | None = None


class ForecastRollup(BaseModel):
    period: str
    as_of: str
    category: str
    company: dict[str, Any] | None = Field(description=(
        "The company's forecast (period, as_of, closed_won, commit, best_case, pipeline, weighted, p10, p50, "
        "p90) as `revops forecast` gives it; null for a rep or manager key."))
    rows: list[ForecastRow] = Field(description="The roll-up in hierarchy order; a scoped key gets the people it sees.")
    warnings: list[str]


class SlaClock(_Row):
    sla: str
    record_id: str | None = None
    owner_id: str | None = None
    started_at: datetime | None = None
    due_at: datetime | None = None
    minutes_late: float | None = None


class SlaPage(BaseModel):
    items: list[SlaClock]
    next: str | None
    total: int = Field(description="Rows in scope, every page.")


class HygieneFinding(_Row):
    opportunity_id: str
    owner_id: str | None = None
    rule: str
    severity: str
    detail: str | None = None
    stage: str | None = None
    amount: float | None = None


class HygienePage(BaseModel):
    as_of: datetime
    items: list[HygieneFinding]
    next: str | None
    total: int
    rules: list[dict[str, Any]] = Field(description="Each rule run: flagged count, unknown count, note.")


class AccountHealth(_Row):
    account_id: str
    account_name: str | None = None
    owner_id: str | None = None
    score: int | None = None
    band: str | None = None
    trend: str | None = None
    at_risk: bool | None = None
    reasons: list[str] = []


class HealthPage(BaseModel):
    as_of: str
    items: list[AccountHealth]
    next: str | None
    total: int
    unmeasured: dict[str, str] = Field(description="Measures no account could be measured on, and why.")
