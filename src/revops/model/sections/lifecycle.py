"""`lifecycle`: the stages a lead moves through before it becomes pipeline."""

from __future__ import annotations

from pydantic import Field

from revops.model.sections.base import Key, Section

LIFECYCLE_KEYS: tuple[str, ...] = (
    "new", "mql", "sql", "sal", "opportunity", "customer", "recycled", "disqualified",
)
"""The lifecycle stages every revenue model has; labels and criteria are the company's."""


class LifecycleStage(Section):
    key: Key
    """Machine name stored in leads.status (new, mql, sql, sal, opportunity, customer, recycled, disqualified)."""
    label: str
    description: str = ""
    entry_criteria: str = ""
    """Expression over lead fields that is true when a lead enters the stage (empty: no rule)."""
    recycle_after_days: int | None = Field(None, ge=1)
    """recycled only: days without progress after which a lead is sent back to nurture, and
    days after its disqualification after which a disqualified lead is."""


class Lifecycle(Section):
    stages: list[LifecycleStage]

    def stage(self, key: str) -> LifecycleStage:
        for s in self.stages:
            if s.key == key:
                return s
        raise KeyError(f"no lifecycle stage {key!r}; stages: {', '.join(s.key for s in self.stages)}")
