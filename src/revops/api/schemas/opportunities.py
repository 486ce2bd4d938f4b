"""A deal's stage move as ``POST /v1/opportunities/{opportunity_id}/stage`` takes it, and its answers.

The answers are the JSON `revops deal move --format json` prints: ``StageMoved`` (200), and
``StageGateRefusal`` (409) when the stage's gate refuses the move.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

FieldValue = str | int | float | bool | None


class StageMoveIn(BaseModel):
    """Move the deal into ``stage``, setting the fields in ``set`` with the move."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    stage: str = Field(min_length=1, description="The stage's key (negotiation) or label (Negotiation).")
    set: dict[str, FieldValue] = Field(default_factory=dict, description=(
        "Opportunity fields to set with the move, typed as ingest types a file ('$48,000' and 48000 are "
        "numbers, '09/30/2026' a date); null or '' clears a field. They count for the stage's gate. A custom "
        "field declared in revops.yaml (custom_fields.opportunities) is typed by its declared type, and gets "
        "its column in the store the first time a move sets it."))
    changed_by: str | None = Field(None, max_length=200, description=(
        "Who moves the deal, kept in opportunity_history.changed_by (default: the key's user_id, else its key id)."))


class StageMoved(BaseModel):
    opportunity_id: str
    stage: str
    from_stage: str | None
    skipped_stages: list[str] = Field(description="Open stages the move jumped over (flagged, not refused).")
    changed_fields: list[str]
    history_id: str | None = Field(description="The opportunity_history row appended; null when nothing tracked changed.")
    changed_at: datetime


class StageGateRefusal(BaseModel):
    """The stage's gate refused the move; nothing was changed."""

    error: Literal["stage_gate"]
    missing: list[str] = Field(description="Required fields of the stage that would be empty.")
    failed: list[str] = Field(description="Gate expressions of the stage that would not hold, as written in revops.yaml.")


class MoveError(BaseModel):
    """An unknown deal (404), an unknown stage or a value that does not fit its field (422)."""

    error: str
    detail: str
    errors: list[dict[str, str]]


# -- reads ----------------------------------------------------------------------------------
from revops.api.schemas.records import OpportunityRecord, Page, StageChange  # noqa: E402


class GateAhead(BaseModel):
    """The deal's next stage and its gate checked against the deal as it stands: what a move
    into it would be refused for now (``missing``, ``failed``)."""

    stage: str
    label: str | None = None
    required_fields: list[str]
    gate: list[str] = Field(description="The stage's gate expressions, as written in revops.yaml.")
    missing: list[str] = Field(description="Required fields the deal has empty.")
    failed: list[str] = Field(description="Gate expressions that do not hold for the deal now.")
    passes: bool


class OpportunityDetail(BaseModel):
    opportunity_id: str
    opportunity: OpportunityRecord
    stage_history: list[StageChange] = Field(description="opportunity_history, oldest first.")
    next_stage: GateAhead | None = Field(description="Null for a closed deal.")


OpportunityPage = Page[OpportunityRecord]
