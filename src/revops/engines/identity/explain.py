"""Why a pair is a match, in words: each comparison's level and the weight it added.

A weight is log2 of the level's Bayes factor m/u: +10 means the level is ~1,000 times more often
seen between two records of one entity than between two different ones; negative weights speak
against a match. The pair's match weight is their sum plus the prior (how rare duplicates are),
and its probability is 2^w / (1 + 2^w).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

REASONS_SHOWN = 4
"""Reasons listed per pair: the comparisons that moved its weight most."""


@dataclass(frozen=True, slots=True)
class Reason:
    comparison: str
    level: str
    weight: float
    """log2 of the level's Bayes factor, term-frequency adjustment included."""

    @property
    def bayes_factor(self) -> float:
        return 2.0 ** self.weight

    def __str__(self) -> str:
        return f"{self.level} ({self.weight:+.1f})"


class LevelBook:
    """The label of each (comparison, gamma) of a trained linker."""

    def __init__(self, linker: Any) -> None:
        self.labels: dict[tuple[str, int], str] = {}
        self.comparisons: list[str] = []
        for comparison in linker._settings_obj.comparisons:
            name = comparison.output_column_name
            self.comparisons.append(name)
            for level in comparison.comparison_levels:
                self.labels[(name, level.comparison_vector_value)] = level.label_for_charts

    def reasons(self, row: dict[str, Any]) -> list[Reason]:
        """Every comparison of one predicted pair (a row of Splink's predictions), strongest
        first; levels with no weight (a value missing on one side) are left out."""
        found = []
        for name in self.comparisons:
            gamma = row.get(f"gamma_{name}")
            if gamma is None or gamma == -1:
                continue
            weight = _number(row.get(f"mw_{name}")) + _number(row.get(f"mw_tf_adj_{name}"))
            label = self.labels.get((name, int(gamma)), f"{name} level {gamma}")
            found.append(Reason(name, label, round(weight, 2)))
        found.sort(key=lambda r: -abs(r.weight))
        return found


def _number(value: Any) -> float:
    if value is None:
        return 0.0
    number = float(value)
    return 0.0 if math.isnan(number) or math.isinf(number) else number


def in_words(reasons: list[Reason], limit: int = REASONS_SHOWN) -> list[str]:
    """The strongest reasons as short phrases: ["same e-mail address (+20.4)", …]."""
    return [str(r) for r in reasons[:limit]]
