"""Buyer journeys as flat arrays: the one input every attribution model reads.

A journey is the ordered list of touches (by channel or campaign) that ended in a
conversion, or did not end in one yet. Journeys are kept one after another in flat numpy
arrays (the compressed-row layout of a sparse matrix): journey ``j``'s touches are
``steps[bounds[j]:bounds[j + 1]]``. A row may stand for many identical journeys, as in an
aggregated paths file: ``conversions`` of them converted, ``nulls`` did not.

Flat arrays, not a list of lists, because a company's history is millions of touches and
every model here is a handful of vectorised passes over them: a Python loop per journey
would be the whole cost of the command.

What only the store knows is optional: ``days_before`` (how long before the journey's end
each touch happened, for time decay) and the milestone flags ``lead_created`` and
``opportunity_created`` (the touch that created the lead and the one that created the
opportunity, for W-shaped). A paths file has none of them; see docs/attribution.md for how
each model reads a journey without them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np



@dataclass(frozen=True)
class Journeys:
    """Journeys (or aggregated paths) over ``channels``; see the module's docstring."""

    channels: tuple[str, ...]
    """Names of the channels (or campaigns); a step holds the index of its channel here."""
    steps: np.ndarray
    """int32 channel index of every touch, journeys one after another, each in time order."""
    bounds: np.ndarray
    """int64, one more than the journeys: journey j's touches are steps[bounds[j]:bounds[j+1]]."""
    conversions: np.ndarray
    """float64 per journey: how many conversions it ended in (0 or 1 for one journey)."""
    value: np.ndarray
    """float64 per journey: the value of those conversions (1 a conversion, an amount, revenue)."""
    nulls: np.ndarray
    """float64 per journey: how many journeys with this path did not convert."""
    days_before: np.ndarray | None = None
    """float64 per touch: days between the touch and the journey's end; None: not known."""
    lead_created: np.ndarray | None = None
    """bool per touch: the touch that created the journey's lead; None: no milestones known."""
    opportunity_created: np.ndarray | None = None
    """bool per touch: the touch that created the journey's opportunity; None: not known."""

    def __post_init__(self) -> None:
        n = len(self.bounds) - 1
        if n < 0 or self.bounds[0] != 0 or self.bounds[-1] != len(self.steps):
            raise ValueError("bounds must run from 0 to the number of steps")
        if np.any(np.diff(self.bounds) < 1):
            raise ValueError("every journey needs at least one touch")
        for name in ("conversions", "value", "nulls"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"{name} needs one entry per journey ({n})")

    @property
    def count(self) -> int:
        """Rows: journeys, or distinct paths once aggregated."""
        return len(self.bounds) - 1

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.bounds)

    @property
    def journey_of_step(self) -> np.ndarray:
        """Index of the journey each touch belongs to."""
        return np.repeat(np.arange(self.count), self.lengths)

    @property
    def position(self) -> np.ndarray:
        """Place of each touch in its journey, 0 for the first."""
        return np.arange(len(self.steps)) - np.repeat(self.bounds[:-1], self.lengths)

    @property
    def total_conversions(self) -> float:
        return float(self.conversions.sum())

    @property
    def total_value(self) -> float:
        return float(self.value.sum())

    @property
    def total_journeys(self) -> float:
        """Journeys the rows stand for: those that converted and those that did not."""
        return float(self.conversions.sum() + self.nulls.sum())

    def path(self, j: int) -> tuple[str, ...]:
        """Journey ``j`` as channel names, for messages and tests."""
        return tuple(self.channels[c] for c in self.steps[self.bounds[j]:self.bounds[j + 1]])

    def aggregated(self) -> Journeys:
        """Identical paths as one row, conversions, value and nulls summed (the layout of a
        paths file). Touch timing and milestones are dropped: two journeys with the same
        channels at different times are one path."""
        group, first = group_sequences(self.steps, self.bounds)
        k = len(first)
        lengths = self.lengths[first]
        bounds = np.zeros(k + 1, np.int64)
        np.cumsum(lengths, out=bounds[1:])
        rows = np.repeat(self.bounds[first], lengths) + (np.arange(bounds[-1]) - np.repeat(bounds[:-1], lengths))
        return Journeys(self.channels, self.steps[rows], bounds,
                        np.bincount(group, self.conversions, k), np.bincount(group, self.value, k),
                        np.bincount(group, self.nulls, k))


