"""Markov-chain attribution: the removal effect of each channel, solved exactly.

The journeys become a first-order absorbing Markov chain (Anderl et al., 2016): the states
are ``start``, one per channel, and two absorbing ends, ``conversion`` and ``null``. Every
journey walks start -> c1 -> ... -> cn -> conversion (or null); the transition probability
from a state to another is the share of the journeys leaving the first that went to the
second. A channel's *removal effect* is how much of the conversion probability is lost when
the channel is taken out of the chain (every journey reaching it ends there, in null)::

    RE(c) = 1 - P(conversion | c removed) / P(conversion)

and the channel's share of the conversions is ``RE(c) / sum of RE``.

Exact, not simulated. ChannelAttribution estimates P(conversion | c removed) by simulating
walks; here it is solved. With Q the transitions among the transient states (start and the
channels) and r the probability of converting in one step, the conversion probability from
every state is x = (I - Q)^-1 r, and the expected number of visits to state c starting from
start is N[start, c] with N = (I - Q)^-1. Removing c only changes walks that reach c, and
from c a walk converts with probability x[c], so::

    P(conversion | c removed) = P(conversion) - h(c) x[c],   h(c) = N[start, c] / N[c, c]

where h(c) is the probability of ever reaching c. One factorisation of I - Q gives every
channel's removal effect: no sampling noise and no second solve per channel (a test holds
this to the literal "remove the channel and solve again").

Value. A conversion from channel j carries the mean value of the conversions whose last
touch was j; the expected value of a journey is then xv[start] with xv = (I - Q)^-1 rv,
rv[j] = (value of the conversions that came from j) / (journeys leaving j), and the value
removal effect is h(c) xv[c] / xv[start]. Shares of value follow from it as for conversions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from revops.engines.attribution.journeys import Journeys

DENSE_STATES = 8_000
"""Up to this many transient states (channels or campaigns, + start) the chain is inverted
densely: milliseconds for a company's channels, 0.4 s for 2,500 campaigns, 5 s for 6,000
(two matrices of states^2 floats, 1 GB at the limit). A marketing chain fills in when it is
factorised, so sparse solves are slower than LAPACK long before that (92 s for 6,000 states);
above the limit one sparse LU factorisation is solved against blocks of unit vectors for the
diagonal of N, which is slow (minutes) but does not need states^2 memory."""
BLOCK = 256
DENSE_COUNTS = 4_000_000
"""Up to this many cells (states squared) transitions are counted into a dense array."""


@dataclass(frozen=True)
class MarkovChain:
    """The chain's transition counts: ``between`` (transient x transient, sparse, state 0 is
    start, state c + 1 is channel c), and per transient state the journeys that converted,
    the value they carried and the journeys that ended in null right after it."""

    channels: tuple[str, ...]
    between: sp.csr_matrix
    to_conversion: np.ndarray
    conversion_value: np.ndarray
    to_null: np.ndarray

    @property
    def leaving(self) -> np.ndarray:
        """Journeys leaving each transient state (to any state)."""
        return np.asarray(self.between.sum(axis=1)).ravel() + self.to_conversion + self.to_null

    def probabilities(self) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
        """(Q, r, rv): transitions among transient states, one-step conversion probability and
        one-step expected conversion value, per state. A state nobody left has all zero."""
        leaving = self.leaving
        inv = np.divide(1.0, leaving, out=np.zeros_like(leaving), where=leaving > 0)
        q = sp.diags(inv) @ self.between
        return q.tocsr(), self.to_conversion * inv, self.conversion_value * inv

    def transitions(self) -> list[dict]:
        """Every transition with its probability, for people reading the chain."""
        q, r, _ = self.probabilities()
        leaving = self.leaving
        names = ("(start)",) + self.channels
        coo = q.tocoo()
        rows = [{"from": names[i], "to": names[j], "probability": float(p)}
                for i, j, p in zip(coo.row, coo.col, coo.data) if p > 0]
        null = np.divide(self.to_null, leaving, out=np.zeros_like(leaving), where=leaving > 0)
        rows += [{"from": names[i], "to": "(conversion)", "probability": float(r[i])} for i in np.flatnonzero(r)]
        rows += [{"from": names[i], "to": "(null)", "probability": float(null[i])} for i in np.flatnonzero(null)]
        return rows


@dataclass(frozen=True)
class MarkovAttribution:
    channels: tuple[str, ...]
    conversion_probability: float
    """P(conversion) of a journey from start."""
    removal_effect: np.ndarray
    """Per channel: 1 - P(conversion | channel removed) / P(conversion)."""
    value_removal_effect: np.ndarray
    conversions: np.ndarray
    """Total conversions x each channel's share of the removal effects."""
    value: np.ndarray


