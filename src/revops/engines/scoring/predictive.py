"""Predictive lead scoring: the calibrated probability that a lead converts, and why.

    from revops.engines.scoring.predictive import predict_conversion, train
    result = train(store)                     # a new active model version (or TrainingError)
    frame = predict_conversion(store, leads)  # lead_id, predicted_conversion, top_factors

The model learns from the stored leads whose outcome (``converted``) is known; see
``training`` for how it is validated and calibrated and ``features`` for what it may see.
With no active model ``predict_conversion`` returns None and the rules score alone.

Top factors are exact per-lead attributions: LightGBM's TreeSHAP (``pred_contrib``) splits
each lead's raw score (log-odds, before calibration) into one contribution per feature plus
the average lead's score. A positive contribution pushed this lead above the average, a
negative one below. Calibration is monotone, so the factors' order and sign carry over to
the probability; their size is in log-odds, not probability points.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from revops.engines.scoring.features import FeatureSpec, event_counts, lead_features, timestamps
from revops.engines.scoring.training import (THREADS, TrainingOptions, TrainingResult, calibrated, raw_scores,
                                             train)
from revops.engines.scoring.versions import active_bundle
from revops.store import Store
from revops.store.store import utcnow

__all__ = ["ConversionModel", "TrainingOptions", "TrainingResult", "active_model", "predict_conversion",
           "train"]

TOP_FACTORS = 5
OUTPUT_COLUMNS = ["lead_id", "predicted_conversion", "predicted_percentile", "top_factors"]


@dataclass
class ConversionModel:
    version: int
    algorithm: str
    spec: FeatureSpec
    booster: Any
    calibration: dict[str, Any]
    reference: list[float] | None = None
    """Quantiles (0, 1, …, 100 %) of the training leads' predicted conversion."""

    @classmethod
    def from_bundle(cls, version: int, bundle: dict[str, Any]) -> ConversionModel:
        import lightgbm as lgb

        return cls(version, bundle["algorithm"], FeatureSpec.from_dict(bundle["spec"]),
                   lgb.Booster(model_str=bundle["booster"]), bundle["calibration"],
                   bundle.get("reference"))

    def percentile(self, predicted: np.ndarray) -> np.ndarray:
        """Where each probability stands among the training leads' (0-100); a model saved
        without that distribution falls back to the probability in percent."""
        if not self.reference:
            return np.asarray(predicted, dtype="float64") * 100.0
        ref = np.maximum.accumulate(np.asarray(self.reference, dtype="float64"))
        return np.interp(predicted, ref, np.linspace(0.0, 100.0, len(ref)))

    def features(self, store: Store, leads: pd.DataFrame) -> pd.DataFrame:
        """The feature columns of ``leads`` as of each lead's cutoff. A lead without created_at
        is taken as arriving now."""
        leads = leads.reset_index(drop=True)
        created = timestamps(leads.get("created_at"), leads.index).fillna(pd.Timestamp(utcnow()))
        frame = lead_features(leads.assign(created_at=created), self.spec.custom)
        counts = event_counts(store, frame, self.spec.window_days, self.spec.touch_types,
                              self.spec.activity_types)
        return pd.concat([frame, counts], axis=1)

    def predict(self, store: Store, leads: pd.DataFrame, *, factors: bool = True) -> pd.DataFrame:
        frame = self.features(store, leads)
        X = self.spec.matrix(frame)
        margin = raw_scores(self.booster, X) if len(X) else np.empty(0)
        predicted = calibrated(margin, self.calibration) if len(X) else np.empty(0)
        out = pd.DataFrame({
            "lead_id": frame["lead_id"].to_numpy(),
            "predicted_conversion": predicted,
            "predicted_percentile": self.percentile(predicted) if len(X) else np.empty(0),
        })
        out["top_factors"] = self.top_factors(X, frame) if factors and len(X) else [[] for _ in range(len(X))]
        out.attrs["model_version"] = self.version
        return out

    def top_factors(self, X: np.ndarray, frame: pd.DataFrame, top: int = TOP_FACTORS) -> list[list[dict]]:
        """Per lead, the ``top`` features with the largest absolute contribution, largest first:
        {feature, value, contribution}."""
        contrib = np.asarray(self.booster.predict(X, pred_contrib=True, num_threads=THREADS))[:, :-1]  # last column: average
        k = min(top, contrib.shape[1])
        idx = np.argsort(-np.abs(contrib), axis=1, kind="stable")[:, :k]
        picked = np.round(np.take_along_axis(contrib, idx, axis=1), 4)
        values = np.empty(idx.shape, dtype=object)
        for j, name in enumerate(self.spec.order):
            hit = idx == j
            if hit.any():
                shown = np.array(self.spec.display_values(frame, name), dtype=object)
                rows, ranks = np.nonzero(hit)
                values[rows, ranks] = shown[rows]
        names = self.spec.order
        return [[{"feature": names[f], "value": v, "contribution": c} for f, v, c in zip(fi, vi, ci)]
                for fi, vi, ci in zip(idx.tolist(), values.tolist(), picked.tolist())]


def active_model(store: Store) -> ConversionModel | None:
    """The active conversion model of ``store``, or None when none was trained."""
    found = active_bundle(store)
    if found is None:
        return None
    version, bundle = found
    model = bundle.get("_loaded")  # the bundle is cached per store and version by `versions`
    if model is None:
        model = bundle["_loaded"] = ConversionModel.from_bundle(version, bundle)
    return model


def predict_conversion(store: Store, leads: pd.DataFrame, *, factors: bool = True) -> pd.DataFrame | None:
    """lead_id, predicted_conversion (calibrated probability 0-1) and top_factors (list of
    {feature, value, contribution}, largest first) for rows shaped like the leads table
    (custom attributes included; missing columns are missing values). None when no model is
    active. ``factors=False`` skips the attributions (faster for millions of leads).
    The active model version is in ``frame.attrs['model_version']``."""
    model = active_model(store)
    if model is None:
        return None
    if leads is None or len(leads) == 0:
        empty = pd.DataFrame({c: pd.Series(dtype=object) for c in OUTPUT_COLUMNS})
        empty.attrs["model_version"] = model.version
        return empty
    return model.predict(store, leads, factors=factors)
