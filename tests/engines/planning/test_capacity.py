"""`revops plan capacity`: ramp, attrition, hires and targets worked out by hand; the reps and
productivity read from the store when the plan does not give them; plan mistakes at their line."""

from __future__ import annotations

import json
import textwrap
from datetime import date

import pytest

from revops.engines.planning.capacity import CapacityPlan, Starter, plan_capacity, starters_of
from revops.engines.planning.history import ramped_productivity, store_reps
from revops.engines.planning.months import Month
from revops.engines.planning.plan_file import PlanError, load_plan_file
from revops.model import load_model
from tests.conftest import run_cli

CONTRACT_PLAN = """
start: 2025-01          # first month planned
months: 12
ramp: [0.0, 0.25, 0.5, 0.75, 1.0]   # productivity by month of tenure, 1.0 afterwards
monthly_attrition: 0.0
quota_per_ramped_rep: 50000          # monthly bookings of a fully ramped rep
reps:                                # start months of the reps counted
  - {start: 2024-06}
  - {start: 2025-03}
targets: {2025-Q1: 300000}           # by month (2025-01) or quarter (2025-Q1)
"""


def plan(**kw) -> CapacityPlan:
    base = {"start": "2025-01", "months": 12, "ramp": [0.0, 0.25, 0.5, 0.75, 1.0], "quota_per_ramped_rep": 50000,
            "reps": [{"start": "2024-06"}, {"start": "2025-03"}]}
    return CapacityPlan.model_validate({**base, **kw})


def rows(p: CapacityPlan, store: list[Starter] | None = None):
    return {r.period: r for r in plan_capacity(p, starters=starters_of(p, store or []),
                                               productivity=p.quota_per_ramped_rep or 1.0)}


def test_the_contracts_example_by_hand():
    out = rows(plan(targets={"2025-Q1": 300000}))
    # the 2024-06 rep is ramped (month 7+); the 2025-03 rep is in month 0, 1, 2, 3, 4 from March
    assert [out[m].ramped_reps for m in ("2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-06",
                                         "2025-07")] == [1.0, 1.0, 1.0, 1.25, 1.5, 1.75, 2.0]
    assert out["2025-04"].capacity == 62500.0
    q1 = out["2025-Q1"]
    assert (q1.capacity, q1.target, q1.gap) == (150000.0, 300000, 150000.0)
    assert out["2025-Q2"].capacity == (1.25 + 1.5 + 1.75) * 50000 and out["2025-Q2"].target is None
    # one rep hired in January adds 0 + 0.25 + 0.5 months of a ramped rep to Q1: four close the gap
    assert (q1.hires_needed, q1.hire_by) == (4, "2025-01")


def test_attrition_thins_every_rep_from_the_plans_start_or_their_own():
    out = rows(plan(monthly_attrition=0.1))
    assert out["2025-02"].ramped_reps == pytest.approx(0.9)
    assert out["2025-03"].headcount == pytest.approx(0.81 + 1.0)  # the new rep is there in full in month 0
    assert out["2025-04"].ramped_reps == pytest.approx(0.729 + 0.9 * 0.25)


def test_hires_add_to_the_reps_and_a_month_target_is_its_own_row():
    out = rows(plan(hires=[{"start": "2025-02", "count": 2, "segment": "smb"}], targets={"2025-03": 100000}))
    assert out["2025-03"].ramped_reps == 1.0 + 2 * 0.25
    assert out["2025-03"].gap == 100000 - 1.5 * 50000
    assert out["2025-Q1"].target is None  # two of its months have no target


def test_quarter_targets_by_month_add_up_when_all_three_are_given():
    out = rows(plan(targets={"2025-01": 60000, "2025-02": 60000, "2025-03": 60000}))
    assert out["2025-Q1"].target == 180000 and out["2025-Q1"].gap == 30000


def test_a_later_hire_that_still_closes_the_gap_sets_the_hire_by_month():
    out = rows(plan(reps=[{"start": "2024-01"}], targets={"2025-Q3": 300000}))
    q3 = out["2025-Q3"]  # gap 150,000; a rep from January is ramped all Q3 (150,000): one hire
    assert q3.gap == 150000 and q3.hires_needed == 1
    # started in March, they are in months 4-6 of tenure in Jul-Sep (1.0 each): 150,000, enough;
    # started in April, months 3-5: 0.75 + 1 + 1, short
    assert q3.hire_by == "2025-03"


