"""The demo company calls its forecast: every Monday each AE and CSM calls their commit and
best case for the quarter from their deals as they stood, shaded by their hidden
forecast_bias; their manager reviews the numbers (adjusting some, with a note) and calls the
team's number, and the company's number rolls up from the managers' calls. The backtest's
commit column and the reps' bias are read from these calls."""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from revops.demo.builder import build_demo
from revops.demo.calendar import SimCalendar
from revops.demo.forecast_calls import forecast_calls_table
from revops.demo.people import build_staff
from revops.demo.scales import SCALES
from revops.demo.vocabulary import TIMEZONES
from revops.engines.forecast import load_world
from revops.engines.forecast.accuracy import accuracy
from revops.engines.forecast.calls import latest_calls
from revops.engines.forecast.features import category_keys
from revops.engines.forecast.rollup import company_number
from revops.engines.forecast.world import day_number
from revops.engines.metrics.periods import FiscalCalendar
from revops.model import load_model
from revops.store import Store
from tests.conftest import DEMO_TODAY, run_cli

HISTORY_START = date(2023, 5, 1)  # the first day of the month 36 months before DEMO_TODAY's
OFFSET_HOURS = {name: hours for zones in TIMEZONES.values() for name, hours in zones}
QUARTERS = FiscalCalendar(1)


@pytest.fixture(scope="module")
def calls(demo_files) -> pd.DataFrame:
    """Every call of the small demo, with the caller's role, manager and hidden bias, and the
    local day it was made on (the demo's clocks: fixed offsets; executives on UTC)."""
    with Store(demo_files["small"], read_only=True) as store:
        frame = store.con.execute("""
            SELECT c.*, u.role, u.manager_id, u.timezone, u.start_date, u.end_date, t.forecast_bias
            FROM _forecast_calls c JOIN users u USING (user_id) LEFT JOIN truth_reps t USING (user_id)""").df()
    hours = np.where(frame["role"] == "executive", 0, frame["timezone"].map(OFFSET_HOURS))
    frame["local_day"] = (frame["submitted_at"] + pd.to_timedelta(hours, unit="h")).dt.date
    return frame


@pytest.fixture(scope="module")
def users(demo_files) -> pd.DataFrame:
    with Store(demo_files["small"], read_only=True) as store:
        frame = store.con.execute("SELECT * FROM users").df()
    for column in ("start_date", "end_date"):
        frame[column] = [None if pd.isna(d) else d.date() for d in frame[column]]
    return frame


