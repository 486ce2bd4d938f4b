"""Deal risk flags and the upside signal, on deals written by hand: upside is good news, never
a risk."""

from __future__ import annotations

import numpy as np
import pandas as pd

from revops.engines.forecast.risk import FLAGS, risk_flags, upside_signal


def _deals() -> pd.DataFrame:
    # d1: pipeline, 80% to be won, nothing wrong -> upside only
    # d2: commit, 30% to be won, no activity for 30 days -> stale, commit_at_risk
    # d3: best case, 55%, all fine -> nothing
    return pd.DataFrame({
        "category": ["pipeline", "commit", "best_case"],
        "in_period": [True, True, True],
        "days_to_close": [20.0, 10.0, 30.0], "close_day": [100.0, 90.0, 110.0],
        "days_since_activity": [2.0, 30.0, 1.0], "age_days": [40.0, 60.0, 50.0],
        "pushes": [0.0, 0.0, 1.0], "amount": [10_000.0, 20_000.0, 5_000.0],
        "p_in_period": [0.9, 0.8, 0.7], "p_won": [0.8, 0.3, 0.55],
    }, index=["d1", "d2", "d3"])


def test_risks_are_lists_of_flag_names_and_upside_is_not_one_of_them():
    risks = risk_flags(_deals())
    assert risks.to_dict() == {"d1": [], "d2": ["stale", "commit_at_risk"], "d3": []}
    assert "upside" not in FLAGS


def test_upside_is_a_separate_positive_signal():
    assert upside_signal(_deals()).to_dict() == {"d1": True, "d2": False, "d3": False}


def test_no_deals_no_flags():
    empty = _deals().iloc[:0]
    assert len(risk_flags(empty)) == 0 and len(upside_signal(empty)) == 0
    assert upside_signal(empty).dtype == np.bool_
