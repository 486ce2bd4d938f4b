"""The Monte Carlo: bookings the period may still bring, run after run.

Each run decides every open deal at once: won inside the period with its probability
(slip x win, see ``slip`` and ``win_model``), at its expected booked amount; and draws the
deals not created yet (``creation``): a Poisson number per deal type, each at an amount
drawn from the amounts such deals were won at. A run's total is the sum of both.

Deal-level outcomes are drawn independently, but forecasts also miss together: a quarter
where every deal goes a little better or worse than the model thought, a quarter that
creates fewer deals than the last ones did. ``spread`` (learned with the models: how far
the models' expectations were from what past periods booked, beyond what independent draws
explain) scales each run's open-deal total by a common factor drawn from a log-normal law
with mean 1, and the creation model's own spread scales each run's expected number of new
deals the same way, so the P10-P90 range carries that risk too.

Vectorised: runs are drawn in blocks of runs x deals uniform 16-bit integers (four from each
64-bit draw of the generator), compared with the probabilities on the same scale, and summed
with a matrix-vector product. With a seed the result is the same on every machine for the
same inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from revops.engines.forecast.creation import CreationModel

RUNS = 10_000
SEED = 20_260_101
BLOCK_CELLS = 20_000_000
SCALE = 65_536
"""Probabilities are compared on a 16-bit scale: a deal is won in a run when a uniform
integer 0-65,535 falls below round(p x 65,536) (p to within 1/131,072; p = 1 always wins)."""
QUANTILES = (0.1, 0.5, 0.9)


@dataclass(frozen=True)
class Simulation:
    totals: np.ndarray  # per run: bookings from open deals and deals not created yet
    group_runs: np.ndarray | None = None
    """With ``groups``: per run and group (runs x groups), bookings from the group's open deals
    (the deals not created yet belong to no group)."""
    group_keys: tuple[str, ...] = ()
    """What each group column is (set by the caller that coded the groups)."""

    def runs_of(self) -> dict[str, np.ndarray]:
        """Each group's bookings per run, by key."""
        if self.group_runs is None:
            return {}
        return {k: self.group_runs[:, i] for i, k in enumerate(self.group_keys) if i < self.group_runs.shape[1]}

    def quantiles(self, qs: tuple[float, ...] = QUANTILES) -> tuple[float, ...]:
        if not len(self.totals):
            return tuple(0.0 for _ in qs)
        return tuple(float(v) for v in np.quantile(self.totals, qs))

    @property
    def mean(self) -> float:
        return float(self.totals.mean()) if len(self.totals) else 0.0


def simulate(probability: np.ndarray, amount: np.ndarray, creation: CreationModel | None = None, *,
             runs: int = RUNS, seed: int = SEED, spread: float = 0.0, groups: np.ndarray | None = None
             ) -> Simulation:
    """Per run: sum of open deals won (Bernoulli(probability) x amount) and new deals; with
    ``groups`` (a code 0..G-1 per deal, e.g. its owner) also each group's open deals per run,
    from the same draws (the totals are the same with or without)."""
    rng = np.random.default_rng(seed)
    p = np.clip(np.nan_to_num(np.asarray(probability, dtype=np.float64)), 0.0, 1.0)
    a = np.nan_to_num(np.asarray(amount, dtype=np.float64))
    totals = np.zeros(runs, dtype=np.float64)
    sure = p >= 1.0 - 0.5 / SCALE
    totals += float(a[sure].sum())
    level = np.round(p * SCALE).astype(np.int64)
    live = ~sure & (level > 0) & (a != 0)
    threshold, a32 = level[live].astype(np.uint16), a[live].astype(np.float32)
    n = len(threshold)
    by_group = _GroupRuns(groups, live, sure, a, runs) if groups is not None else None
    if n:
        bits = rng.bit_generator
        block = max(1, min(runs, BLOCK_CELLS // n))
        for lo in range(0, runs, block):
            hi = min(runs, lo + block)
            cells = (hi - lo) * n
            u = bits.random_raw((cells + 3) // 4).view(np.uint16)[:cells].reshape(hi - lo, n)
            won = (u < threshold).astype(np.float32)
            totals[lo:hi] += won @ a32
            if by_group is not None:
                by_group.add(lo, hi, won * a32)
    if spread > 0:
        factor = _common_factor(rng, spread, runs)
        totals *= factor
        if by_group is not None:
            by_group.runs *= factor[:, None]
    if creation is not None:
        factor = _common_factor(rng, creation.spread, runs) if creation.spread > 0 else None
        for g in creation.groups:
            mean = g.expected_count * (factor if factor is not None else 1.0)
            counts = rng.poisson(mean, runs)
            k = int(counts.sum())
            if k and len(g.amounts):
                picks = g.amounts[rng.integers(0, len(g.amounts), k)]
                totals += np.bincount(np.repeat(np.arange(runs), counts), weights=picks, minlength=runs)
    return Simulation(totals, by_group.runs if by_group is not None else None)


class _GroupRuns:
    """Each group's bookings per run: the sure deals' amounts, plus the live deals won, summed
    by group (live deals sorted by group once, then one reduce per block)."""

    def __init__(self, groups: np.ndarray, live: np.ndarray, sure: np.ndarray, amount: np.ndarray, runs: int):
        groups = np.asarray(groups, dtype=np.int64)
        count = int(groups.max()) + 1 if len(groups) else 0
        self.runs = np.zeros((runs, count), dtype=np.float64)
        self.runs += np.bincount(groups[sure], weights=amount[sure], minlength=count)[None, :]
        live_groups = groups[live]
        self.order = np.argsort(live_groups, kind="stable")
        sorted_groups = live_groups[self.order]
        self.present = np.unique(sorted_groups)
        self.starts = np.searchsorted(sorted_groups, self.present)

    def add(self, lo: int, hi: int, won_amounts: np.ndarray) -> None:
        if len(self.present):
            sums = np.add.reduceat(won_amounts[:, self.order], self.starts, axis=1)
            self.runs[lo:hi, self.present] += sums


def _common_factor(rng: np.random.Generator, sigma: float, runs: int) -> np.ndarray:
    """A factor per run, log-normal with mean 1 and log standard deviation ``sigma``."""
    return rng.lognormal(-sigma * sigma / 2, sigma, runs)


def simulate_loop(probability: np.ndarray, amount: np.ndarray, runs: int, seed: int = SEED) -> np.ndarray:
    """The same draws of open deals in plain Python loops: the benchmark's baseline."""
    import random

    rnd = random.Random(seed)
    pairs = list(zip(probability.tolist(), amount.tolist()))
    out = []
    for _ in range(runs):
        total = 0.0
        for p, a in pairs:
            if rnd.random() < p:
                total += a
        out.append(total)
    return np.array(out)
