"""Seeds: every part of the simulation draws from its own generator derived from the
user's seed, the part's name and the chunk number, so a chunk is reproducible on its own
and adding a draw in one module does not change another module's output."""

from __future__ import annotations

import zlib

import numpy as np


def rng_for(seed: int, part: str, chunk: int = 0) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(part.encode()), chunk])


def choice_codes(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    """``n`` draws of category codes with the given (unnormalised) weights."""
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=n, p=p / p.sum()).astype("int32")


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))
