"""The forecast's category roll-ups: a deal counts in its rep's category when one is
recorded, else in its stage's default; only deals closing in the period count."""

from __future__ import annotations

import pytest

from revops.engines.forecast import forecast
from tests.engines.forecast.conftest import D, T, deal, deals

AS_OF = "2026-05-15"


@pytest.fixture
def book(gtm):
    return gtm(**deals(
        deal("won", T(2026, 3, 1), [(T(2026, 3, 1), "proposal", 8_000, D(2026, 4, 30)),
                                    (T(2026, 4, 20), "closed_won", 8_000, D(2026, 4, 20))]),
        # negotiation defaults to commit
        deal("neg", T(2026, 3, 1), [(T(2026, 3, 1), "negotiation", 10_000, D(2026, 6, 10))]),
        # the rep calls a discovery deal commit: the override wins
        deal("call", T(2026, 3, 1), [(T(2026, 3, 1), "discovery", 4_000, D(2026, 6, 20), "commit")]),
        # the rep takes a negotiation deal out of the forecast
        deal("out", T(2026, 3, 1), [(T(2026, 3, 1), "negotiation", 6_000, D(2026, 6, 25), "omitted")]),
        # proposal defaults to best case
        deal("prop", T(2026, 3, 1), [(T(2026, 3, 1), "proposal", 5_000, D(2026, 6, 1))]),
        deal("qual", T(2026, 3, 1), [(T(2026, 3, 1), "qualification", 3_000, D(2026, 6, 30))]),
        # closing next quarter: not in this period's numbers
        deal("next", T(2026, 3, 1), [(T(2026, 3, 1), "proposal", 9_000, D(2026, 8, 1), "commit")]),
        # lost after the as-of day: still open then, in proposal
        deal("late", T(2026, 3, 1), [(T(2026, 3, 1), "proposal", 2_000, D(2026, 6, 5)),
                                     (T(2026, 5, 20), "closed_lost", 2_000, D(2026, 5, 20))]),
    ))


def test_category_roll_ups_worked_by_hand(book, model):
    n = forecast(book.ibis, model, as_of=AS_OF, runs=500).as_dict()
    assert n["period"] == "2026-Q2" and n["as_of"] == AS_OF
    assert n["closed_won"] == 8_000
    assert n["commit"] == 8_000 + 10_000 + 4_000
    assert n["best_case"] == n["commit"] + 5_000 + 2_000
    assert n["pipeline"] == 10_000 + 4_000 + 6_000 + 5_000 + 3_000 + 2_000
    assert n["weighted"] == pytest.approx(8_000 + 10_000 * .8 + 4_000 * .1 + 6_000 * .8 + 5_000 * .6 + 3_000 * .2
                                          + 2_000 * .6)
    assert n["closed_won"] <= n["p10"] <= n["p50"] <= n["p90"]


def test_another_period_and_day(book, model):
    n = forecast(book.ibis, model, period="2026-Q3", as_of=AS_OF, runs=500).as_dict()
    assert (n["closed_won"], n["commit"], n["pipeline"]) == (0, 9_000, 9_000)
    before = forecast(book.ibis, model, as_of="2026-04-01", runs=500).as_dict()
    assert before["closed_won"] == 0 and before["pipeline"] == 10_000 + 4_000 + 6_000 + 5_000 + 3_000 + 2_000 + 8_000


def test_a_period_that_is_not_a_quarter_is_refused(book, model):
    from revops.errors import ForecastError

    with pytest.raises(ForecastError, match="2026-Q5"):
        forecast(book.ibis, model, period="2026-Q5", as_of=AS_OF)
