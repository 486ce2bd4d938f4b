"""`scoring`: points for fit, intent and engagement, and the score that makes an MQL."""

from __future__ import annotations

from pydantic import Field

from revops.model.sections.base import Key, Section

SCORING_TABLES: tuple[str, ...] = ("leads", "touches", "activities")
"""Tables a scoring rule may read: the lead itself, or the lead's touches and activities
(one award per matching event, fading with `decay_half_life_days`)."""


class ScoringRule(Section):
    key: Key
    label: str = ""
    when: str
    """Expression over the rule's table: the points are awarded when it is true."""
    points: float
    """Points awarded (negative to subtract, e.g. for a competitor or a personal e-mail)."""
    table: str = "leads"
    """leads (firmographic fit) or touches / activities (one award per matching event)."""
    decay_half_life_days: float | None = Field(None, gt=0)
    """Event rules only: an event's points halve every this many days, so old interest fades."""


class ScoringGroup(Section):
    key: Key
    """fit, intent or engagement."""
    label: str = ""
    description: str = ""
    cap: float | None = Field(None, gt=0)
    """Most points this group can contribute, however many rules match."""
    rules: list[ScoringRule] = Field(default_factory=list)


class ScoreBand(Section):
    key: Key
    label: str = ""
    min: float
    """Lowest score in the band (inclusive)."""
    max: float
    """Highest score in the band (inclusive)."""


class Scoring(Section):
    mql_threshold: float = Field(60, ge=0)
    """A lead whose total score reaches this becomes a marketing qualified lead."""
    predictive_weight: float = Field(0.5, ge=0, le=1)
    """Share of the combined score that comes from the predictive model (0 to 1) when one is
    trained and active: score = (1 - w) x rules score + w x predicted percentile (where the
    lead's predicted conversion stands among the training leads', 0-100).
    Without an active model the rules score stands alone."""
    groups: list[ScoringGroup] = Field(default_factory=list)
    bands: list[ScoreBand] = Field(default_factory=list)
    """Named score ranges used in routing and reports (hot, warm, cool, cold)."""
