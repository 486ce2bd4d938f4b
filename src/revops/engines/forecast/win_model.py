"""Win probability: the chance an open deal is won when it is decided inside the period.

Learned from the training set (``training``): among the snapshot rows whose deal was
decided (won or lost) inside their period, which were won. Gradient-boosted trees
(LightGBM) on every feature of ``features``; with fewer than ``MIN_ROWS`` decided rows or
a single outcome, the won share per stage, smoothed toward the overall share.

Also the amount a won deal is booked at, relative to its amount at the snapshot (discounts
at negotiation, scope changes at proposal): the mean ratio per stage among the won rows whose amount was entered (clipped to 0.2-5).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from revops.engines.forecast.features import CATEGORICAL, FEATURES
from revops.engines.forecast.training import TrainingSet

MIN_ROWS = 200
THREADS = 1
"""LightGBM's OpenMP threads: one, as in predictive scoring — on a machine shared with other
work more threads spin against each other and train many times slower."""
PARAMS: dict[str, Any] = {
    "objective": "binary", "learning_rate": 0.1, "num_leaves": 31, "min_data_in_leaf": 80,
    "feature_fraction": 0.9, "bagging_fraction": 0.8, "bagging_freq": 1, "lambda_l2": 1.0,
    "verbose": -1, "deterministic": True, "force_row_wise": True, "max_cat_to_onehot": 8, "max_bin": 63,
}
ROUNDS = 150


@dataclass
class Classifier:
    """A probability for each feature row: boosted trees, or the rate per stage."""

    booster: Any = None
    stage_rates: dict[float, float] | None = None
    base_rate: float = 0.0
    rows: int = 0

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        if len(X) == 0:
            return np.zeros(0)
        if self.booster is not None:
            return self.booster.predict(_matrix(X), num_threads=THREADS)
        rank = X["stage_rank"].to_numpy()
        rates = self.stage_rates or {}
        return np.array([rates.get(r if r == r else -1.0, self.base_rate) for r in rank])

    @property
    def method(self) -> str:
        return "lightgbm" if self.booster is not None else "rate per stage"


def fit_classifier(X: pd.DataFrame, y: np.ndarray, seed: int = 7, rounds: int = ROUNDS) -> Classifier:
    y = np.asarray(y, dtype=bool)
    base = float(y.mean()) if len(y) else 0.0
    if len(y) < MIN_ROWS or y.all() or not y.any():
        return Classifier(stage_rates=_stage_rates(X, y, base), base_rate=base, rows=len(y))
    import lightgbm as lgb

    data = lgb.Dataset(_matrix(X), y.astype(float), feature_name=list(FEATURES),
                       categorical_feature=list(CATEGORICAL), free_raw_data=True)
    params = {**PARAMS, "seed": seed, "num_threads": THREADS,
              "min_data_in_leaf": max(PARAMS["min_data_in_leaf"], len(y) // 3000)}
    booster = lgb.train(params, data, num_boost_round=rounds)
    return Classifier(booster=booster, base_rate=base, rows=len(y))


def _stage_rates(X: pd.DataFrame, y: np.ndarray, base: float, weight: float = 5.0) -> dict[float, float]:
    if len(y) == 0:
        return {}
    rank = X["stage_rank"].fillna(-1.0).to_numpy()
    out = {}
    for r in np.unique(rank):
        m = rank == r
        out[float(r)] = float((y[m].sum() + weight * base) / (m.sum() + weight))
    return out


def _matrix(X: pd.DataFrame) -> np.ndarray:
    return X[list(FEATURES)].to_numpy(dtype=np.float64, na_value=np.nan)


@dataclass
class WinModel:
    classifier: Classifier
    amount_ratio: dict[float, float]

    def probability(self, X: pd.DataFrame) -> np.ndarray:
        return self.classifier.predict(X)

    def booked_amount(self, X: pd.DataFrame) -> np.ndarray:
        """Amount a won deal is expected to be booked at: its amount x the stage's ratio."""
        rank = X["stage_rank"].fillna(-1.0).to_numpy()
        ratio = np.array([self.amount_ratio.get(float(r), self.amount_ratio.get(-2.0, 1.0)) for r in rank])
        return X["amount"].to_numpy(dtype=float) * ratio


def train_win_model(data: TrainingSet, seed: int = 7, rounds: int = ROUNDS) -> WinModel:
    decided = data.decided
    classifier = fit_classifier(data.X[decided].reset_index(drop=True), data.won[decided], seed, rounds)
    return WinModel(classifier=classifier, amount_ratio=_amount_ratio(data))


def _amount_ratio(data: TrainingSet) -> dict[float, float]:
    won = data.won & data.X["amount_known"].to_numpy().astype(bool)
    amount = data.X["amount"].to_numpy(dtype=float)
    ok = won & (amount > 0) & ~np.isnan(data.won_amount)
    if not ok.any():
        return {-2.0: 1.0}
    ratio = np.clip(data.won_amount[ok] / amount[ok], 0.2, 5.0)
    rank = data.X["stage_rank"].fillna(-1.0).to_numpy()[ok]
    out = {-2.0: float(np.mean(ratio))}
    for r in np.unique(rank):
        m = rank == r
        if m.sum() >= 20:
            out[float(r)] = float(np.mean(ratio[m]))
    return out
