"""Shapley attribution worked out by hand on two and three channels.

The journeys (a coalition is the set of channels a journey touched, order and repeats aside):

    A               10 journeys, 2 converted   v(A)   = 0.2
    B               10 journeys, 1 converted   v(B)   = 0.1
    A > B, B > A > B  10 journeys, 5 converted v(AB)  = 0.5
    C > A > B        4 journeys, 2 converted   v(ABC) = 0.5
    B > C            4 journeys, 1 converted   v(BC)  = 0.25
    nobody had C alone or A with C:            v(C) = v(AC) = 0

Every conversion is worth $100, so value follows the conversions.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from revops.engines.attribution import attribute, shapley
from revops.engines.attribution.journeys import from_names as journeys
from revops.engines.attribution.journeys import from_paths

PATHS = ["A", "B", "A > B", "B > A > B", "C > A > B", "B > C"]
CONV = [2, 1, 3, 2, 2, 1]
NULLS = [8, 9, 2, 3, 2, 3]
DATA = journeys(PATHS, CONV, [100.0 * c for c in CONV], NULLS)


def test_coalitions_ignore_order_and_repeats():
    co = shapley.coalitions(DATA)
    index = {name: i for i, name in enumerate(DATA.channels)}
    got = {frozenset(DATA.channels[c] for c in m): (co.journeys[i], co.conversions[i])
           for i, m in enumerate(co.members)}
    assert got == {frozenset("A"): (10, 2), frozenset("B"): (10, 1), frozenset("AB"): (10, 5),
                   frozenset("ABC"): (4, 2), frozenset("BC"): (4, 1)}
    assert all(list(m) == sorted(m) for m in co.members) and len(index) == 3


def test_two_channels_by_hand():
    # in {A, B}: phi(A) = 1/2 v(A) + 1/2 (v(AB) - v(B)) = 0.1 + 0.2 = 0.3
    #            phi(B) = 1/2 v(B) + 1/2 (v(AB) - v(A)) = 0.05 + 0.15 = 0.2   (sum 0.5 = v(AB))
    members = tuple(sorted(DATA.channels.index(c) for c in "AB"))
    phi, phi_value = shapley.coalition_shapley(members, _worth())
    assert _named(members, phi) == pytest.approx({"A": 0.3, "B": 0.2})
    assert _named(members, phi_value) == pytest.approx({"A": 30.0, "B": 20.0})


def test_three_channels_by_hand():
    # k = 3: weights |S|!(k-|S|-1)!/k! are 1/3 for |S| = 0, 1/6 for 1, 1/3 for 2
    # phi(A) = 1/3 v(A) + 1/6 (v(AB) - v(B)) + 1/6 (v(AC) - v(C)) + 1/3 (v(ABC) - v(BC))
    #        = 0.2/3 + 0.4/6 + 0 + 0.25/3                 = 13/60
    # phi(B) = 1/3 v(B) + 1/6 (v(AB) - v(A)) + 1/6 (v(BC) - v(C)) + 1/3 (v(ABC) - v(AC))
    #        = 0.1/3 + 0.3/6 + 0.25/6 + 0.5/3             = 35/120
    # phi(C) = 1/3 v(C) + 1/6 (v(AC) - v(A)) + 1/6 (v(BC) - v(B)) + 1/3 (v(ABC) - v(AB))
    #        = 0 - 0.2/6 + 0.15/6 + 0                     = -1/120
    # sum = 60/120 = v(ABC)
    members = tuple(sorted(DATA.channels.index(c) for c in "ABC"))
    phi, _ = shapley.coalition_shapley(members, _worth())
    assert _named(members, phi) == pytest.approx({"A": 13 / 60, "B": 35 / 120, "C": -1 / 120})


def test_credit_by_hand_with_a_negative_value_given_no_share():
    # {A}: 2 -> A.  {B}: 1 -> B.  {A,B}: 5 split 0.3 : 0.2 -> A 3, B 2.
    # {B,C}: phi(B) = 0.05 + 0.125 = 0.175, phi(C) = 0 + 0.075 -> 1 conversion 0.7 : 0.3
    # {A,B,C}: C's phi is negative -> no share; A : B = 26 : 35 of 2 conversions
    got = attribute(DATA, "shapley").by_channel()
    assert got["A"][0] == pytest.approx(2 + 3 + 2 * 26 / 61)
    assert got["B"][0] == pytest.approx(1 + 2 + 0.7 + 2 * 35 / 61)
    assert got["C"][0] == pytest.approx(0.3)
    assert sum(c for c, _ in got.values()) == pytest.approx(11)
    assert got["A"][1] == pytest.approx(100 * got["A"][0])


def test_value_uses_the_value_each_coalition_converts_with():
    # {a}: 2 journeys, 1 converted for $1,000: v = 0.5, value worth $500 a journey
    # {a, b}: 2 journeys, 2 converted for $200 in all: v = 1, value worth $100 a journey
    # {b}: 2 journeys, 1 converted for $400: v = 0.5, value worth $200
    # conversions of {a,b}: phi(a) = 1/2 0.5 + 1/2 (1 - 0.5) = 0.5, phi(b) = 0.5 -> 1 : 1
    # value of {a,b}:       phi(a) = 1/2 500 + 1/2 (100 - 200) = 200, phi(b) = 1/2 200 + 1/2 (100 - 500) = -100
    #                       -> b gets no share of the $200
    j = journeys(["a", "a > b", "b"], [1, 2, 1], [1000.0, 200.0, 400.0], [1, 0, 1])
    got = attribute(j, "shapley").by_channel()
    assert got["a"] == pytest.approx((1 + 1.0, 1000.0 + 200.0))
    assert got["b"] == pytest.approx((1 + 1.0, 400.0))


def test_no_cutoff_a_journey_through_25_channels_is_exact():
    # one journey touched all 25 channels and converted (v = 1); c0 alone: 2 journeys, 1 converted (0.5).
    # 2^25 subsets would be 33M: the 2 observed coalitions inside are scanned instead.
    # k = 25: phi(c) for c != c0 = w(24) * 1 - w(1) * 0.5 = 1/25 - 1/1200
    #         phi(c0)            = w(24) * 1 + w(0) * 0.5 = 1/25 + 1/50      (sum 1 = v(T))
    names = tuple(f"c{i}" for i in range(25))
    j = from_paths(names, [list(range(25)), [0]], [1, 1], [1, 1], [0, 1])
    t0 = time.perf_counter()
    got = attribute(j, "shapley")
    assert time.perf_counter() - t0 < 2
    others = 1 / 25 - 1 / 1200
    first = 1 / 25 + 1 / 50
    assert got.conversions[0] == pytest.approx(1 + first)  # its own conversion, plus its share of the big one
    assert got.conversions[1:].tolist() == pytest.approx([others] * 24)


def test_enumerating_subsets_and_scanning_coalitions_agree():
    rng = np.random.default_rng(5)
    paths = [list(rng.choice(8, rng.integers(1, 6), replace=False)) for _ in range(120)]
    conv = rng.integers(0, 3, 120)
    j = from_paths(tuple(f"c{i}" for i in range(8)), paths, conv, conv * 10.0, rng.integers(0, 5, 120))
    co = shapley.coalitions(j)
    seen = co.journeys > 0
    worth = {m: (co.conversions[i] / co.journeys[i], co.value[i] / co.journeys[i])
             for i, m in enumerate(co.members) if seen[i]}
    observed = [(frozenset(m), w) for m, w in worth.items()]
    for members in co.members:
        by_subsets = shapley.subsets_enumerated(members, worth)
        by_scan = shapley.subsets_scanned(members, observed)
        assert {s: v for s, v in by_subsets} == {s: v for s, v in by_scan}
        enumerated = shapley.shapley_values(members, by_subsets)
        assert enumerated[0] == pytest.approx(shapley.shapley_values(members, by_scan)[0])
        # efficiency: the phi of a coalition add up to its worth
        assert enumerated[0].sum() == pytest.approx(worth.get(members, (0.0, 0.0))[0])


def test_shares_add_up_to_the_conversions_and_value():
    rng = np.random.default_rng(9)
    paths = [list(rng.integers(0, 6, rng.integers(1, 6))) for _ in range(200)]
    conv = rng.integers(0, 2, 200)
    j = from_paths(tuple(f"c{i}" for i in range(6)), paths, conv, conv * rng.uniform(1, 9, 200), 1 - conv)
    got = attribute(j, "shapley")
    assert got.conversions.sum() == pytest.approx(j.total_conversions)
    assert got.value.sum() == pytest.approx(j.total_value)


def _worth() -> dict:
    co = shapley.coalitions(DATA)
    return {m: (co.conversions[i] / co.journeys[i], co.value[i] / co.journeys[i]) for i, m in enumerate(co.members)}


def _named(members, phi) -> dict[str, float]:
    return {DATA.channels[c]: float(p) for c, p in zip(members, phi)}
