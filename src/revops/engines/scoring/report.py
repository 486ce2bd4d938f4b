"""How good a conversion model is, measured on leads it never saw: AUC, Brier score,
calibration (predicted against actual by bin) and lift by decile.

All functions take the actual outcomes ``y`` (0/1) and calibrated probabilities ``p`` of the
test leads and return plain data (dicts and lists) that the CLI prints and the store keeps.
"""

from __future__ import annotations

from typing import Any

import numpy as np

BINS = 10


def auc(y: np.ndarray, p: np.ndarray) -> float:
    """Probability that a converting lead is ranked above a non-converting one (ties count half)."""
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, p))


def brier(y: np.ndarray, p: np.ndarray) -> float:
    """Mean squared gap between the probability and what happened (0 is perfect)."""
    return float(np.mean((p - y) ** 2))


def calibration_table(y: np.ndarray, p: np.ndarray, bins: int = BINS) -> list[dict[str, Any]]:
    """Leads sorted by predicted probability in ``bins`` groups of equal size: mean predicted
    against actual conversion rate. A calibrated model has the two close in every row."""
    order = np.argsort(p, kind="stable")
    rows = []
    for i, idx in enumerate(np.array_split(order, min(bins, len(order)))):
        if len(idx) == 0:
            continue
        rows.append({
            "bin": i + 1,
            "leads": int(len(idx)),
            "predicted_from": round(float(p[idx].min()), 4),
            "predicted_to": round(float(p[idx].max()), 4),
            "predicted": round(float(p[idx].mean()), 4),
            "actual": round(float(y[idx].mean()), 4),
            "conversions": int(y[idx].sum()),
        })
    return rows


def calibration_error(table: list[dict[str, Any]]) -> float:
    """Expected calibration error: the lead-weighted mean of |predicted - actual| over bins."""
    total = sum(r["leads"] for r in table)
    if not total:
        return float("nan")
    return float(sum(r["leads"] * abs(r["predicted"] - r["actual"]) for r in table) / total)


def lift_by_decile(y: np.ndarray, p: np.ndarray) -> list[dict[str, Any]]:
    """Decile 1 holds the tenth of leads the model rates highest. Lift is the decile's
    conversion rate over the overall rate; captured is the share of all conversions found
    by working the leads down to that decile."""
    order = np.argsort(-p, kind="stable")
    base = float(y.mean()) if len(y) else 0.0
    total = float(y.sum())
    running = 0.0
    rows = []
    for i, idx in enumerate(np.array_split(order, min(10, len(order)))):
        if len(idx) == 0:
            continue
        conversions = float(y[idx].sum())
        running += conversions
        rate = conversions / len(idx)
        rows.append({
            "decile": i + 1,
            "leads": int(len(idx)),
            "conversions": int(conversions),
            "conversion_rate": round(rate, 4),
            "lift": round(rate / base, 2) if base else None,
            "captured": round(running / total, 4) if total else None,
        })
    return rows


def evaluate(y: np.ndarray, p: np.ndarray, train_rate: float) -> dict[str, Any]:
    """The test-set report. ``brier_baseline`` is the Brier score of predicting the training
    conversion rate for every lead; ``brier_skill`` is how much of it the model removes."""
    y = np.asarray(y, dtype="float64")
    p = np.asarray(p, dtype="float64")
    table = calibration_table(y, p)
    baseline = brier(y, np.full(len(y), train_rate))
    score = brier(y, p)
    return {
        "auc": round(auc(y, p), 4),
        "brier": round(score, 5),
        "brier_baseline": round(baseline, 5),
        "brier_skill": round(1 - score / baseline, 4) if baseline else None,
        "calibration_error": round(calibration_error(table), 4),
        "mean_predicted": round(float(p.mean()), 4),
        "actual_rate": round(float(y.mean()), 4),
        "calibration": table,
        "lift": lift_by_decile(y, p),
    }
