"""Training a conversion model on the stored leads whose outcome is known.

1. History: leads with ``converted`` set, minus the recent ones whose outcome is still open
   (created less than ``outcome_days`` before the newest lead; by default the time within
   which 95% of conversions happened). Too little of it and training refuses: the rules
   keep scoring.
2. Split that respects time: the newest 20% of leads (by created_at) are the test set and
   the newest 20% of the rest calibrate; the model learns from the oldest. When created_at
   does not vary, both splits are stratified at random instead.
3. LightGBM gradient-boosted trees (missing values and categories handled natively), early
   stopped on the calibration leads, then calibrated on them: isotonic regression when they
   hold at least ``ISOTONIC_MIN_POSITIVES`` conversions, else a logistic (Platt) curve.
4. The report (AUC, Brier, calibration, lift by decile) on the test leads, which the model
   never saw. The model stored is exactly the one measured.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd

from revops.engines.scoring import report
from revops.engines.scoring.features import (CANONICAL_INPUTS, WINDOW_DAYS, FeatureSpec, custom_attributes,
                                             event_counts, fit_spec, frequent_event_types, high_cardinality,
                                             is_feature_name, lead_features)
from revops.engines.scoring.versions import save_version
from revops.errors import TrainingError
from revops.store import Store, schema
from revops.store.store import quote

MIN_LEADS = 1_000
MIN_CONVERSIONS = 120
TEST_SHARE = 0.2
CALIBRATION_SHARE = 0.2
ISOTONIC_MIN_POSITIVES = 500
DEFAULT_OUTCOME_DAYS = 30.0
ALGORITHM = "lightgbm"
PARAMS: dict[str, Any] = {
    "objective": "binary",
    "learning_rate": 0.05,
    "num_leaves": 7,  # 15 from LARGE_HISTORY fitting leads on: more data carries more interactions
    "min_data_in_leaf": 40,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "cat_smooth": 10.0,
    "min_data_per_group": 30,
    "max_cat_threshold": 16,
    "verbose": -1,
    "deterministic": True,
}
THREADS = 1
"""LightGBM's OpenMP threads. One: on a machine shared with other work (CI running tests in
parallel, a server) more threads spin against each other and train ~20x slower, while one
thread trains 200k leads in seconds."""
LARGE_HISTORY = 20_000
MAX_ROUNDS = 1_000
EARLY_STOPPING_ROUNDS = 50


@dataclass
class TrainingOptions:
    window_days: float = WINDOW_DAYS
    """Features are what was known this many days after the lead was created."""
    outcome_days: float | None = None
    """Leads younger than this (before the newest lead) have no settled outcome; None: the
    95th percentile of days from created to converted, else 30."""
    exclude: tuple[str, ...] = ()
    """Custom attributes or features to keep out (an attribute filled in after the outcome, say)."""
    seed: int = 7
    min_leads: int = MIN_LEADS
    min_conversions: int = MIN_CONVERSIONS


@dataclass
class TrainingResult:
    version: int
    algorithm: str
    features: list[str]
    n_train: int
    n_test: int
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def auc(self) -> float:
        return float(self.metrics["auc"])


@dataclass
class History:
    frame: pd.DataFrame  # lead features, one row per lead with an outcome
    y: np.ndarray
    custom: dict[str, str]
    excluded: list[dict[str, str]]
    outcome_days: float
    open_outcomes: int  # recent leads left out: outcome not settled yet
    touch_types: list[str]
    activity_types: list[str]


def train(store: Store, options: TrainingOptions | None = None) -> TrainingResult:
    """Train, validate, calibrate and store a new active model version."""
    options = options or TrainingOptions()
    started = time.perf_counter()
    history = load_history(store, options)
    enough_history(history, options)
    created = history.frame["created_at"]
    train_idx, test_idx, split = split_by_time(created, history.y, TEST_SHARE, options.seed)
    fit_pos, cal_pos, _ = split_by_time(created.iloc[train_idx], history.y[train_idx], CALIBRATION_SHARE,
                                        options.seed)
    fit_idx, cal_idx = train_idx[fit_pos], train_idx[cal_pos]
    for name, idx in (("test", test_idx), ("calibration", cal_idx), ("training", fit_idx)):
        if history.y[idx].sum() == 0 or history.y[idx].sum() == len(idx):
            raise TrainingError(f"the {name} leads hold only one outcome; a model cannot be validated. "
                                "Lead scores keep coming from the scoring rules in revops.yaml.")

    spec = fit_spec(history.frame.iloc[fit_idx], history.custom, history.touch_types, history.activity_types,
                    options.window_days, history.excluded, options.exclude)
    X = spec.matrix(history.frame)
    booster, best_rounds = fit_booster(X[fit_idx], history.y[fit_idx], X[cal_idx], history.y[cal_idx],
                                       spec, options.seed)
    calibration = fit_calibration(raw_scores(booster, X[cal_idx]), history.y[cal_idx])
    p_test = calibrated(raw_scores(booster, X[test_idx]), calibration)
    train_rate = float(history.y[train_idx].mean())
    metrics = report.evaluate(history.y[test_idx], p_test, train_rate)
    algorithm = f"{ALGORITHM}+{calibration['method']}"
    metrics.update({
        "split": split,
        "n_fit": int(len(fit_idx)),
        "n_calibration": int(len(cal_idx)),
        "conversions_train": int(history.y[train_idx].sum()),
        "conversions_test": int(history.y[test_idx].sum()),
        "train_rate": round(train_rate, 4),
        "window_days": options.window_days,
        "outcome_days": history.outcome_days,
        "open_outcomes_left_out": history.open_outcomes,
        "rounds": best_rounds,
        "importance": importance(booster, spec),
        "excluded": spec.excluded,
        "seconds": round(time.perf_counter() - started, 2),
    })
    # Where a probability stands among the training leads' predictions: the combined score
    # blends this percentile (0-100), which keeps the rules' thresholds meaningful whatever
    # the base rate (a 7% base rate would otherwise add only a few points).
    p_train = calibrated(raw_scores(booster, X[train_idx]), calibration)
    reference = np.quantile(p_train, np.linspace(0.0, 1.0, 101)).tolist()
    bundle = {"algorithm": algorithm, "booster": booster.model_to_string(), "calibration": calibration,
              "spec": spec.to_dict(), "reference": reference}
    version = save_version(store, algorithm=algorithm, features=spec.names, metrics=metrics,
                           n_train=len(train_idx), n_test=len(test_idx), bundle=bundle)
    return TrainingResult(version, algorithm, spec.names, int(len(train_idx)), int(len(test_idx)), metrics)


# -- history -----------------------------------------------------------------------------------

def load_history(store: Store, options: TrainingOptions) -> History:
    custom, excluded = custom_attributes(store, options.exclude)
    columns = store.columns("leads")
    unknown = [c for c in options.exclude if c not in columns and not is_feature_name(c)]
    if unknown:
        raise TrainingError(f"--exclude names no lead column or feature: {', '.join(unknown)}; features are "
                            f"listed by `revops score models --version N`, custom lead attributes are: "
                            f"{', '.join(c for c in columns if c not in schema.LEADS.field_names) or 'none'}")
    outcome_days = options.outcome_days if options.outcome_days is not None else settle_days(store)
    newest = store.con.execute("SELECT max(created_at) FROM leads").fetchall()[0][0]
    where = "l.converted IS NOT NULL"
    open_outcomes = 0
    if newest is not None:
        settled_by = newest - timedelta(days=outcome_days)
        where += f" AND (l.created_at IS NULL OR l.created_at <= TIMESTAMP '{settled_by.isoformat(sep=' ')}')"
        open_outcomes = int(store.con.execute(
            "SELECT count(*) FROM leads l WHERE l.converted IS NOT NULL AND l.created_at > ?",
            [settled_by]).fetchall()[0][0])
    cols = [c for c in (*CANONICAL_INPUTS, *custom) if c in columns]
    rows = store.con.execute(
        f"SELECT {', '.join('l.' + quote(c) for c in cols)}, l.converted FROM leads l WHERE {where} "
        f"ORDER BY l.created_at NULLS FIRST, l.lead_id").df()
    y = rows.pop("converted").astype(bool).to_numpy(dtype="float64")
    wide = high_cardinality(rows, custom)
    for name in wide:
        custom.pop(name)
        excluded.append({"column": name, "reason": "a distinct value on most leads: an identifier or free text"})
    frame = lead_features(rows, custom)
    touch_types, activity_types = frequent_event_types(store, options.window_days, where)
    counts = event_counts(store, frame, options.window_days, touch_types, activity_types)
    frame = pd.concat([frame, counts], axis=1)
    return History(frame, y, custom, excluded, outcome_days, open_outcomes, touch_types, activity_types)


def settle_days(store: Store) -> float:
    """Days within which 95% of the stored conversions happened (rounded up), else 30."""
    row = store.con.execute(
        "SELECT quantile_cont(epoch(converted_at - created_at) / 86400.0, 0.95) FROM leads "
        "WHERE converted AND converted_at >= created_at").fetchall()
    days = row[0][0] if row else None
    if days is None or not math.isfinite(days):
        return DEFAULT_OUTCOME_DAYS
    return float(max(1, math.ceil(days)))


def enough_history(history: History, options: TrainingOptions) -> None:
    leads, conversions = len(history.y), int(history.y.sum())
    if leads >= options.min_leads and conversions >= options.min_conversions:
        return
    days = f"{history.outcome_days:g} day{'' if history.outcome_days == 1 else 's'}"
    recent = (f" ({history.open_outcomes:,} newer leads left out: created within {days} of the newest "
              "lead, their outcome is still open)") if history.open_outcomes else ""
    raise TrainingError(
        f"too little history to train a predictive model: {leads:,} leads with a known outcome "
        f"(need {options.min_leads:,}) and {conversions:,} conversions (need {options.min_conversions:,})"
        f"{recent}. Nothing was stored; lead scores keep coming from the scoring rules in revops.yaml. "
        "Train again when more leads have converted or been closed out.")


# -- split, fit, calibrate --------------------------------------------------------------------

def split_by_time(created: pd.Series, y: np.ndarray, share: float,
                  seed: int) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """(older positions, newest positions, description). The newest ``share`` of leads by
    created_at form the second part; leads created at the boundary instant all go there, so
    every lead in it is at least as new as every lead in the first. Leads without created_at
    stay in the first part. Stratified at random when created_at does not vary."""
    n = len(y)
    times = pd.to_datetime(created).to_numpy(dtype="datetime64[us]")
    known = ~np.isnat(times)
    if known.sum() >= 0.9 * n and len(np.unique(times[known])) > 1:
        order = np.argsort(np.where(known, times, np.datetime64("1677-09-22")), kind="stable")
        boundary = times[order[int(math.floor(n * (1 - share)))]]
        newest = known & (times >= boundary)
        if 0 < newest.sum() <= 0.5 * n:
            older = np.flatnonzero(~newest)
            newer = np.flatnonzero(newest)
            return older, newer, {"kind": "time", "train_from": _iso(times[older][known[older]].min()),
                                  "train_to": _iso(times[older][known[older]].max()),
                                  "test_from": _iso(boundary), "test_to": _iso(times[newer].max())}
    from sklearn.model_selection import train_test_split

    positions = np.arange(n)
    older, newer = train_test_split(positions, test_size=share, random_state=seed, stratify=y)
    return np.sort(older), np.sort(newer), {"kind": "stratified"}


def fit_booster(X_fit: np.ndarray, y_fit: np.ndarray, X_cal: np.ndarray, y_cal: np.ndarray,
                spec: FeatureSpec, seed: int) -> tuple[Any, int]:
    import lightgbm as lgb

    categorical = [j for j, name in enumerate(spec.order) if name in spec.categorical]
    names = [f"f{j}" for j in range(len(spec.order))]  # custom names may hold characters LightGBM rejects
    params = {**PARAMS, "seed": seed, "num_threads": THREADS,
              "min_data_in_leaf": max(PARAMS["min_data_in_leaf"], len(y_fit) // 2000)}
    if len(y_fit) >= LARGE_HISTORY:
        params["num_leaves"] = 15
    fit = lgb.Dataset(X_fit, y_fit, feature_name=names, categorical_feature=categorical, free_raw_data=True)
    cal = lgb.Dataset(X_cal, y_cal, reference=fit)
    booster = lgb.train(params, fit, num_boost_round=MAX_ROUNDS, valid_sets=[cal],
                        callbacks=[lgb.early_stopping(EARLY_STOPPING_ROUNDS, verbose=False)])
    return booster, int(booster.best_iteration or booster.current_iteration())


def fit_calibration(margin: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """A monotone map from the model's raw score (log-odds) to a probability, fitted on the
    calibration leads."""
    if y.sum() >= ISOTONIC_MIN_POSITIVES:
        from sklearn.isotonic import IsotonicRegression

        iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(margin, y)
        return {"method": "isotonic", "x": iso.X_thresholds_.tolist(), "y": iso.y_thresholds_.tolist()}
    from sklearn.linear_model import LogisticRegression

    platt = LogisticRegression(C=1e4).fit(margin.reshape(-1, 1), y)
    return {"method": "sigmoid", "a": float(platt.coef_[0, 0]), "b": float(platt.intercept_[0])}


PROBABILITY_FLOOR = 1e-4


def raw_scores(booster: Any, X: np.ndarray) -> np.ndarray:
    """The model's log-odds per lead, before calibration."""
    return booster.predict(X, raw_score=True, num_threads=THREADS)


def calibrated(margin: np.ndarray, calibration: dict[str, Any]) -> np.ndarray:
    if calibration["method"] == "isotonic":
        p = np.interp(margin, calibration["x"], calibration["y"])
    else:
        p = 1.0 / (1.0 + np.exp(-(calibration["a"] * margin + calibration["b"])))
    return np.clip(p, PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR)


def importance(booster: Any, spec: FeatureSpec, top: int = 15) -> list[dict[str, Any]]:
    """Share of the model's total split gain per feature, largest first."""
    gain = booster.feature_importance(importance_type="gain")
    total = float(gain.sum()) or 1.0
    ranked = sorted(zip(spec.order, gain), key=lambda kv: -kv[1])[:top]
    return [{"feature": name, "share": round(float(g) / total, 4)} for name, g in ranked if g > 0]


def _iso(value: np.datetime64) -> str:
    return str(np.datetime_as_string(value, unit="s"))
