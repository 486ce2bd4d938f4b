"""Journeys as flat arrays: identical paths grouped exactly, even when hashes collide."""

from __future__ import annotations

import numpy as np
import pytest

import revops.engines.attribution.journeys as journeys_module
from revops.engines.attribution.journeys import Journeys, group_sequences
from revops.engines.attribution.journeys import from_names as journeys


def test_identical_paths_aggregate_into_one_row_with_their_numbers_summed():
    j = journeys(["a > b", "b", "a > b", "b > a", "b"], [1, 0, 1, 0, 1], [10.0, 0.0, 5.0, 0.0, 7.0],
                 [0, 1, 2, 1, 0])
    agg = j.aggregated()
    got = {agg.path(i): (agg.conversions[i], agg.value[i], agg.nulls[i]) for i in range(agg.count)}
    # order matters for a path: a > b and b > a are different journeys
    assert got == {("a", "b"): (2.0, 15.0, 2.0), ("b",): (1.0, 7.0, 1.0), ("b", "a"): (0.0, 0.0, 1.0)}
    assert agg.total_journeys == j.total_journeys == 7


def test_grouping_is_exact_when_the_hashes_collide(monkeypatch):
    # every path hashes alike: the step-by-step check catches it and groups by bytes instead
    monkeypatch.setattr(journeys_module, "_segment_sum", lambda values, bounds: np.zeros(len(bounds) - 1, np.uint64))
    steps = np.array([0, 1, 1, 0, 0, 1, 2], np.int32)
    bounds = np.array([0, 2, 4, 6, 7])
    group, first = group_sequences(steps, bounds)
    assert group.tolist() == [0, 1, 0, 2]
    assert first.tolist() == [0, 1, 3]


def test_many_random_paths_group_like_tuples():
    rng = np.random.default_rng(3)
    paths = [tuple(rng.integers(0, 4, rng.integers(1, 5))) for _ in range(3000)]
    j = journeys([[str(c) for c in p] for p in paths], [1] * len(paths))
    group, first = group_sequences(j.steps, j.bounds)
    expected = {}
    for i, p in enumerate(paths):
        expected.setdefault(p, []).append(i)
    assert len(first) == len(expected)
    for members in expected.values():
        assert len({group[i] for i in members}) == 1


def test_a_journey_needs_a_touch():
    with pytest.raises(ValueError, match="at least one touch"):
        Journeys(("a",), np.array([0], np.int32), np.array([0, 1, 1]), np.ones(2), np.ones(2), np.zeros(2))
