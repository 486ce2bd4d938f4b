"""Accuracy by category and by rep, and rep bias: what the categories said at week 4 against
what landed, reconstructed from history."""

from __future__ import annotations

from datetime import date

import pytest

from revops.engines.forecast.accuracy import accuracy, median_ratio
from revops.engines.forecast.world import load_world
from tests.engines.forecast.conftest import D, T, deal, deals


def quarter_of_deals(q: int, start: date) -> list:
    """Week 4 of the quarter is its day 28; every deal is decided after it."""
    y, m = start.year, start.month
    open_at, close = T(y, m, 2), D(y, m + 2, 20)
    later = T(y, m + 2, 20)

    def d(oid, owner, stage, amount, won, category=None):
        end = "closed_won" if won else "closed_lost"
        return deal(f"{oid}{q}", open_at, [(open_at, stage, amount, close, category),
                                           (later, end, amount, close.replace(day=20), category)], owner=owner)

    return [
        d("a-big", "ann", "negotiation", 20_000, False), d("a-won", "ann", "negotiation", 10_000, True),  # 30k called, 10k
        d("b-up", "ben", "qualification", 20_000, True), d("b-won", "ben", "negotiation", 5_000, True),  # 5k called, 25k
        d("c", "cat", "negotiation", 10_000, True), d("d", "dan", "negotiation", 10_000, True),
        d("e", "eve", "proposal", 8_000, False),  # best case that does not land
    ]


@pytest.fixture
def history(gtm):
    return gtm(**deals(*quarter_of_deals(1, date(2025, 7, 1)), *quarter_of_deals(2, date(2025, 10, 1))))


def test_categories_reps_and_bias(history, model):
    world = load_world(history.ibis, model, today=date(2026, 2, 1))
    result = accuracy(world, quarters=2, week=4, last="2025-Q4")
    commit = [r for r in result["categories"] if r["category"] == "commit"]
    assert [(r["period"], r["called"], r["landed"]) for r in commit] == \
        [("2025-Q3", 55_000.0, 35_000.0), ("2025-Q4", 55_000.0, 35_000.0)]
    best = [r for r in result["categories"] if r["category"] == "best_case"]
    assert all(r["called"] == 8_000 and r["conversion"] == 0 for r in best)
    ann = [r for r in result["reps"] if r["owner"] == "ann"]
    assert [(r["commit"], r["actual"]) for r in ann] == [(30_000.0, 10_000.0)] * 2
    verdicts = {r["owner"]: (round(r["bias"], 2), r["verdict"]) for r in result["bias"]}
    assert verdicts["ann"] == (3.0, "happy ears") and verdicts["ben"] == (0.2, "sandbagging")
    assert verdicts["cat"] == (1.0, "on target")
    # bias is over the median rep's commit/actual: ann 3.0, ben 0.2, cat and dan 1.0 -> 1.0
    assert median_ratio(result["reps"]) == 1.0
