"""Markov attribution: removal effects solved by hand on chains of two and three channels,
and held to the literal definition (take the channel out, solve the chain again)."""

from __future__ import annotations

import numpy as np
import pytest

from revops.engines.attribution import attribute, markov
from revops.engines.attribution.journeys import from_names as journeys
from revops.engines.attribution.journeys import from_paths

# Three channels, ten journeys:
#   A > B   4 journeys, 3 converted ($300 in all)
#   A > C   4 journeys, 1 converted ($50)
#   B       2 journeys, 1 converted ($150)
THREE = journeys(["A > B", "A > C", "B"], [3, 1, 1], [300.0, 50.0, 150.0], [1, 3, 1])


def test_three_channels_solved_by_hand():
    # start -> A 8/10, start -> B 2/10; A -> B 4/8, A -> C 4/8;
    # B -> conversion 4/6 (3 + 1), null 2/6; C -> conversion 1/4, null 3/4.
    # x(B) = 2/3, x(C) = 1/4, x(A) = 1/2 * 2/3 + 1/2 * 1/4 = 11/24
    # P = 0.8 * 11/24 + 0.2 * 2/3 = 1/2
    # without A: P = 0.2 * 2/3 = 2/15            RE(A) = 1 - (2/15) / (1/2) = 11/15
    # without B: x(A) = 1/2 * 1/4 = 1/8, P = 0.1  RE(B) = 1 - 0.1 / 0.5   = 4/5
    # without C: x(A) = 1/3, P = 0.8/3 + 0.2 * 2/3 = 0.4   RE(C) = 1/5
    # shares: 11/15 : 12/15 : 3/15 of 26/15 -> 11/26, 12/26, 3/26 of 5 conversions
    result = attribute(THREE, "markov")
    assert result.conversion_probability == pytest.approx(0.5)
    assert result.removal_effect.tolist() == pytest.approx([11 / 15, 4 / 5, 1 / 5])
    got = result.by_channel()
    assert got["A"][0] == pytest.approx(5 * 11 / 26)
    assert got["B"][0] == pytest.approx(5 * 12 / 26)
    assert got["C"][0] == pytest.approx(5 * 3 / 26)


def test_value_removal_effects_solved_by_hand():
    # a conversion from B is worth the mean of those that came from B: ($300 + $150) / 4;
    # per journey leaving B: rv(B) = 450 / 6 = 75; rv(C) = 50 / 4 = 12.5
    # xv(B) = 75, xv(C) = 12.5, xv(A) = 1/2 * 75 + 1/2 * 12.5 = 43.75; V = 0.8 * 43.75 + 0.2 * 75 = 50
    # without A: V = 15 -> 0.7; without B: xv(A) = 6.25, V = 5 -> 0.9; without C: xv(A) = 37.5, V = 45 -> 0.1
    # shares 7/17, 9/17, 1/17 of $500
    m = markov.attribute(THREE)
    assert m.value_removal_effect.tolist() == pytest.approx([0.7, 0.9, 0.1])
    assert m.value.tolist() == pytest.approx([500 * 7 / 17, 500 * 9 / 17, 500 / 17])


def test_two_channels_with_a_loop_solved_by_hand():
    #   a > b       1 converted, 1 not
    #   b           2 not
    #   a           1 converted, 1 not
    #   a > b > a   2 converted
    # start -> a 6/8, start -> b 2/8; a -> b 4/8, a -> conversion 3/8, a -> null 1/8;
    # b -> a 2/6, b -> conversion 1/6, b -> null 3/6
    # x(a) = 1/2 x(b) + 3/8, x(b) = 1/3 x(a) + 1/6  ->  x(a) = 11/20, x(b) = 7/20
    # P = 6/8 * 11/20 + 2/8 * 7/20 = 1/2
    # without a: x(b) = 1/6, P = 2/8 * 1/6 = 1/24       RE(a) = 1 - (1/24) / (1/2) = 11/12
    # without b: x(a) = 3/8, P = 6/8 * 3/8 = 9/32       RE(b) = 1 - (9/32) / (1/2) = 7/16
    j = journeys(["a > b", "b", "a", "a > b > a"], [1, 0, 1, 2], [10.0, 0.0, 5.0, 30.0], [1, 2, 1, 0])
    result = attribute(j, "markov")
    assert result.conversion_probability == pytest.approx(0.5)
    assert result.removal_effect.tolist() == pytest.approx([11 / 12, 7 / 16])
    total = 11 / 12 + 7 / 16
    assert result.conversions.tolist() == pytest.approx([4 * (11 / 12) / total, 4 * (7 / 16) / total])


