"""Forecast calls: reps and managers submit a number per period, every version is kept, a
manager adjusts a report's number only with a note, and the numbers roll up rep -> manager ->
company along users.manager_id."""

from __future__ import annotations

import pytest

from revops.engines.forecast.calls import call_history, latest_calls, submit_call
from revops.engines.forecast.rollup import company_number, rollup
from revops.errors import ForecastError
from tests.engines.forecast.conftest import T

USERS = [
    {"user_id": "vp", "name": "Vera", "role": "executive"},
    {"user_id": "m1", "name": "Max", "role": "manager", "manager_id": "vp"},
    {"user_id": "r1", "name": "Rae", "role": "ae", "manager_id": "m1"},
    {"user_id": "r2", "name": "Raj", "role": "ae", "manager_id": "m1"},
    {"user_id": "x", "name": "Xia", "role": "ae", "manager_id": "vp"},
]


@pytest.fixture
def team(gtm):
    return gtm(users=USERS)


def call(store, model, user, amount, at, **kw):
    return submit_call(store, model, period="2026-Q3", user_id=user, amount=amount, at=at, **kw)


def test_each_call_is_a_new_version(team, model):
    first = call(team, model, "r1", 100_000, T(2026, 7, 2))
    second = call(team, model, "r1", 120_000, T(2026, 7, 9))
    assert (first.version, second.version, second.previous_amount) == (1, 2, 100_000)
    assert len(call_history(team, period="2026-Q3", user_id="r1")) == 2
    as_of_july_5 = latest_calls(team, period="2026-Q3", at=T(2026, 7, 5).date())
    assert as_of_july_5["amount"].tolist() == [100_000]
    assert latest_calls(team, period="2026-Q3")["amount"].tolist() == [120_000]


def test_a_manager_adjusts_a_reps_number_with_a_note(team, model):
    call(team, model, "r1", 120_000, T(2026, 7, 9))
    adjusted = call(team, model, "r1", 90_000, T(2026, 7, 10), submitted_by="m1", note="legal review slips to Q4")
    assert adjusted.adjusted and adjusted.previous_amount == 120_000 and adjusted.version == 2
    # the VP is above the rep too
    assert call(team, model, "r1", 95_000, T(2026, 7, 11), submitted_by="vp", note="exec sponsor call").adjusted
    with pytest.raises(ForecastError, match="note"):
        call(team, model, "r1", 80_000, T(2026, 7, 12), submitted_by="m1")
    with pytest.raises(ForecastError, match="not above r1"):
        call(team, model, "r1", 80_000, T(2026, 7, 12), submitted_by="x", note="peer")
    with pytest.raises(ForecastError, match="no user"):
        call(team, model, "nobody", 1, T(2026, 7, 12))
    with pytest.raises(ForecastError, match="2026-Q9|quarter"):
        submit_call(team, model, period="2026-Q9", user_id="r1", amount=1)


def test_numbers_roll_up_rep_to_manager_to_company(team, model):
    users = team.con.execute("SELECT * FROM users").df()
    call(team, model, "r1", 100_000, T(2026, 7, 2))
    call(team, model, "r2", 50_000, T(2026, 7, 2))
    call(team, model, "x", 30_000, T(2026, 7, 2))
    rows = {r["user_id"]: r for r in rollup(users, latest_calls(team, period="2026-Q3"))}
    assert rows["m1"]["reports_call"] == 150_000 and rows["m1"]["number"] == 150_000
    assert rows["vp"]["number"] == 180_000 and rows["(company)"]["number"] == 180_000
    # the manager's own call is the team's number
    call(team, model, "m1", 140_000, T(2026, 7, 3))
    calls = latest_calls(team, period="2026-Q3")
    rows = {r["user_id"]: r for r in rollup(users, calls)}
    assert (rows["m1"]["call"], rows["m1"]["reports_call"], rows["m1"]["number"]) == (140_000, 150_000, 140_000)
    assert company_number(users, calls) == 170_000
    assert [r["depth"] for r in rollup(users, calls)][:3] == [0, 1, 2]


def test_deal_numbers_roll_up_with_the_calls(team, model):
    import pandas as pd

    users = team.con.execute("SELECT * FROM users").df()
    by_owner = pd.DataFrame({"closed_won": [10.0, 5.0], "commit": [20.0, 8.0]}, index=["r1", "x"])
    rows = {r["user_id"]: r for r in rollup(users, latest_calls(team, period="2026-Q3"), by_owner)}
    assert rows["m1"]["closed_won"] == 10.0 and rows["vp"]["commit"] == 28.0
    assert rows["(company)"]["closed_won"] == 15.0 and rows["(company)"]["number"] is None


def test_ranges_roll_up_run_by_run(team, model):
    import numpy as np
    import pandas as pd

    users = team.con.execute("SELECT * FROM users").df()
    by_owner = pd.DataFrame({"closed_won": [10.0, 0.0, 5.0]}, index=["r1", "r2", "x"])
    # r1 wins 100 in half the runs, r2 wins 100 in the other half: alone each is 0 or 100,
    # together their manager books 100 in every run (quantiles of a sum are not sums of quantiles)
    half = np.array([100.0, 0.0] * 50)
    runs = {"r1": half, "r2": 100.0 - half, "x": np.full(100, 7.0)}
    rows = {r["user_id"]: r for r in rollup(users, latest_calls(team, period="2026-Q3"), by_owner, owner_runs=runs,
                                            company_runs=np.full(100, 200.0))}
    assert (rows["r1"]["p10"], rows["r1"]["p90"]) == (10.0, 110.0)
    assert rows["m1"]["p10"] == rows["m1"]["p50"] == rows["m1"]["p90"] == 110.0
    assert rows["vp"]["p50"] == 122.0  # 15 closed won + 100 + 7
    assert rows["(company)"]["p50"] == 215.0  # the forecast's own runs, deals not created yet included
