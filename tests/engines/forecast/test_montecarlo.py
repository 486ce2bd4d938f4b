"""The Monte Carlo: the same seed gives the same numbers, quantiles in order, and the mean of
the runs is the expected bookings."""

from __future__ import annotations

import numpy as np
import pytest

from revops.engines.forecast.creation import CreationGroup, CreationModel
from revops.engines.forecast.montecarlo import simulate, simulate_loop

rng = np.random.default_rng(3)
P = rng.uniform(0, 1, 2_000)
A = rng.lognormal(9, 1, 2_000)


def test_a_seed_gives_the_same_runs():
    a = simulate(P, A, runs=3_000, seed=11)
    b = simulate(P, A, runs=3_000, seed=11)
    assert np.array_equal(a.totals, b.totals)
    assert not np.array_equal(a.totals, simulate(P, A, runs=3_000, seed=12).totals)


def test_quantiles_are_in_order_and_center_on_the_expectation():
    sim = simulate(P, A, runs=5_000, seed=1)
    p10, p50, p90 = sim.quantiles()
    assert p10 < p50 < p90
    expected = float((P * A).sum())
    assert sim.mean == pytest.approx(expected, rel=0.01)
    sd = float(np.sqrt((P * (1 - P) * A ** 2).sum()))
    assert sim.totals.std() == pytest.approx(sd, rel=0.05)


def test_certain_deals_and_no_deals():
    sure = simulate(np.ones(3), np.array([1.0, 2.0, 3.0]), runs=100)
    assert set(sure.totals) == {6.0}
    assert simulate(np.zeros(0), np.zeros(0), runs=10).quantiles() == (0.0, 0.0, 0.0)


def test_deals_not_created_yet_add_a_poisson_number_of_drawn_amounts():
    creation = CreationModel([CreationGroup("new_business", 40.0, np.array([1_000.0, 3_000.0]))])
    sim = simulate(np.zeros(0), np.zeros(0), creation, runs=20_000, seed=5)
    assert sim.mean == pytest.approx(40 * 2_000, rel=0.02)
    wider = CreationModel(creation.groups, spread=0.3)
    assert simulate(np.zeros(0), np.zeros(0), wider, runs=20_000, seed=5).totals.std() > sim.totals.std()


def test_a_common_spread_widens_the_range_but_keeps_the_mean():
    narrow = simulate(P, A, runs=20_000, seed=2)
    wide = simulate(P, A, runs=20_000, seed=2, spread=0.1)
    assert wide.totals.std() > 2 * narrow.totals.std()
    assert wide.mean == pytest.approx(narrow.mean, rel=0.01)


def test_the_loop_baseline_draws_the_same_law():
    loop = simulate_loop(P[:200], A[:200], runs=2_000)
    assert loop.mean() == pytest.approx(float((P[:200] * A[:200]).sum()), rel=0.03)


def test_each_group_gets_its_own_runs_from_the_same_draws():
    groups = np.arange(len(P)) % 3
    plain, split = simulate(P, A, runs=2_000, seed=5), simulate(P, A, runs=2_000, seed=5, groups=groups)
    assert np.array_equal(plain.totals, split.totals)  # asking for groups changes no company number
    assert split.group_runs.shape == (2_000, 3)
    assert np.allclose(split.group_runs.sum(axis=1), split.totals, rtol=1e-5)
    for g in range(3):
        assert split.group_runs[:, g].mean() == pytest.approx(float((P * A)[groups == g].sum()), rel=0.02)
    sure = simulate(np.ones(3), np.array([1.0, 2.0, 3.0]), runs=10, groups=np.array([0, 1, 1]))
    assert sure.group_runs.tolist() == [[1.0, 5.0]] * 10
