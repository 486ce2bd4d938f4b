"""Rule-based attribution: each touch's share of its journey's conversion, by a written rule.

Every rule gives each touch of a journey a weight, the weights of a journey add up to 1, and
a channel's credit is the sum over its touches of weight x the journey's conversions (and
weight x its value). The rules (docs/attribution.md has them with examples):

- ``first_touch``: all to the first touch.
- ``last_touch``: all to the last touch before the conversion.
- ``linear``: 1/n to each of the n touches, repeats included (a channel touched twice gets 2/n).
- ``u_shaped``: 40% first, 40% last, 20% shared by the touches between. One touch: 100%.
  Two touches: 50% each (there is no middle to give the 20% to, so it is split evenly).
- ``w_shaped``: 30% to the first touch, 30% to the touch that created the lead, 30% to the
  touch that created the opportunity, 10% shared by the other touches. Milestones on the
  same touch add up (a lead created by its first touch: 60% there). When nothing else is
  left to share the 10% with, the milestone weights are scaled to add up to 100%. A journey
  without a lead-creation marker reads its first touch as the lead's creation (a person
  becomes a known lead at their first recorded touch); one without an opportunity-creation
  marker reads its last touch as the opportunity's creation (a journey ends in its
  conversion). So a paths file, which has no markers, gives 60% first, 30% last, 10% between.
- ``time_decay``: weight 2^(-d/h) for a touch d days before the journey's end, half-life h
  (7 days by default), scaled to add up to 100%. Without timestamps (a paths file) each step
  back from the conversion counts as one day: the last touch is day 0, the one before day 1.
"""

from __future__ import annotations

import numpy as np

from revops.engines.attribution.journeys import Journeys

RULES = ("first_touch", "last_touch", "linear", "u_shaped", "w_shaped", "time_decay")
DEFAULT_HALF_LIFE_DAYS = 7.0
U_ENDS, U_MIDDLE = 0.4, 0.2
W_MILESTONE, W_REST = 0.3, 0.1


def touch_weights(journeys: Journeys, rule: str, half_life_days: float = DEFAULT_HALF_LIFE_DAYS) -> np.ndarray:
    """Each touch's share of its journey's conversions, by ``rule``; a journey's shares add up to 1."""
    n = journeys.lengths
    length = np.repeat(n, n).astype(np.float64)
    pos = journeys.position
    first, last = pos == 0, pos == length - 1
    if rule == "first_touch":
        return first.astype(np.float64)
    if rule == "last_touch":
        return last.astype(np.float64)
    if rule == "linear":
        return 1.0 / length
    if rule == "u_shaped":
        middle = U_MIDDLE / np.maximum(length - 2, 1)
        w = np.where(first | last, U_ENDS, middle)
        w = np.where(length == 2, 0.5, w)
        return np.where(length == 1, 1.0, w)
    if rule == "w_shaped":
        return _w_shaped(journeys, first, last)
    if rule == "time_decay":
        return _time_decay(journeys, pos, length, half_life_days)
    raise ValueError(f"unknown rule {rule!r}; the rules are {', '.join(RULES)}")


def _w_shaped(journeys: Journeys, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    j = journeys.journey_of_step
    count = journeys.count
    lead = _milestone(journeys.lead_created, first, j, count)
    opportunity = _milestone(journeys.opportunity_created, last, j, count)
    milestones = W_MILESTONE * (first.astype(np.float64) + lead + opportunity)
    rest = milestones == 0
    rest_count = np.bincount(j, rest, count)[j]
    shared = np.where(rest, W_REST / np.maximum(rest_count, 1), 0.0)
    weights = milestones + shared
    nothing_to_share = rest_count == 0
    total = np.bincount(j, milestones, count)[j]
    return np.where(nothing_to_share, milestones / total, weights)


def _milestone(marker: np.ndarray | None, fallback: np.ndarray, j: np.ndarray, count: int) -> np.ndarray:
    """The milestone touch as 0/1 per touch: the marked touch, else ``fallback`` in journeys
    that have no marked touch."""
    if marker is None:
        return fallback.astype(np.float64)
    marker = marker.astype(bool)
    has = np.bincount(j, marker, count)[j] > 0
    return np.where(has, marker, fallback).astype(np.float64)


def _time_decay(journeys: Journeys, pos: np.ndarray, length: np.ndarray, half_life_days: float) -> np.ndarray:
    if not half_life_days > 0:
        raise ValueError(f"the half-life must be a positive number of days, not {half_life_days}")
    days = journeys.days_before
    if days is None:
        days = length - 1 - pos  # one day a step back from the conversion
    days = np.maximum(np.asarray(days, np.float64), 0.0)
    j = journeys.journey_of_step
    count = journeys.count
    # relative to the journey's latest touch, so a journey years long does not underflow to 0/0
    latest = np.full(count, np.inf)
    np.minimum.at(latest, j, days)
    w = np.exp2(-(days - latest[j]) / half_life_days)
    return w / np.bincount(j, w, count)[j]


def credit(journeys: Journeys, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(conversions, value) credited to each channel: the touch weights times their journey's
    conversions and value, summed by channel."""
    j = journeys.journey_of_step
    k = len(journeys.channels)
    return (np.bincount(journeys.steps, weights * journeys.conversions[j], k),
            np.bincount(journeys.steps, weights * journeys.value[j], k))