def chain(journeys: Journeys) -> MarkovChain:
    """Transition counts of the journeys: one pass of bincounts over the touches. Journeys need
    not be aggregated first: counting a million journeys' 4M transitions this way takes less
    time than grouping identical paths would (benchmarks/bench_attribution.py); a paths file
    is aggregated as it is read."""
    k = len(journeys.channels)
    weight = journeys.conversions + journeys.nulls
    j = journeys.journey_of_step
    states = journeys.steps.astype(np.int64) + 1
    starts, ends = journeys.bounds[:-1], journeys.bounds[1:] - 1
    inner = np.ones(len(states), bool)
    inner[ends] = False  # a touch followed by another touch of the same journey
    idx = np.flatnonzero(inner)
    rows = np.concatenate([np.zeros(journeys.count, np.int64), states[idx]])
    cols = np.concatenate([states[starts], states[idx + 1]])
    data = np.concatenate([weight, weight[j[idx]]])
    size = k + 1
    if size * size <= DENSE_COUNTS:  # a company's channels: one bincount over the cells
        between = sp.csr_matrix(np.bincount(rows * size + cols, data, size * size).reshape(size, size))
    else:  # thousands of campaigns: only the cells that occur
        keep = data > 0
        between = sp.coo_matrix((data[keep], (rows[keep], cols[keep])), shape=(size, size)).tocsr()
        between.sum_duplicates()
    last = states[ends]
    return MarkovChain(journeys.channels, between,
                       np.bincount(last, journeys.conversions, k + 1),
                       np.bincount(last, journeys.value, k + 1),
                       np.bincount(last, journeys.nulls, k + 1))


def attribute(journeys: Journeys) -> MarkovAttribution:
    """Conversions and value credited to each channel by its removal effect (exact)."""
    mc = chain(journeys)
    q, r, rv = mc.probabilities()
    x, xv, reach = _solve(q, r, rv)
    p, v = float(x[0]), float(xv[0])
    re = _effect(reach[1:] * x[1:], p)
    re_value = _effect(reach[1:] * xv[1:], v)
    return MarkovAttribution(journeys.channels, p, re, re_value,
                             _shares(re) * journeys.total_conversions, _shares(re_value) * journeys.total_value)


def _effect(lost: np.ndarray, total: float) -> np.ndarray:
    if total <= 0:
        return np.zeros_like(lost)
    return np.clip(lost / total, 0.0, 1.0)


def _shares(effect: np.ndarray) -> np.ndarray:
    total = effect.sum()
    return effect / total if total > 0 else np.zeros_like(effect)


def _solve(q: sp.csr_matrix, r: np.ndarray, rv: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, xv, h): conversion probability and expected value from each state, and the
    probability of ever reaching each state from start (h[0] = 1)."""
    n = q.shape[0]
    a = sp.identity(n, format="csc") - q.tocsc()
    if n <= DENSE_STATES:
        fundamental = np.linalg.inv(a.toarray())
        x, xv = fundamental @ r, fundamental @ rv
        from_start, diagonal = fundamental[0], np.diag(fundamental)
    else:
        lu = splu(a)
        x, xv = lu.solve(r), lu.solve(rv)
        unit = np.zeros(n)
        unit[0] = 1.0
        from_start = lu.solve(unit, trans="T")
        diagonal = np.empty(n)
        for lo in range(0, n, BLOCK):
            hi = min(lo + BLOCK, n)
            block = np.zeros((n, hi - lo))
            block[np.arange(lo, hi), np.arange(hi - lo)] = 1.0
            diagonal[lo:hi] = lu.solve(block)[np.arange(lo, hi), np.arange(hi - lo)]
    reach = from_start / diagonal
    return x, xv, reach
