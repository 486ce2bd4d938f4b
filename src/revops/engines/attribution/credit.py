"""One entry point for every model: journeys in, conversions and value per channel out.

Whatever the model, the credit of a channel is a share of real conversions: the channels'
conversions add up to the journeys' conversions and their value to the journeys' value
(what the Markov and Shapley models compute is only how to share them). A RevOps team can
put two models side by side and see where the same total went.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from revops.engines.attribution import markov, shapley
from revops.engines.attribution.journeys import Journeys
from revops.errors import AttributionError
from revops.engines.attribution.rule_based import DEFAULT_HALF_LIFE_DAYS, RULES, credit, touch_weights

DATA_DRIVEN = ("markov", "shapley")
MODELS = RULES + DATA_DRIVEN


@dataclass(frozen=True)
class ChannelCredit:
    """Conversions and value credited to each channel by one model."""

    model: str
    channels: tuple[str, ...]
    conversions: np.ndarray
    value: np.ndarray
    removal_effect: np.ndarray | None = None
    """Markov only: 1 - P(conversion | channel removed) / P(conversion), per channel."""
    conversion_probability: float | None = None
    """Markov only: P(conversion) of a journey in the chain."""

    def by_channel(self) -> dict[str, tuple[float, float]]:
        """{channel: (conversions, value)}, for tests and comparisons."""
        return {c: (float(self.conversions[i]), float(self.value[i])) for i, c in enumerate(self.channels)}


def attribute(journeys: Journeys, model: str, *, half_life_days: float = DEFAULT_HALF_LIFE_DAYS) -> ChannelCredit:
    """The journeys' conversions and value shared among channels by ``model`` (one of MODELS)."""
    if model not in MODELS:
        raise AttributionError(f"unknown attribution model {model!r}; the models are {', '.join(MODELS)}")
    if model in RULES:
        if model == "time_decay" and not half_life_days > 0:
            raise AttributionError(f"--half-life {half_life_days} is not a positive number of days")
        conversions, value = credit(journeys, touch_weights(journeys, model, half_life_days))
        return ChannelCredit(model, journeys.channels, conversions, value)
    if model == "markov":
        result = markov.attribute(journeys)
        return ChannelCredit(model, journeys.channels, result.conversions, result.value,
                             result.removal_effect, result.conversion_probability)
    result = shapley.attribute(journeys)
    return ChannelCredit(model, journeys.channels, result.conversions, result.value)
