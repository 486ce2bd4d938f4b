"""Shapley attribution: each channel's fair share of what the coalitions it joins convert.

The players are the channels. A journey's *coalition* is the set of distinct channels it
touched (order and repeats do not matter here). The worth of a coalition S is what the data
says journeys with exactly those channels produce, per journey:

    v(S) = conversions of the journeys whose coalition is S / those journeys
           (converted or not): their conversion rate

and, for the value column, the same with conversion value in place of conversions. A
coalition no journey had is worth 0: nothing observed converted with exactly those channels.
The empty coalition is worth 0.

The conversions of the journeys with coalition T are shared among T's channels in proportion
to their Shapley values in the game restricted to T (Dalessandro et al., 2012: a channel is
credited only for conversions of journeys it was part of)::

    phi(c) = sum over S subset of T without c of |S|! (k - |S| - 1)! / k! (v(S + c) - v(S)),  k = |T|

The phi of T's channels add up to v(T). A channel whose phi is negative (journeys with it
converted less often than the same journeys without it) gets no share of T's conversions,
and the others' shares are scaled to add up to 1.

Exactly, for any number of channels. Because unobserved coalitions are worth 0, only the
observed coalitions inside T enter the sum: each v(S) is added to phi(c) with weight
w(|S| - 1) when c is in S and -w(|S|) when it is not, w(s) = s! (k - s - 1)! / k!. They are found by enumerating T's 2^k subsets or by scanning the observed coalitions,
whichever is fewer, so a journey through 30 channels costs at most one pass over the
observed coalitions, never 2^30: there is no cut-off above which the values are approximated.
The cost grows with (converting coalitions) x min(2^k, observed coalitions); for a company's
channels (a dozen) it is milliseconds, by campaign it is seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import factorial

import numpy as np

from revops.engines.attribution.journeys import Journeys, group_sequences


@dataclass(frozen=True)
class Coalitions:
    """The distinct channel sets of the journeys: members (sorted channel indexes) of each,
    and per coalition the journeys, conversions and value that had exactly it."""

    members: list[tuple[int, ...]]
    journeys: np.ndarray
    conversions: np.ndarray
    value: np.ndarray


@dataclass(frozen=True)
class ShapleyAttribution:
    channels: tuple[str, ...]
    conversions: np.ndarray
    value: np.ndarray
    coalitions: int
    """Distinct coalitions observed."""


def coalitions(journeys: Journeys) -> Coalitions:
    """Group journeys by the set of channels they touched (vectorised, exact)."""
    j = journeys.journey_of_step
    order = np.lexsort((journeys.steps, j))
    js, cs = j[order], journeys.steps[order]
    distinct = np.r_[True, (js[1:] != js[:-1]) | (cs[1:] != cs[:-1])]
    js, cs = js[distinct], cs[distinct]
    bounds = np.zeros(journeys.count + 1, np.int64)
    np.cumsum(np.bincount(js, minlength=journeys.count), out=bounds[1:])
    group, first = group_sequences(cs, bounds)
    k = len(first)
    members = [tuple(int(c) for c in cs[bounds[f]:bounds[f + 1]]) for f in first]
    weight = journeys.conversions + journeys.nulls
    return Coalitions(members, np.bincount(group, weight, k), np.bincount(group, journeys.conversions, k),
                      np.bincount(group, journeys.value, k))


def attribute(journeys: Journeys) -> ShapleyAttribution:
    """Conversions and value credited to each channel by its Shapley value in each coalition."""
    co = coalitions(journeys)
    n_channels = len(journeys.channels)
    seen = co.journeys > 0
    rate = np.divide(co.conversions, co.journeys, out=np.zeros_like(co.conversions), where=seen)
    value_rate = np.divide(co.value, co.journeys, out=np.zeros_like(co.value), where=seen)
    worth = {m: (rate[i], value_rate[i]) for i, m in enumerate(co.members) if seen[i]}
    observed = [(frozenset(m), w) for m, w in worth.items()]
    conversions = np.zeros(n_channels)
    value = np.zeros(n_channels)
    for i, members in enumerate(co.members):
        if co.conversions[i] <= 0 and co.value[i] <= 0:
            continue
        phi, phi_value = coalition_shapley(members, worth, observed)
        idx = list(members)
        conversions[idx] += co.conversions[i] * _shares(phi)
        value[idx] += co.value[i] * _shares(phi_value)
    return ShapleyAttribution(journeys.channels, conversions, value, len(co.members))


def coalition_shapley(members: tuple[int, ...], worth: dict[tuple[int, ...], tuple[float, float]],
                      observed: list[tuple[frozenset, tuple[float, float]]] | None = None
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Shapley values of ``members`` (sorted channel indexes) in the game restricted to them,
    for the conversion-rate worth and the value worth: two arrays in ``members``' order.
    ``observed`` (the coalitions with their worth) lets a large coalition scan them instead of
    enumerating its 2^k subsets."""
    k = len(members)
    if observed is not None and (k >= 63 or 2 ** k > len(observed)):
        subsets = subsets_scanned(members, observed)
    else:
        subsets = subsets_enumerated(members, worth)
    return shapley_values(members, subsets)


def shapley_values(members: tuple[int, ...], subsets: list[tuple[frozenset, tuple[float, float]]]
                   ) -> tuple[np.ndarray, np.ndarray]:
    """phi of each member from the observed coalitions inside ``members`` and their worth."""
    k = len(members)
    if not subsets:
        return np.zeros(k), np.zeros(k)
    w = np.array([factorial(s) * factorial(k - s - 1) / factorial(k) for s in range(k)] + [0.0])
    inside = np.array([[c in s for c in members] for s, _ in subsets])  # subsets x members
    sizes = inside.sum(axis=1)
    values = np.array([v for _, v in subsets])  # subsets x 2
    # v(S) enters phi(c) with +w(|S|-1) when c is in S (S = S' + c) and -w(|S|) when not (S = S')
    coefficient = np.where(inside, w[sizes - 1][:, None], -w[sizes][:, None])
    phi = coefficient.T @ values  # members x 2
    return phi[:, 0], phi[:, 1]


def subsets_enumerated(members: tuple[int, ...], worth: dict) -> list[tuple[frozenset, tuple[float, float]]]:
    """The observed coalitions inside ``members``, found by trying each of its 2^k - 1 subsets."""
    k = len(members)
    found = []
    for mask in range(1, 2 ** k):
        subset = tuple(members[i] for i in range(k) if mask >> i & 1)
        if subset in worth:
            found.append((frozenset(subset), worth[subset]))
    return found


def subsets_scanned(members: tuple[int, ...], observed: list[tuple[frozenset, tuple[float, float]]]
                    ) -> list[tuple[frozenset, tuple[float, float]]]:
    """The observed coalitions inside ``members``, found by checking each observed coalition."""
    whole = frozenset(members)
    return [(s, v) for s, v in observed if s <= whole]


def _shares(phi: np.ndarray) -> np.ndarray:
    """Shares of a coalition's conversions: the positive Shapley values, scaled to add up to 1."""
    positive = np.clip(phi, 0.0, None)
    total = positive.sum()
    return positive / total if total > 0 else np.full(len(phi), 1.0 / len(phi))
