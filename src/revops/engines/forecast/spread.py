"""The spread: how far the forecast may miss as a whole, beyond the luck of each deal.

Deal outcomes drawn independently (the Monte Carlo) miss too little: a quarter's deals also
go better or worse together, and the models are never exactly right. The spread is the log
standard deviation of a common factor on each run's open-deal total, learned from the
company's own history, per band of days left in the period.

It is measured walking forward, as a forecast is made: for each of the last
``SPREAD_QUARTERS`` training periods, lighter models fitted on the periods before it judge
that period's snapshots. Per band, over every (snapshot day, period) group of open deals:
the squared misses less the variance the independent draws explain, over the squared
expectations, ``sigma^2 = sum((actual - expected)^2 - variance) / sum(expected^2)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from revops.engines.forecast.slip import train_slip_model
from revops.engines.forecast.training import TrainingSet
from revops.engines.forecast.win_model import train_win_model

SPREAD_ROUNDS = 60
"""Boosting rounds of the lighter models fitted only to measure the spread out of sample."""
SPREAD_BANDS = (35, 63)
"""Days left in the period that separate the spread's bands: the end of a quarter, its middle, its start."""


SPREAD_QUARTERS = 3
"""Training periods the spread is measured on, walking forward: the last ones (fewer when
the history is shorter, each judged by models fitted on at least one period before it)."""
MAX_SPREAD = 1.0
"""The widest spread used: past misses larger than this (a history too short or too odd to
learn from) still give a range, not an explosion."""
UNMEASURED_SPREAD = 0.1
"""The spread assumed when it cannot be measured: fewer than two periods of history, or models
that expected nothing of the periods they judged."""


def open_deal_spread(data: TrainingSet, seed: int = 7) -> tuple[float, ...]:
    """The spread per band of days left (``SPREAD_BANDS``), see the module's docstring."""
    bands = len(SPREAD_BANDS) + 1
    periods = np.unique(data.period.astype(str))
    if len(periods) < 2:
        return (UNMEASURED_SPREAD,) * bands
    label = data.period.astype(str)
    parts = []
    for period in periods[-min(SPREAD_QUARTERS, len(periods) - 1):]:
        train, test = data.subset(label < period), data.subset(label == period)
        slip = train_slip_model(train, seed, SPREAD_ROUNDS)
        win = train_win_model(train, seed, SPREAD_ROUNDS)
        p = slip.in_period(test.X) * win.probability(test.X)
        booked = win.booked_amount(test.X)
        parts.append(pd.DataFrame({
            "group": test.snapshot_day, "band": np.searchsorted(SPREAD_BANDS, test.X["days_left"].to_numpy()),
            "expected": p * booked, "variance": p * (1 - p) * booked ** 2, "period": period,
            "actual": np.where(test.won, np.nan_to_num(test.won_amount), 0.0)}))
    frame = pd.concat(parts, ignore_index=True)
    g = frame.groupby(["band", "period", "group"])[["expected", "variance", "actual"]].sum().reset_index()
    g["miss"] = (g["actual"] - g["expected"]) ** 2 - g["variance"]
    g["scale"] = g["expected"] ** 2
    total = g[["miss", "scale"]].sum()
    if not total["scale"] > 0:  # the models expected nothing: nothing to measure a miss against
        return (UNMEASURED_SPREAD,) * bands
    overall = float(np.sqrt(max(total["miss"] / total["scale"], 0.0)))
    overall = min(overall, MAX_SPREAD)
    out = []
    for b in range(bands):
        sel = g[g["band"] == b][["miss", "scale"]].sum()
        band = float(np.sqrt(max(sel["miss"] / sel["scale"], 0.0))) if sel["scale"] > 0 else 0.0
        # a band is measured on fewer groups than the pool: it may widen the pooled spread up to
        # twice, never narrow it
        out.append(min(max(band, overall), 2 * overall, MAX_SPREAD))
    return tuple(out)


def spread_for(spread: tuple[float, ...], days_left: int) -> float:
    """The spread of the band ``days_left`` falls in."""
    return spread[int(np.searchsorted(SPREAD_BANDS, days_left, side="left"))]
