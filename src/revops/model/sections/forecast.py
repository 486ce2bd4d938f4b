"""`forecast_categories`: how confident a rep is that a deal closes this period."""

from __future__ import annotations

from pydantic import Field

from revops.model.sections.base import Key, Section

FORECAST_KEYS: tuple[str, ...] = ("commit", "best_case", "pipeline", "omitted", "closed")


class ForecastCategory(Section):
    key: Key
    """Machine name stored in opportunities.forecast_category."""
    label: str
    definition: str = ""
    """What the category means, in the words used in forecast calls."""
    inclusion_criteria: str = ""
    min_confidence: float | None = Field(None, ge=0, le=1)
    """Lowest confidence (fraction) a rep must have to put a deal here, e.g. 0.9 for commit."""
    in_forecast: bool = True
    """Whether deals in this category count toward the period's forecast number."""
