"""`revops pipeline flow` and `revops forecast` as a user runs them, on the small demo company
(seed 42, today 2026-05-15): the JSON contracts, calls and their roll-up, the backtest."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest

from revops.store import Store
from tests.conftest import run_cli

FLOW_KEYS = {"start", "new", "pulled_in", "pushed_out", "increased", "decreased", "won", "lost", "end"}
FORECAST_KEYS = {"period", "as_of", "closed_won", "commit", "best_case", "pipeline", "weighted", "p10", "p50", "p90"}
BACKTEST_KEYS = {"period", "as_of", "week", "actual", "p50", "weighted", "commit"}


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> str:
    from revops.demo.builder import build_demo

    path = tmp_path_factory.mktemp("forecast-cli") / "demo.duckdb"
    with Store(path) as store:
        build_demo(store, "small", 42, date(2026, 5, 15))
    return str(path)


def cli_json(*args: str):
    proc = run_cli(*args)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_pipeline_flow_contract(db):
    flow = cli_json("--db", db, "pipeline", "flow", "--from", "2026-01-01", "--to", "2026-03-31", "--format", "json")
    assert set(flow) == FLOW_KEYS and all(isinstance(v, float) for v in flow.values())
    inflow = flow["new"] + flow["pulled_in"] + flow["increased"]
    outflow = flow["pushed_out"] + flow["decreased"] + flow["won"] + flow["lost"]
    assert flow["start"] + inflow - outflow == pytest.approx(flow["end"])
    rows = cli_json("--db", db, "pipeline", "flow", "--from", "2026-01-01", "--to", "2026-03-31", "--by", "team",
                    "--format", "json")
    assert rows and all("team" in r and FLOW_KEYS <= set(r) for r in rows)
    assert sum(r["won"] for r in rows) == pytest.approx(flow["won"])


def test_pipeline_flow_refuses_reversed_dates(db):
    proc = run_cli("--db", db, "pipeline", "flow", "--from", "2026-03-01", "--to", "2026-01-01")
    assert proc.returncode == 1 and "after" in proc.stderr


def test_forecast_contract(db):
    fc = cli_json("--db", db, "forecast", "--period", "2026-Q1", "--as-of", "2026-02-11", "--runs", "2000",
                  "--format", "json")
    assert set(fc) == FORECAST_KEYS
    assert (fc["period"], fc["as_of"]) == ("2026-Q1", "2026-02-11")
    assert fc["closed_won"] <= fc["commit"] <= fc["best_case"]
    assert fc["closed_won"] <= fc["p10"] <= fc["p50"] <= fc["p90"]


def test_forecast_deals_carry_probabilities_and_risks(db):
    rows = cli_json("--db", db, "forecast", "deals", "--period", "2026-Q1", "--as-of", "2026-02-11",
                    "--risk-only", "--format", "json")
    # a list of risk flags on every row; upside is a separate positive signal, never a risk
    assert rows and all(isinstance(r["risks"], list) and r["risks"] for r in rows)
    assert all("upside" not in r["risks"] and isinstance(r["upside"], bool) for r in rows)
    assert all(0 <= r["p_won"] <= 1 for r in rows)
    every = cli_json("--db", db, "forecast", "deals", "--period", "2026-Q1", "--as-of", "2026-02-11", "--format", "json")
    upside_only = {r["opportunity_id"] for r in every if r["upside"] and not r["risks"]}
    assert upside_only and not upside_only & {r["opportunity_id"] for r in rows}


def test_calls_roll_up_and_feed_the_backtest(db, tmp_path):
    import shutil

    copy = str(tmp_path / "calls.duckdb")
    shutil.copy(db, copy)
    with Store(copy) as store:  # the demo's own calls: this test submits its own
        store.con.execute("DELETE FROM _forecast_calls")
    with Store(copy, read_only=True) as store:
        rep, manager = store.con.execute(
            "SELECT u.user_id, u.manager_id FROM users u JOIN users m ON m.user_id = u.manager_id "
            "WHERE u.role = 'ae' ORDER BY 1 LIMIT 1").fetchone()
    call = cli_json("--db", copy, "forecast", "call", "--period", "2026-Q1", "--user", rep, "--amount", "250000",
                    "--at", "2026-01-20", "--format", "json")
    assert (call["version"], call["adjusted"]) == (1, False)
    refused = run_cli("--db", copy, "forecast", "call", "--period", "2026-Q1", "--user", rep, "--amount", "1",
                      "--by", manager)
    assert refused.returncode == 1 and "note" in refused.stderr
    adjusted = cli_json("--db", copy, "forecast", "call", "--period", "2026-Q1", "--user", rep, "--amount", "200000",
                        "--by", manager, "--note", "procurement slips", "--at", "2026-01-21", "--format", "json")
    assert (adjusted["version"], adjusted["adjusted"], adjusted["previous_amount"]) == (2, True, 250000)
    rows = cli_json("--db", copy, "forecast", "calls", "--period", "2026-Q1", "--as-of", "2026-02-11",
                    "--format", "json")
    assert rows[0]["user_id"] == "(company)" and rows[0]["number"] == 200000
    assert next(r for r in rows if r["user_id"] == rep)["adjusted_by"] == manager

    backtest = cli_json("--db", copy, "forecast", "backtest", "--quarters", "2", "--weeks", "1,4", "--runs", "1000",
                        "--format", "json")
    assert [(r["period"], r["week"]) for r in backtest] == [("2025-Q4", 1), ("2025-Q4", 4), ("2026-Q1", 1),
                                                             ("2026-Q1", 4)]
    assert all(BACKTEST_KEYS <= set(r) for r in backtest)
    commits = {(r["period"], r["week"]): r["commit"] for r in backtest}
    # no call for Q4; for Q1 the adjusted call is in force by week 4 (Jan 28), not by week 1 (Jan 7)
    assert commits == {("2025-Q4", 1): None, ("2025-Q4", 4): None, ("2026-Q1", 1): None, ("2026-Q1", 4): 200000}
    assert all(r["actual"] > 0 and r["p10"] <= r["p50"] <= r["p90"] for r in backtest)


def test_pipeline_flow_over_a_period_alone(db):
    alone = cli_json("--db", db, "pipeline", "flow", "--period", "2026-Q1", "--format", "json")
    spelled = cli_json("--db", db, "pipeline", "flow", "--from", "2026-01-01", "--to", "2026-03-31", "--period",
                       "2026-Q1", "--format", "json")
    assert alone == spelled
    refused = run_cli("--db", db, "pipeline", "flow")
    assert refused.returncode == 1 and "--period" in refused.stderr


def test_a_forecast_long_after_the_data_ends_warns_on_stderr_and_a_future_day_is_refused(db):
    # the demo (today 2026-05-15) last changed on 2026-05-14: as of 2026-09-30 every open deal has sat for months
    for args in (["forecast"], ["forecast", "deals"], ["forecast", "calls"]):
        proc = run_cli("--db", db, *args, "--as-of", "2026-09-30", "--format", "json")
        assert proc.returncode == 0, proc.stderr
        json.loads(proc.stdout)  # stdout stays pure JSON
        assert ("the data's last change is on 2026-05-14; a forecast as of 2026-09-30 sees no open deal that can "
                "still close; use --as-of 2026-05-14 (or a day before it)") in proc.stderr
    assert "last change" not in run_cli("--db", db, "forecast", "--as-of", "2026-05-15", "--runs", "1000").stderr
    for args in (["forecast"], ["forecast", "deals"], ["forecast", "calls"]):
        future = run_cli("--db", db, *args, "--as-of", "2999-01-01")
        assert future.returncode == 1 and "after today" in future.stderr and "knows nothing more" in future.stderr


def test_accuracy_by_bias_names_the_reps_and_says_what_bias_is_measured_against(db):
    proc = run_cli("--db", db, "forecast", "accuracy", "--quarters", "4", "--by", "bias", env={"COLUMNS": "250"})
    assert proc.returncode == 0, proc.stderr
    with Store(db, read_only=True) as store:
        names = [n for (n,) in store.con.execute("SELECT name FROM users WHERE name IS NOT NULL").fetchall()]
    assert " name " in proc.stdout and any(n in proc.stdout for n in names)
    assert "commit/actual over the median rep's (" in proc.stdout
    assert "above 1.25 happy ears, below 0.75 sandbagging" in proc.stdout
    rows = cli_json("--db", db, "forecast", "accuracy", "--quarters", "4", "--by", "bias", "--format", "json")
    assert rows and {"owner", "ratio", "bias", "verdict"} <= set(rows[0])


def test_call_history_table_shows_amounts_in_whole_units(db):
    proc = run_cli("--db", db, "forecast", "calls", "--history", env={"COLUMNS": "300"})
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"\d,\d{3}\b", proc.stdout) and not re.search(r"\d\.\d\d\b", proc.stdout)
