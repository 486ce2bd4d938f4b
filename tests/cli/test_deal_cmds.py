"""`revops deal move` as a user runs it: the contract's JSON and exit codes, nothing changed on a
refusal, and two moves from two terminals at once both landing."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

from revops.store import Store
from tests.conftest import run_cli
from tests.gtm import store_with


def opp(opportunity_id: str, stage: str, **fields):
    return {"opportunity_id": opportunity_id, "account_id": "acme", "owner_id": "ana", "stage": stage,
            "amount": 50000.0, "close_date": date(2030, 6, 30), "created_at": datetime(2026, 3, 1),
            "next_step": "Demo", "contact_id": "c1", **fields}


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "crm.duckdb"
    store_with(path, opportunities=[opp("o1", "solution"), opp("o2", "solution", next_step=None, amount=None),
                                    opp("o3", "discovery")]).close()
    return str(path)


def state(db: str):
    with Store(db, read_only=True) as s:
        return (s.query("SELECT * FROM opportunities ORDER BY opportunity_id"),
                s.query("SELECT * FROM opportunity_history ORDER BY history_id"))


def move(db: str, *args: str) -> subprocess.CompletedProcess:
    return run_cli("--db", db, "deal", "move", *args, "--format", "json")


def test_a_move_the_gate_allows_answers_the_contract(db):
    out = move(db, "o1", "negotiation", "--set", "amount=$48,000")
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    assert {"opportunity_id": "o1", "stage": "negotiation"}.items() <= answer.items()
    assert answer["skipped_stages"] == ["proposal"] and answer["from_stage"] == "solution"
    deals, history = state(db)
    assert next(d for d in deals if d["opportunity_id"] == "o1")["amount"] == 48000.0
    assert [(h["opportunity_id"], h["stage"], h["source"]) for h in history] == [("o1", "negotiation", "revops deal move")]


def test_a_refused_move_exits_1_with_what_is_missing_and_changes_nothing(db):
    before = state(db)
    out = move(db, "o2", "negotiation", "--set", "close_date=2020-01-01")
    assert out.returncode == 1
    assert json.loads(out.stdout) == {"error": "stage_gate", "missing": ["amount", "next_step"],
                                      "failed": ["amount > 0", "close_date >= today()"]}
    assert "cannot enter negotiation" in out.stderr
    assert state(db) == before


@pytest.mark.parametrize(("args", "error", "words"), [
    (("ghost", "proposal"), "unknown_opportunity", "no opportunity 'ghost'"),
    (("o1", "propsal"), "unknown_stage", "did you mean 'proposal'"),
    (("o1", "proposal", "--set", "amount=lots"), "invalid_value", "'lots' is not a number"),
])
def test_unknown_deals_stages_and_bad_values_exit_1_and_change_nothing(db, args, error, words):
    before = state(db)
    out = move(db, *args)
    assert out.returncode == 1
    answer = json.loads(out.stdout)
    assert answer["error"] == error and words in answer["detail"] and words in out.stderr
    assert state(db) == before


def test_a_set_without_equals_is_a_usage_error(db):
    out = move(db, "o1", "proposal", "--set", "amount")
    assert out.returncode == 2 and "FIELD=VALUE" in out.stderr


def test_a_missing_store_is_not_created(tmp_path):
    out = move(str(tmp_path / "none.duckdb"), "o1", "proposal")
    assert out.returncode == 1 and "no store" in out.stderr and not (tmp_path / "none.duckdb").exists()


def test_the_table_format_says_what_happened(db):
    out = run_cli("--db", db, "deal", "move", "o3", "proposal")
    assert out.returncode == 0, out.stderr
    assert "Moved o3 from discovery to proposal" in out.stdout and "skipped qualification, solution" in out.stdout


def test_two_moves_from_two_terminals_both_land(db):
    # DuckDB lets one process write the file: the second waits for the first to let go
    cmds = [[sys.executable, "-m", "revops.cli.main", "--db", db, "deal", "move", deal, "proposal", "--format", "json"]
            for deal in ("o1", "o3")]
    procs = [subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for c in cmds]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in outs]
    deals, history = state(db)
    assert {d["opportunity_id"]: d["stage"] for d in deals} == {"o1": "proposal", "o2": "solution", "o3": "proposal"}
    assert sorted(h["opportunity_id"] for h in history) == ["o1", "o3"]


MEDDICC_MODEL = """
custom_fields:
  opportunities:
    - name: economic_buyer
      type: string
      description: MEDDICC E
    - name: security_review_done
      type: boolean
    - name: seats
      type: integer
