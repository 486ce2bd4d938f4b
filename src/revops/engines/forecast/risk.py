"""Deal-level risk flags: why a deal in the forecast may not land, in words a manager can
take into a deal review, and the one positive signal, upside. Each is computed from the
forecast's own view of the deal (its features and probabilities as of the forecast's day):

| flag | when |
| --- | --- |
| close_date_passed | open, with a close date before the as-of day |
| no_close_date | open, without a close date |
| pushed_often | the close date was moved later ``PUSHES`` or more times |
| stale | no activity logged in the last ``STALE_DAYS`` days (deals older than that) |
| no_amount | no amount entered: counted at the comparable value |
| likely_to_slip | the close date is in the period, but the slip model gives it less than an even chance to be decided in it |
| commit_at_risk | called commit, with less than an even chance to be won in the period |

Upside is not a risk: a deal not called commit or best case with at least an ``UPSIDE``
chance to be won in the period may land more than the call says (``upside_signal``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PUSHES = 2
STALE_DAYS = 14
UPSIDE = 0.6
FLAGS = ("close_date_passed", "no_close_date", "pushed_often", "stale", "no_amount", "likely_to_slip",
         "commit_at_risk")
"""The risk flags, in the order a deal's list names them."""


def _column(deals: pd.DataFrame, name: str, default: float = np.nan) -> np.ndarray:
    return deals[name].to_numpy(dtype=float) if name in deals else np.full(len(deals), default)


def upside_signal(deals: pd.DataFrame) -> pd.Series:
    """Per row of ``PeriodForecast.deals``: True when the deal is not called commit or best case
    yet has at least an ``UPSIDE`` chance to be won in the period."""
    category = deals["category"].to_numpy(dtype=object)
    upside = ~np.isin(category, ["commit", "best_case"]) & (_column(deals, "p_won", 1.0) >= UPSIDE)
    return pd.Series(upside, index=deals.index, dtype=bool)


def risk_flags(deals: pd.DataFrame) -> pd.Series:
    """The risk flags (``FLAGS``) per row of ``PeriodForecast.deals``, as a list of names (empty:
    none)."""
    n = len(deals)
    if n == 0:
        return pd.Series([], dtype=object)

    def col(name: str, default: float = np.nan) -> np.ndarray:
        return _column(deals, name, default)

    days_to_close = col("days_to_close")
    since = col("days_since_activity")
    age = col("age_days")
    p_in, p_won = col("p_in_period", 1.0), col("p_won", 1.0)
    category = deals["category"].to_numpy(dtype=object)
    in_period = deals["in_period"].to_numpy(dtype=bool)
    with np.errstate(invalid="ignore"):
        checks = {
            "close_date_passed": days_to_close < 0,
            "no_close_date": np.isnan(col("close_day")),
            "pushed_often": col("pushes", 0.0) >= PUSHES,
            "stale": (age > STALE_DAYS) & (np.isnan(since) | (since > STALE_DAYS)),
            "no_amount": np.isnan(col("amount")),
            "likely_to_slip": in_period & (p_in < 0.5),
            "commit_at_risk": (category == "commit") & (p_won < 0.5),
        }
    flags = [[] for _ in range(n)]
    for name in FLAGS:
        for i in np.flatnonzero(checks[name]):
            flags[i].append(name)
    return pd.Series(flags, index=deals.index, dtype=object)
