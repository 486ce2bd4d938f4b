"""`data_quality`: the validation rules records should pass, the fields whose completeness is
measured, when a record is stale, and how the parts weigh in a 0-100 quality score.

    data_quality:
      rules:
        - key: lead_email_format
          table: leads
          rule: email is null or matches(trim(email), '^[^@ ]+@[^@ ]+[.][A-Za-z]{2,}$')
          message: The e-mail address is not an address.
        - key: open_deal_close_date_ahead
          table: opportunities
          when: is_open                 # only the records this is true of are checked
          rule: close_date >= today()
      completeness:                     # per table, the fields that should be filled
        opportunities: [amount, close_date, next_step, contact_id]
      stale_after_days: {leads: 90, opportunities: 30}
      weights: {validity: 0.35, completeness: 0.35, uniqueness: 0.15, freshness: 0.15}

A record fails a rule when ``rule`` is false (null counts as passing: write ``x is not null``
to require a value). docs/quality.md defines each part of the score.
"""

from __future__ import annotations

from pydantic import Field

from revops.model.sections.base import Key, Section
from revops.model.sections.operations import Severity

QUALITY_TABLES: tuple[str, ...] = ("leads", "contacts", "accounts", "opportunities")


class QualityRule(Section):
    key: Key
    table: str
    rule: str
    """Expression a record should satisfy; false means the record breaks the rule."""
    when: str | None = None
    """Only records this expression is true of are checked (default: every record)."""
    message: str = ""
    severity: Severity = "warning"


class QualityWeights(Section):
    validity: float = Field(0.35, ge=0, le=1, description="Share of records passing every rule.")
    completeness: float = Field(0.35, ge=0, le=1, description="Share of the tracked fields filled.")
    uniqueness: float = Field(0.15, ge=0, le=1, description="1 - the duplicate rate.")
    freshness: float = Field(0.15, ge=0, le=1, description="Share of records updated within stale_after_days.")


class DataQuality(Section):
    rules: list[QualityRule] = Field(default_factory=list)
    completeness: dict[str, list[str]] = Field(default_factory=dict)
    stale_after_days: dict[str, int] = Field(default_factory=dict)
    weights: QualityWeights = Field(default_factory=QualityWeights)
