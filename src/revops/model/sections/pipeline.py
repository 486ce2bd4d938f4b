"""`pipeline`: opportunity stages, what is true on entry and exit, and their probability."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, WithJsonSchema, field_validator

from revops.model.sections.base import Key, Section


class PipelineStage(Section):
    key: Key
    """Machine name stored in opportunities.stage."""
    label: str
    probability: Annotated[float, WithJsonSchema({
        "anyOf": [{"type": "number", "minimum": 0, "maximum": 1},
                  {"type": "string", "pattern": r"^\s*\d+(\.\d+)?\s*%\s*$"}]})]
    """Chance a deal in this stage closes won, as a fraction (0.4) or a percentage string ('40%')."""
    criteria: str = ""
    """What is true when a deal enters the stage (plain words)."""
    exit_criteria: str = ""
    """What must be true before the deal moves on (plain words)."""
    required_fields: list[str] = Field(default_factory=list)
    """Opportunity fields that must be filled in this stage (deal hygiene)."""
    gate: list[str] = Field(default_factory=list)
    """Expressions over opportunity fields that must all hold for a deal to enter the stage."""
    forecast_category: str = "pipeline"
    """Forecast category a deal in this stage falls in unless the rep sets another."""
    is_closed: bool = False
    is_won: bool = False

    @field_validator("probability", mode="before")
    @classmethod
    def _percent(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().endswith("%"):
            try:
                return float(value.strip()[:-1]) / 100
            except ValueError:
                raise ValueError(f"{value!r} is not a percentage such as '40%'") from None
        return value

    @field_validator("probability")
    @classmethod
    def _fraction(cls, value: float) -> float:
        if not 0 <= value <= 1:
            raise ValueError(
                f"probability {value:g} is outside 0-1; write a fraction (0.4) or a percentage ('40%')"
            )
        return value

    @property
    def is_open(self) -> bool:
        return not self.is_closed


class Pipeline(Section):
    stages: list[PipelineStage]
    """Stages in the order deals move through them; closed stages last."""
