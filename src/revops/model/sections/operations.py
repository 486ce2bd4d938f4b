"""`hygiene`, `health` and `targets`: the rules, scores and goals the engines hold the data to."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

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


class HealthMeasure(Section):
    key: Key
    label: str = ""
    description: str = ""
    weight: float = Field(ge=0, le=1)
    """Share of the health score (all weights sum to 1)."""


class HealthBand(Section):
    key: Key
    label: str = ""
    min: float = Field(ge=0, le=100)
    max: float = Field(ge=0, le=100)


class Health(Section):
    measures: list[HealthMeasure] = Field(default_factory=list)
    bands: list[HealthBand] = Field(default_factory=list)


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