def from_paths(channels: tuple[str, ...], paths: list[list[int]], conversions, value, nulls) -> Journeys:
    """Journeys from lists of channel indexes (small inputs: tests, a parsed file)."""
    lengths = np.fromiter((len(p) for p in paths), np.int64, len(paths))
    bounds = np.zeros(len(paths) + 1, np.int64)
    np.cumsum(lengths, out=bounds[1:])
    steps = np.fromiter((c for p in paths for c in p), np.int32, int(bounds[-1]))
    return Journeys(tuple(channels), steps, bounds, np.asarray(conversions, np.float64),
                    np.asarray(value, np.float64), np.asarray(nulls, np.float64))


def from_names(paths: list[tuple[str, ...] | str], conversions, value=None, nulls=None, **per_touch) -> Journeys:
    """Journeys from channel names: ``from_names(["a > b", "b"], [1, 0], nulls=[0, 1])``.
    Channels are indexed in order of first appearance; value defaults to the conversions."""
    split = [tuple(s.strip() for s in p.split(">")) if isinstance(p, str) else tuple(p) for p in paths]
    names = tuple(dict.fromkeys(c for p in split for c in p))
    index = {c: i for i, c in enumerate(names)}
    conversions = np.asarray(conversions, np.float64)
    j = from_paths(names, [[index[c] for c in p] for p in split], conversions,
                   conversions if value is None else value,
                   np.zeros(len(split)) if nulls is None else nulls)
    if per_touch:
        extra = {k: None if v is None else np.asarray(v) for k, v in per_touch.items()}
        j = Journeys(j.channels, j.steps, j.bounds, j.conversions, j.value, j.nulls, **extra)
    return j


def group_sequences(steps: np.ndarray, bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Identical sequences grouped: (group of each sequence, first sequence of each group).

    Sequences are hashed with two independent polynomial hashes (vectorised), grouped by
    (length, hashes), then every member is compared step by step with its group's first
    sequence, so the grouping is exact: a hash collision is caught and the sequences are
    grouped by their bytes instead (slower, never wrong)."""
    n = len(bounds) - 1
    if n == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    lengths = np.diff(bounds)
    pos = np.arange(len(steps)) - np.repeat(bounds[:-1], lengths)
    codes = steps.astype(np.uint64) + np.uint64(1)
    keys = [lengths.astype(np.uint64)]
    for base in (np.uint64(1_000_003), np.uint64(2_147_483_659)):
        powers = _powers(base, int(lengths.max()))
        keys.append(_segment_sum(codes * powers[pos], bounds))
    order = np.lexsort(keys[::-1])
    sorted_keys = np.stack([k[order] for k in keys])
    new = np.r_[True, np.any(sorted_keys[:, 1:] != sorted_keys[:, :-1], axis=0)]
    group_sorted = np.cumsum(new) - 1
    group = np.empty(n, np.int64)
    group[order] = group_sorted
    first = order[new]
    rep_step = steps[np.repeat(bounds[first[group]], lengths) + pos]
    if np.array_equal(rep_step, steps):
        return group, first
    return _group_by_bytes(steps, bounds)


def _powers(base: np.uint64, length: int) -> np.ndarray:
    with np.errstate(over="ignore"):
        out = np.empty(max(length, 1), np.uint64)
        out[0] = 1
        for i in range(1, len(out)):
            out[i] = out[i - 1] * base
    return out


def _segment_sum(values: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Sum of ``values`` over each journey, wrapping at 2**64 (a hash, not a number)."""
    with np.errstate(over="ignore"):
        csum = np.concatenate([np.zeros(1, np.uint64), np.cumsum(values, dtype=np.uint64)])
        return csum[bounds[1:]] - csum[bounds[:-1]]


def _group_by_bytes(steps: np.ndarray, bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    seen: dict[bytes, int] = {}
    group = np.empty(len(bounds) - 1, np.int64)
    first: list[int] = []
    for j in range(len(bounds) - 1):
        key = steps[bounds[j]:bounds[j + 1]].tobytes()
        g = seen.setdefault(key, len(first))
        if g == len(first):
            first.append(j)
        group[j] = g
    return group, np.asarray(first, np.int64)