pipeline:
  stages:
    - {key: discovery, label: Discovery, probability: 0.1}
    - {key: solution, label: Solution, probability: 0.4}
    - key: negotiation
      label: Negotiation
      probability: 0.8
      forecast_category: commit
      required_fields: [economic_buyer]
      gate: [security_review_done = true, seats >= 10]
    - {key: closed_won, label: Closed Won, probability: 1, forecast_category: closed, is_closed: true, is_won: true}
    - {key: closed_lost, label: Closed Lost, probability: 0, forecast_category: omitted, is_closed: true}
hygiene:
  rules: []
"""


@pytest.fixture
def meddicc(tmp_path: Path) -> Path:
    path = tmp_path / "revops.yaml"
    path.write_text(MEDDICC_MODEL.lstrip("\n"))
    return path


def test_a_gate_on_custom_fields_refuses_then_allows_the_move(db, meddicc):
    def move_with_model(*args: str) -> subprocess.CompletedProcess:
        return run_cli("--db", db, "--model", str(meddicc), "deal", "move", *args, "--format", "json")

    before = state(db)
    out = move_with_model("o1", "negotiation", "--set", "seats=12")
    assert out.returncode == 1, out.stderr
    assert json.loads(out.stdout) == {"error": "stage_gate", "missing": ["economic_buyer"],
                                      "failed": ["security_review_done = true"]}
    assert state(db) == before
    with Store(db, read_only=True) as s:
        assert "seats" not in s.columns("opportunities")  # a refused move adds no column either

    out = move_with_model("o1", "negotiation", "--set", "economic_buyer=Jane Doe", "--set", "seats=12",
                          "--set", "security_review_done=yes")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["stage"] == "negotiation"
    with Store(db, read_only=True) as s:
        deal = s.query("SELECT stage, economic_buyer, security_review_done, seats FROM opportunities "
                       "WHERE opportunity_id = 'o1'")[0]
        registered = {r["column_name"]: r["type"] for r in s.custom_fields("opportunities")}
    assert deal == {"stage": "negotiation", "economic_buyer": "Jane Doe", "security_review_done": True, "seats": 12}
    assert registered == {"economic_buyer": "string", "security_review_done": "boolean", "seats": "integer"}


def test_a_custom_value_that_does_not_fit_its_declared_type_exits_1(db, meddicc):
    before = state(db)
    out = run_cli("--db", db, "--model", str(meddicc), "deal", "move", "o1", "solution",
                  "--set", "seats=a dozen", "--format", "json")
    assert out.returncode == 1
    answer = json.loads(out.stdout)
    assert answer["error"] == "invalid_value"
    assert answer["errors"] == [{"field": "seats", "type": "value_error", "message":
                                 "seats: 'a dozen' is not a whole number (seats is declared as integer under "
                                 "custom_fields)"}]
    assert "seats" in out.stderr and state(db) == before


def test_an_undeclared_field_still_cannot_be_set(db, meddicc):
    out = run_cli("--db", db, "--model", str(meddicc), "deal", "move", "o1", "solution",
                  "--set", "champion=Li", "--format", "json")
    assert out.returncode == 1
    assert json.loads(out.stdout)["errors"][0]["type"] == "unknown_field"