def test_the_store_gives_the_reps_and_the_productivity(gtm):
    store = gtm(
        users=[{"user_id": "a1", "role": "ae", "start_date": date(2024, 1, 1), "active": True},
               {"user_id": "a2", "role": "ae", "start_date": date(2026, 3, 1), "active": True},
               {"user_id": "gone", "role": "ae", "start_date": date(2023, 1, 1), "end_date": date(2025, 1, 1)},
               {"user_id": "s1", "role": "sdr", "start_date": date(2024, 1, 1)}],
        opportunities=[{"opportunity_id": "o1", "account_id": "x", "owner_id": "a1", "stage": "closed_won",
                        "amount": 120000.0, "close_date": date(2026, 2, 10)},
                       {"opportunity_id": "o2", "account_id": "x", "owner_id": "a2", "stage": "closed_won",
                        "amount": 99999.0, "close_date": date(2026, 4, 10)}])
    reps = store_reps(store.con, ["ae"], date(2026, 6, 15))
    assert sorted(s.start for s in reps) == [Month(2024, 1), Month(2026, 3)]
    # a1 is ramped all 12 months (Jun 2025 - May 2026): 120,000 / 12; a2 is in months 0-2 (not ramped)
    assert ramped_productivity(store.con, load_model(None), ["ae"], 4, date(2026, 6, 15)) == 10000.0


def test_plan_mistakes_are_reported_at_their_line(tmp_path):
    path = tmp_path / "capacity.yaml"
    path.write_text(textwrap.dedent("""
        start: 2025-13
        ramp: [0, 2]
        reps:
          - {start: 2024-06, seats: 3}
        targets: {2025-X1: 5}
    """).lstrip("\n"))
    with pytest.raises(PlanError) as err:
        load_plan_file(path, CapacityPlan)
    text = str(err.value)
    assert f"{path}:1: start: expected a month YYYY-MM, not '2025-13'" in text
    assert f"{path}:2: ramp:" in text and f"{path}:4: reps.0.seats: not a setting" in text
    assert f"{path}:5: targets:" in text


def test_a_target_outside_the_plan_is_refused():
    with pytest.raises(PlanError, match="2026-Q1 is outside the plan's 12 months"):
        rows(plan(targets={"2026-Q1": 1}))


def test_plan_capacity_as_a_user_runs_it(tmp_path):
    path = tmp_path / "capacity.yaml"
    path.write_text(CONTRACT_PLAN)
    out = run_cli("--db", str(tmp_path / "none.duckdb"), "plan", "capacity", "--plan", str(path), "--format", "json")
    assert out.returncode == 0, out.stderr
    found = {r["period"]: r for r in json.loads(out.stdout)}
    assert {"period", "ramped_reps", "capacity", "target", "gap"} <= set(found["2025-01"])
    assert (found["2025-Q1"]["capacity"], found["2025-Q1"]["target"], found["2025-Q1"]["gap"]) == (150000, 300000, 150000)
    assert found["2025-05"]["ramped_reps"] == 1.5 and found["2025-05"]["capacity"] == 75000
    assert not (tmp_path / "none.duckdb").exists()  # a plan that names its reps needs no store


def test_past_the_curve_a_rep_is_fully_ramped_whatever_its_last_factor():
    out = rows(plan(ramp=[0.0, 0.5], reps=[{"start": "2025-01"}]))
    assert [out[m].ramped_reps for m in ("2025-01", "2025-02", "2025-03", "2025-12")] == [0.0, 0.5, 1.0, 1.0]


@pytest.mark.parametrize("change, words", [
    ({"ramp": [0.0, 0.5, 0.2]}, "rises month by month"),
    ({"ramp": [0.0, 1.5]}, "from 0 to 1"),
    ({"targets": {"2025-Q1": -5}}, "0 or more"),
    ({"targets": {"2025-Q5": 5}}, "'2025-Q5'"),
    ({"hires": [{"start": "2026-02"}]}, "after the plan's last month 2025-12"),
])
def test_a_plan_that_makes_no_sense_is_refused(change, words):
    with pytest.raises(ValueError, match=words):
        plan(**change)


def test_a_quarter_with_part_of_its_months_targets_says_so():
    out = rows(plan(targets={"2025-01": 1000}))
    assert out["2025-Q1"].target is None and "2025-01 only" in out["2025-Q1"].note
