"""How well the health score foresees churn, measured on the demo company's truth
(``truth_churn``): score every customer on a series of days, then ask which of them churned
in the ``horizon_days`` that followed.

- AUC: the chance that an account that went on to churn scored lower than one that did not
  (0.5 = the score knows nothing, 1.0 = it ranks every churner below every stayer);
- recall of the churn-risk flag per driver: of the churns a driver caused, the share flagged
  on the scoring day (an at-risk band, or a measure under ``critical_below``), and the
  flag's precision against the base rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from revops.engines.health.score import at_risk, band_of, measure_frame
from revops.model.sections.operations import Health


@dataclass
class Separation:
    auc: float
    accounts: int  # account-days scored
    churned: int  # of which churned within the horizon
    recall_by_driver: dict[str, float]
    churned_by_driver: dict[str, int]
    flagged_share: float  # account-days flagged at risk
    precision: float  # of the account-days flagged, the share that churned within the horizon
    base_rate: float  # of all account-days, the share that churned within the horizon


def auc(scores: np.ndarray, churned: np.ndarray) -> float:
    """AUC of a LOW score foreseeing churn (ties count half)."""
    ranks = pd.Series(-scores).rank().to_numpy()
    pos = churned.astype(bool)
    n1, n0 = pos.sum(), (~pos).sum()
    if n1 == 0 or n0 == 0:
        return float("nan")
    return float((ranks[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def measure_separation(con, health: Health, days: list[date], horizon_days: int = 180,
                       min_days_ahead: int = 0) -> Separation:
    """Score on each of ``days``; an account counts as churned if truth_churn says it
    churned more than ``min_days_ahead`` and at most ``horizon_days`` after the day."""
    truth = con.execute("SELECT account_id, churned_on, driver FROM truth_churn").df().set_index("account_id")
    parts = []
    for day in days:
        frame, _ = measure_frame(con, health, day)
        keys = [f"{m.key}:score" for m in health.measures]
        f = frame[["score", *keys]].dropna(subset=["score"]).join(truth, how="left")
        ahead = (pd.to_datetime(f["churned_on"]) - pd.Timestamp(day)).dt.days
        f["label"] = (ahead > min_days_ahead) & (ahead <= horizon_days)
        f["band"] = [band_of(health, s) for s in f["score"]]
        f["flagged"] = [at_risk(health, b, list(m)) for b, m in zip(f["band"], f[keys].to_numpy())]
        parts.append(f)
    all_ = pd.concat(parts)
    churners = all_[all_["label"]]
    recall, counts = {}, {}
    for driver, g in churners.groupby("driver"):
        counts[str(driver)] = len(g)
        recall[str(driver)] = float(g["flagged"].mean())
    flagged = all_["flagged"]
    precision = float(all_.loc[flagged, "label"].mean()) if flagged.any() else float("nan")
    return Separation(auc(all_["score"].to_numpy(), all_["label"].to_numpy()), len(all_), int(all_["label"].sum()),
                      recall, counts, float(flagged.mean()), precision, float(all_["label"].mean()))


def quarter_days(first: date, last: date) -> list[date]:
    """Every 91 days from ``first`` to ``last``."""
    out, d = [], first
    while d <= last:
        out.append(d)
        d += timedelta(days=91)
    return out
