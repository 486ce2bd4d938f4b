"""The book a territory carve starts from: every account with its potential and workload, and
the reps who can own a territory.

An account's **potential** is a weighted index of four things the store knows, each divided
by its mean over all accounts (so 1.0 is an average account on that measure) and capped at
``PotentialWeights.cap`` times the mean, so one giant cannot outweigh a whole territory:

    annual_revenue   firmographic size: what the company could spend
    employees        firmographic size: how many seats it could buy
    open_pipeline    propensity: amount of its open opportunities (stages not closed)
    arr              what it pays today: 12 x MRR of subscriptions active on the as-of day

Weights default to 0.3 / 0.1 / 0.3 / 0.3; a measure no account has (all zero or missing)
drops out and the others are scaled to sum to 1. The **workload** of an account is
1 + its open opportunities: every account needs coverage, every open deal needs work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

MEASURES = ("annual_revenue", "employees", "open_pipeline", "arr")


@dataclass(frozen=True)
class PotentialWeights:
    annual_revenue: float = 0.3
    employees: float = 0.1
    open_pipeline: float = 0.3
    arr: float = 0.3
    cap: float = 20.0  # no account counts for more than cap x the mean on any measure

    def describe(self) -> str:
        parts = [f"{getattr(self, m):g} x {m}/mean" for m in MEASURES if getattr(self, m)]
        return " + ".join(parts) + f" (each capped at {self.cap:g} x mean)"


def read_accounts(con: Any, model: Any, as_of: date) -> pd.DataFrame:
    """One row per account: account_id, owner_id, region, segment and the four measures,
    open_deals, from the store on connection ``con`` (DuckDB)."""
    open_stages = [s.key for s in model.open_stages]
    marks = ", ".join("?" for _ in open_stages) or "NULL"
    sql = f"""
        WITH pipe AS (
            SELECT account_id, SUM(COALESCE(amount, 0)) AS open_pipeline, COUNT(*) AS open_deals
            FROM opportunities WHERE stage IN ({marks}) GROUP BY account_id),
        paying AS (
            SELECT account_id, 12 * SUM(COALESCE(mrr, 0)) AS arr FROM subscriptions
            WHERE start_date <= ? AND (end_date IS NULL OR end_date > ?) GROUP BY account_id)
        SELECT a.account_id, a.owner_id, a.region, a.segment,
               COALESCE(a.annual_revenue, 0)::DOUBLE AS annual_revenue,
               COALESCE(a.employees, 0)::DOUBLE AS employees,
               COALESCE(pipe.open_pipeline, 0)::DOUBLE AS open_pipeline,
               COALESCE(pipe.open_deals, 0)::BIGINT AS open_deals,
               COALESCE(paying.arr, 0)::DOUBLE AS arr
        FROM accounts a LEFT JOIN pipe USING (account_id) LEFT JOIN paying USING (account_id)
        ORDER BY a.account_id"""
    return con.execute(sql, [*open_stages, as_of, as_of]).df()


def read_reps(con: Any, as_of: date) -> pd.DataFrame:
    """Account executives who can own a territory: role ae, not marked inactive, not gone
    (no end_date on or before the as-of day)."""
    return con.execute("""
        SELECT user_id, region, segment FROM users
        WHERE role = 'ae' AND COALESCE(active, TRUE) AND (end_date IS NULL OR end_date > ?)
        ORDER BY user_id""", [as_of]).df()


def potential(accounts: pd.DataFrame, weights: PotentialWeights) -> np.ndarray:
    """The potential index of every account (module docstring)."""
    total = np.zeros(len(accounts))
    used = {m: getattr(weights, m) for m in MEASURES
            if getattr(weights, m) > 0 and accounts[m].clip(lower=0).sum() > 0}
    scale = sum(used.values())
    for m, w in used.items():
        values = accounts[m].clip(lower=0).to_numpy(dtype=float)
        total += (w / scale) * np.minimum(values / values.mean(), weights.cap)
    return total


def workload(accounts: pd.DataFrame) -> np.ndarray:
    return 1.0 + accounts["open_deals"].to_numpy(dtype=float)