def mondays(first: date, last: date) -> list[date]:
    day = first + timedelta(days=(7 - first.weekday()) % 7)
    return [day + timedelta(weeks=k) for k in range((last - day).days // 7 + 1)] if day <= last else []


def test_every_rep_calls_commit_and_best_case_every_monday_they_work(calls, users):
    reps = users[users["role"].isin(["ae", "csm"])]
    assert (reps["role"] == "ae").sum() >= 10
    own = calls[calls["submitted_by"] == calls["user_id"]]
    for rep in reps.itertuples():
        mine = own[own["user_id"] == rep.user_id]
        worked_from = max(rep.start_date + timedelta(days=1), HISTORY_START)
        worked_to = (rep.end_date or DEMO_TODAY) - timedelta(days=1)
        expected = mondays(worked_from, worked_to)
        for category in ("commit", "best_case"):
            days = mine[mine["category"] == category]["local_day"]
            assert days.is_unique, (rep.user_id, category)  # one call a week
            assert set(expected) <= set(days), (rep.user_id, category, sorted(set(expected) - set(days))[:3])
            # never on another day, before they started or after they left
            assert all(d.weekday() == 0 and rep.start_date <= d for d in days)
            assert rep.end_date is None or all(d <= rep.end_date for d in days)
        # the call is for the quarter holding the Monday
        assert (mine["period"] == [QUARTERS.label(d, "quarter") for d in mine["local_day"]]).all()
        # a best case is never below the commit called with it
        pair = mine.pivot_table(index="local_day", columns="category", values="amount")
        assert (pair["best_case"] >= pair["commit"]).all()


def test_managers_call_their_teams_number_after_the_reps_and_the_company_rolls_up(calls, users):
    reps = calls[calls["role"].isin(["ae", "csm"]) & (calls["submitted_by"] == calls["user_id"])
                 & (calls["category"] == "commit")]
    heads = set(reps["manager_id"])
    callers = set(calls.loc[calls["submitted_by"] == calls["user_id"], "user_id"])
    assert heads <= callers
    assert callers - set(reps["user_id"]) == heads  # nobody else calls: not the CRO, not the SDR managers
    team = calls[calls["user_id"].isin(heads)]
    assert (team["category"] == "commit").all() and team["note"].isna().all()
    # each Monday, each manager calls once, after every report called
    last_report_call = reps.groupby(["manager_id", "local_day"])["submitted_at"].max()
    own = team.set_index(["user_id", "local_day"])["submitted_at"]
    assert own.index.is_unique
    assert set(last_report_call.index) == set(own.index)
    assert (own.loc[last_report_call.index] > last_report_call).all()

    # the company's number is the sum of the managers' calls: the CRO calls none of their own
    for day in (date(2025, 10, 28), date(2026, 1, 28), date(2026, 2, 25)):
        label = QUARTERS.label(day, "quarter")
        in_force = calls[(calls["period"] == label) & (calls["submitted_at"] < datetime.combine(day, datetime.min.time())
                                                                        + timedelta(days=1))]
        in_force = in_force.sort_values("version").groupby(["user_id", "category"]).tail(1)
        commit = in_force[in_force["category"] == "commit"]
        expected = float(commit[commit["user_id"].isin(heads)]["amount"].sum())
        assert expected > 0
        assert company_number(users, commit) == expected


def test_manager_adjustments_carry_a_note_and_the_number_they_replace(calls, users):
    adjusted = calls[calls["submitted_by"] != calls["user_id"]]
    assert len(adjusted) >= 20
    assert adjusted["note"].str.strip().str.len().gt(0).all()
    assert (adjusted["submitted_by"] == adjusted["manager_id"]).all()  # by the person above
    assert adjusted["previous_amount"].notna().all() and (adjusted["category"] == "commit").all()
    assert adjusted["note"].str.startswith("Raised").any() and adjusted["note"].str.startswith("Cut").any()
    raised = adjusted[adjusted["note"].str.startswith("Raised")]
    assert (raised["amount"] > raised["previous_amount"]).all()
    # a rep's or manager's own call carries no note
    assert calls.loc[calls["submitted_by"] == calls["user_id"], "note"].isna().all()


def test_when_a_rep_leaves_mid_quarter_their_manager_takes_their_number_off(demo_files):
    """The small demo keeps its AEs; medium and large lose some. Here one leaves on a Wednesday."""
    cal = SimCalendar(DEMO_TODAY)
    staff = build_staff(SCALES["tiny"], cal, 42)
    with Store(demo_files["tiny"], read_only=True) as store:
        world = load_world(store.ibis, load_model(None), today=DEMO_TODAY)
    rep = int(staff.members("ae")[0])
    left = date(2026, 2, 11)
    staff.end[rep] = float((np.datetime64(left) - cal.epoch).astype(int)) + 0.6
    calls = forecast_calls_table(world, staff, cal, 42, QUARTERS).to_pandas()
    mine = calls[calls["user_id"] == f"usr_{rep:04d}"]
    assert mine[mine["submitted_by"] == mine["user_id"]]["submitted_at"].max() < datetime(2026, 2, 10)
    taken_off = mine[mine["submitted_by"] != mine["user_id"]].tail(1).iloc[0]
    assert (taken_off["period"], taken_off["amount"], taken_off["submitted_by"]) == \
        ("2026-Q1", 0.0, f"usr_{int(staff.manager[rep]):04d}")
    assert taken_off["submitted_at"].date() == date(2026, 2, 16) and " left on 2026-02-11" in taken_off["note"]
    assert not (mine["period"] > "2026-Q1").any()  # and calls no later quarter


def test_versions_count_up_in_time_and_each_keeps_the_number_it_replaced(calls):
    ordered = calls.sort_values(["period", "user_id", "category", "submitted_at"])
    group = ordered.groupby(["period", "user_id", "category"])
    assert (ordered["version"] == group.cumcount() + 1).all()
    assert ordered["previous_amount"].equals(group["amount"].shift()) or \
        np.allclose(ordered["previous_amount"].fillna(-1), group["amount"].shift().fillna(-1))
    assert calls["call_id"].is_unique
    assert calls["submitted_at"].max() < datetime.combine(DEMO_TODAY, datetime.min.time())


def test_a_reps_own_call_is_their_closed_won_plus_commit_deals_shaded_by_their_bias(calls, demo_files):
    """The calls read the deals as the forecast engine's world says they stood that Monday."""
    model = load_model(None)
    own = calls[calls["role"].isin(["ae", "csm"]) & (calls["submitted_by"] == calls["user_id"])
                & (calls["category"] == "commit")]
    with Store(demo_files["small"], read_only=True) as store:
        world = load_world(store.ibis, model, today=DEMO_TODAY)
    everyone = np.arange(len(world))
    shade: dict[str, list[float]] = {}
    below_closed = 0
    # the deals as they stood when the week's calls opened (the first rep's call that Monday)
    opening = own.groupby("local_day")["submitted_at"].transform("min")
    for instant, group in own.groupby(opening.values.astype("datetime64[s]").astype(np.int64)):
        state = world.state(everyone, int(instant))
        owner, cat = world.owner_names(state.owner), category_keys(world, state)
        for r in group.itertuples():
            start = QUARTERS.label_start(r.period, "quarter")
            with np.errstate(invalid="ignore"):
                inside = (state.close_day >= day_number(start)) & \
                    (state.close_day <= day_number(QUARTERS.period_end(start, "quarter"))) & (owner == r.user_id)
            won = float(np.nansum(state.amount[inside & state.is_won]))
            committed = float(np.nansum(state.amount[inside & state.is_open & (cat == "commit")]))
            below_closed += r.amount < round(won, -3) - 500
            if committed >= 20_000:  # enough for the rounding to the thousand not to matter
                shade.setdefault(r.user_id, []).append((r.amount - won) / committed)
    assert below_closed == 0  # nobody calls less than they already closed
    bias = calls.drop_duplicates("user_id").set_index("user_id")["forecast_bias"]
    measured = {u: float(np.median(v)) for u, v in shade.items() if len(v) >= 5}
    assert len(measured) >= 5
    for user, value in measured.items():
        assert abs(value / bias[user] - 1) < 0.12, (user, value, bias[user])


def test_the_rep_bias_measured_from_history_agrees_in_sign_with_the_hidden_one(demo_files):
    model = load_model(None)
    with Store(demo_files["small"], read_only=True) as store:
        world = load_world(store.ibis, model, today=DEMO_TODAY)
        cache: dict = {}

        def rep_call(label: str, owner: str, day: date):
            if (label, day) not in cache:
                in_force = latest_calls(store, period=label, at=day)
                in_force = in_force[in_force["category"] == "commit"]
                cache[label, day] = dict(zip(in_force["user_id"], in_force["amount"]))
            return cache[label, day].get(owner)

        rows = accuracy(world, quarters=8, week=4, rep_call=rep_call)["bias"]
        hidden = store.con.execute("SELECT user_id, forecast_bias FROM truth_reps").df()
    frame = pd.DataFrame(rows).merge(hidden, left_on="owner", right_on="user_id")
    frame = frame[frame["verdict"].notna()]
    assert frame["call_ratio"].notna().all()  # every rep with a verdict called
    frame["call_bias"] = frame["call_ratio"] / frame["call_ratio"].median()
    clear = frame[(frame["forecast_bias"] - 1).abs() > 0.1]  # sandbaggers and happy ears
    assert len(clear) >= 5
    for measure in ("bias", "call_bias"):
        agree = np.sign(clear[measure] - 1) == np.sign(clear["forecast_bias"] - 1)
        assert agree.mean() > 0.5, (measure, clear[["owner", measure, "forecast_bias"]])


def test_the_backtest_reads_the_company_commit_from_the_demos_calls(demo_files, tmp_path):
    path = tmp_path / "small.duckdb"
    shutil.copy(demo_files["small"], path)
    proc = run_cli("--db", str(path), "forecast", "backtest", "--quarters", "2", "--weeks", "1,4", "--runs", "500",
                   "--format", "json", timeout=300)
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert len(rows) == 4 and all(r["commit"] is not None and r["commit"] > 0 for r in rows)
    with Store(path, read_only=True) as store:
        users = store.con.execute("SELECT user_id, manager_id FROM users").df()
        for r in rows:  # the company's number of the calls in force that day
            in_force = latest_calls(store, period=r["period"], at=date.fromisoformat(r["as_of"]))
            assert r["commit"] == company_number(users, in_force[in_force["category"] == "commit"])


def test_a_rebuild_replaces_the_calls_with_the_same_calls_for_the_same_seed(demo_files, tmp_path):
    path = tmp_path / "tiny.duckdb"
    shutil.copy(demo_files["tiny"], path)
    sql = "SELECT * FROM _forecast_calls ORDER BY call_id"
    with Store(path) as store:
        before = store.con.execute(sql).df()
        store.con.execute("INSERT INTO _forecast_snapshots (snapshot_date, period, level, key) "
                          "VALUES ('2026-01-07', '2026-Q1', 'company', '(company)')")
        build = build_demo(store, "tiny", 42, DEMO_TODAY)
        after = store.con.execute(sql).df()
        snapshots = store.con.execute("SELECT count(*) FROM _forecast_snapshots").fetchone()[0]
    assert len(before) > 500 and build.rows["_forecast_calls"] == len(after)
    pd.testing.assert_frame_equal(before, after)
    assert snapshots == 0  # forecasts stored about the replaced deals go with them