def test_a_touch_repeated_in_a_row_is_the_same_journey_to_the_chain():
    # a self-loop changes how long a walk stays, not where it ends
    plain = attribute(THREE, "markov")
    looped = attribute(journeys(["A > A > B", "A > C > C > C", "B > B"], [3, 1, 1], [300.0, 50.0, 150.0],
                                [1, 3, 1]), "markov")
    assert looped.removal_effect.tolist() == pytest.approx(plain.removal_effect.tolist())
    assert looped.value.tolist() == pytest.approx(plain.value.tolist())


def removal_by_resolving(j) -> np.ndarray:
    """The literal definition: for each channel, send every transition into it to null and solve again."""
    chain = markov.chain(j)
    q, r, _ = chain.probabilities()
    q = q.toarray()
    n = q.shape[0]

    def p_conversion(qq, rr):
        return np.linalg.solve(np.eye(n) - qq, rr)[0]

    base = p_conversion(q, r)
    effects = []
    for state in range(1, n):
        qq, rr = q.copy(), r.copy()
        qq[state, :] = 0.0  # the removed channel absorbs: every walk reaching it ends in null
        rr[state] = 0.0
        effects.append(1 - p_conversion(qq, rr) / base)
    return np.array(effects)


def random_journeys(seed: int, channels: int, count: int):
    rng = np.random.default_rng(seed)
    paths = [list(rng.integers(0, channels, rng.integers(1, 7))) for _ in range(count)]
    conversions = rng.integers(0, 3, count)
    nulls = rng.integers(0, 4, count)
    value = conversions * rng.uniform(100, 1000, count)
    return from_paths(tuple(f"c{i}" for i in range(channels)), paths, conversions, value, nulls)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_one_factorisation_gives_the_same_effects_as_removing_each_channel_and_solving(seed):
    j = random_journeys(seed, channels=6, count=60)
    assert markov.attribute(j).removal_effect == pytest.approx(removal_by_resolving(j), rel=1e-9)


def test_the_sparse_solve_for_many_states_agrees_with_the_dense_one(monkeypatch):
    j = random_journeys(7, channels=40, count=400)
    dense = markov.attribute(j)
    monkeypatch.setattr(markov, "DENSE_STATES", 10)
    monkeypatch.setattr(markov, "BLOCK", 16)
    monkeypatch.setattr(markov, "DENSE_COUNTS", 10)  # transitions counted as sparse cells too
    sparse = markov.attribute(j)
    assert sparse.removal_effect == pytest.approx(dense.removal_effect, rel=1e-9)
    assert sparse.value == pytest.approx(dense.value, rel=1e-9)


def test_shares_add_up_to_the_conversions_and_value():
    j = random_journeys(11, channels=8, count=200)
    m = markov.attribute(j)
    assert m.conversions.sum() == pytest.approx(j.total_conversions)
    assert m.value.sum() == pytest.approx(j.total_value)


def test_no_conversions_credits_nobody():
    m = attribute(journeys(["a > b", "b"], [0, 0], nulls=[3, 1]), "markov")
    assert m.conversions.tolist() == [0.0, 0.0]
    assert m.removal_effect.tolist() == [0.0, 0.0]


def test_a_channel_only_on_paths_nobody_walked_gets_nothing():
    # the paths file may hold a line with 0 conversions and 0 nulls
    m = attribute(journeys(["a", "b"], [1, 0], nulls=[1, 0]), "markov")
    assert m.by_channel() == {"a": (1.0, 1.0), "b": (0.0, 0.0)}


def test_the_chain_can_be_read_as_transitions():
    rows = markov.chain(THREE).transitions()
    got = {(r["from"], r["to"]): r["probability"] for r in rows}
    assert got[("(start)", "A")] == pytest.approx(0.8)
    assert got[("A", "C")] == pytest.approx(0.5)
    assert got[("B", "(conversion)")] == pytest.approx(2 / 3)
    assert got[("C", "(null)")] == pytest.approx(0.75)
