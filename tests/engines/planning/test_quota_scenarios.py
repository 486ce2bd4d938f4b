"""`revops plan quota` and `revops plan scenarios` on a store built by hand."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest

from revops.engines.planning.months import Month
from revops.engines.planning.quota import plan_quota
from revops.engines.planning.scenarios import Measured, revops_headcount, run_scenarios
from revops.model import load_model
from tests.conftest import run_cli


def won(oid, owner, amount, day, **kw):
    return {"opportunity_id": oid, "account_id": "acc", "owner_id": owner, "stage": "closed_won", "amount": amount,
            "close_date": day, "created_at": datetime(2025, 1, 1), **kw}


@pytest.fixture
def sales(gtm):
    return gtm(
        users=[{"user_id": "a1", "name": "Ana", "role": "ae", "team": "East", "start_date": date(2023, 1, 1), "quota": 400000},
               {"user_id": "a2", "name": "Bo", "role": "ae", "team": "East", "start_date": date(2023, 1, 1), "quota": 400000},
               {"user_id": "a3", "name": "Cy", "role": "ae", "team": "West", "start_date": date(2026, 1, 1)},
               {"user_id": "r1", "name": "Ops", "role": "revops", "team": "RevOps"}],
        opportunities=[won("o1", "a1", 300000.0, date(2025, 6, 1)), won("o2", "a2", 100000.0, date(2025, 7, 1)),
                       {"opportunity_id": "o3", "account_id": "acc", "owner_id": "a1", "stage": "discovery",
                        "amount": 50000.0, "close_date": date(2026, 6, 1), "created_at": datetime(2025, 12, 1)},
                       {"opportunity_id": "o4", "account_id": "acc", "owner_id": "a2", "stage": "proposal",
                        "amount": 150000.0, "close_date": date(2026, 6, 1), "created_at": datetime(2025, 12, 1)}])


def test_top_down_follows_ramped_capacity_and_bottom_up_the_reps_book(sales):
    result = plan_quota(sales.con, load_model(None), target=1_000_000, year=2026, over_assignment=0.1)
    reps = {r["user_id"]: r for r in result["reps"]}
    assert result["quota_total"] == 1_100_000
    # a1, a2 ramped all year (12 rep-months); a3 starts in January: 0 + .25 + .5 + .75 + 8 x 1 = 9.5
    assert (reps["a1"]["ramped_rep_months"], reps["a3"]["ramped_rep_months"]) == (12.0, 9.5)
    assert reps["a1"]["top_down"] == pytest.approx(1_100_000 * 12 / 33.5, abs=0.01)
    assert reps["a3"]["top_down"] == pytest.approx(1_100_000 * 9.5 / 33.5, abs=0.01)
    # history: a1 300k, a2 100k, a3 new: the ramped mean 200k x 9.5/12; potential: open pipeline 50k, 150k, 0
    history = {"a1": 300000, "a2": 100000, "a3": 200000 * 9.5 / 12}
    hist_total = sum(history.values())
    assert reps["a2"]["bottom_up"] == pytest.approx(1_100_000 * (0.5 * 100000 / hist_total + 0.5 * 150000 / 200000),
                                                    abs=0.01)
    assert reps["a3"]["bottom_up"] == pytest.approx(1_100_000 * 0.5 * history["a3"] / hist_total, abs=0.01)
    for r in reps.values():
        assert r["reconciled"] == pytest.approx((r["top_down"] + r["bottom_up"]) / 2, abs=0.01)
    assert sum(r["reconciled"] for r in reps.values()) == pytest.approx(1_100_000, abs=0.05)
    assert {t["team"]: t["reps"] for t in result["teams"]} == {"East": 2, "West": 1}


def test_a_rep_not_ramped_through_last_year_gets_the_seasoned_mean_not_their_own_zero(sales):
    sales.con.execute("INSERT INTO users (user_id, role, team, start_date) VALUES ('a4', 'ae', 'West', '2025-09-01')")
    reps = {r["user_id"]: r for r in plan_quota(sales.con, load_model(None), target=1_000_000, year=2026)["reps"]}
    # a4 started 2025-09: not past the ramp through 2025, so, like a3, history is the seasoned mean (200k) x ramp
    assert reps["a4"]["ramped_rep_months"] == 12.0 and reps["a4"]["bottom_up"] > 0


def test_a_year_in_two_digits_is_refused(sales):
    from revops.engines.planning.plan_file import PlanError

    with pytest.raises(PlanError, match="four digits"):
        plan_quota(sales.con, load_model(None), target=1, year=26)


def test_scenarios_use_created_pipeline_then_their_own_and_name_their_miracles():
    measured = Measured(win_rate=0.25, cycle_days=61, pipeline_per_month=100000, monthly_attrition=0.0,
                        created_by_month={Month(2025, 11): 80000, Month(2025, 12): 40000})
    result = run_scenarios(measured, year_months=[Month(2026, 1), Month(2026, 2), Month(2026, 3)],
                           as_of=date(2026, 1, 15))
    by = {s["scenario"]: s for s in result["scenarios"]}
    base = by["base"]
    # a 2-month cycle: January closes November's 80k, February December's 40k, March January's (100k planned)
    assert base["cycle_months"] == 2
    assert base["bookings"] == pytest.approx(0.25 * (80000 + 40000 + 100000))
    assert base["miracles"] == []
    assert by["conservative"]["bookings"] < base["bookings"] < by["aggressive"]["bookings"]
    assert "win rate 27.5% (measured 25.0%)" in by["aggressive"]["miracles"]


def test_revops_headcount_follows_the_rule_of_thumb(sales):
    h = revops_headcount(sales.con)
    assert (h["gtm_staff"], h["revops_staff"], h["recommended_min"], h["recommended_max"]) == (3, 1, 1, 1)


def test_plan_quota_and_scenarios_as_a_user_runs_them(demo_files):
    db = str(demo_files["small"])
    out = run_cli("--db", db, "plan", "quota", "--target", "4000000", "--year", "2027", "--format", "json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert abs(sum(r["reconciled"] for r in result["reps"]) - 4_400_000) < 1
    out = run_cli("--db", db, "plan", "scenarios", "--year", "2027", "--format", "json")
    assert out.returncode == 0, out.stderr
    scenarios = json.loads(out.stdout)["scenarios"]
    assert [s["scenario"] for s in scenarios] == ["conservative", "base", "aggressive"]
    assert scenarios[0]["bookings"] < scenarios[1]["bookings"] < scenarios[2]["bookings"]


def test_a_capacity_plan_caps_each_scenarios_bookings_with_its_own_ramp():
    from revops.engines.planning.capacity import CapacityPlan, starters_of
    from revops.engines.planning.scenarios import capacity_curve

    plan = CapacityPlan.model_validate({"start": "2026-01", "months": 3, "ramp": [0.0, 0.5, 1.0],
                                        "quota_per_ramped_rep": 10000, "reps": [{"start": "2026-01"}]})
    curve = capacity_curve(plan, starters_of(plan, []), 10000, 1)
    measured = Measured(win_rate=0.5, cycle_days=0, pipeline_per_month=100000, monthly_attrition=0.0,
                        created_by_month={})
    months = [Month(2026, 1), Month(2026, 2), Month(2026, 3)]
    by = {s["scenario"]: s for s in run_scenarios(measured, year_months=months, as_of=date(2025, 12, 1),
                                                  capacity=curve)["scenarios"]}
    # demand is far above capacity: bookings = capacity. Base ramp 0, .5, 1 -> 15,000; a month slower
    # (conservative) 0, 0, .5 -> 5,000; a month faster (aggressive) .5, 1, 1 -> 25,000
    assert (by["conservative"]["bookings"], by["base"]["bookings"], by["aggressive"]["bookings"]) == (5000, 15000, 25000)
    assert by["base"]["months_capped_by_capacity"] == 3
    assert any(m.startswith("ramp 1 month") for m in by["aggressive"]["miracles"])
