"""`revops hygiene` as a user runs it on the hand-worked pipeline (tests/engines/deals/pipeline_world.py):
the contract's JSON rows, the filters, the report for people with the seeds' headline, and its parts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.engines.deals.pipeline_world import AT, EXPECTED, tables
from tests.gtm import store_with

CONTRACT = {"opportunity_id", "owner_id", "rule", "severity", "detail"}


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("hygiene_cli") / "crm.duckdb"
    store_with(path, **tables()).close()
    return str(path)


def hygiene(db: str, *args: str):
    out = run_cli("--db", db, "hygiene", *args, "--as-of", AT.isoformat())
    assert out.returncode == 0, out.stderr
    return out


def test_json_rows_carry_the_contract_fields(db):
    rows = json.loads(hygiene(db, "--format", "json").stdout)
    assert rows and all(CONTRACT <= set(r) for r in rows)
    got: dict[str, set[str]] = {}
    for r in rows:
        got.setdefault(r["rule"], set()).add(r["opportunity_id"])
    assert got == EXPECTED
    late = next(r for r in rows if r["rule"] == "close_date_in_past" and r["opportunity_id"] == "late")
    assert late == {"opportunity_id": "late", "owner_id": "ana", "rule": "close_date_in_past", "severity": "critical",
                    "detail": "Close date in the past: close date 2026-03-30 (1 day ago)", "stage": "solution",
                    "amount": 10000.0}


def test_filters(db):
    rows = json.loads(hygiene(db, "--owner", "ben", "--severity", "warning", "--format", "json").stdout)
    assert {(r["rule"], r["opportunity_id"]) for r in rows} == {
        ("no_recent_activity", "quiet"), ("pushed_twice", "slipping"), ("stuck_in_stage", "stuck"),
        ("stage_requirements", "lost_noreason")}
    rows = json.loads(hygiene(db, "--rule", "no_next_step,stage_skipped", "--format", "json").stdout)
    assert [(r["rule"], r["opportunity_id"]) for r in rows] == [("no_next_step", "nostep"), ("stage_skipped", "skipper")]


def test_csv_has_a_header_and_a_row_per_finding(db):
    lines = hygiene(db, "--rule", "pushed_twice", "--format", "csv").stdout.splitlines()
    assert lines[0] == "opportunity_id,owner_id,rule,severity,detail,stage,amount"
    assert lines[1:] == ["slipping,ben,pushed_twice,warning,Close date pushed 2+ times: close date pushed 2 times,"
                         "solution,10000.0"]


def test_the_report_shows_the_headline_rules_reps_completeness_and_deals(db):
    out = run_cli("--db", db, "hygiene", "--as-of", AT.isoformat(), env={"COLUMNS": "200"}).stdout
    assert "deals at risk: 3 deals, $30K, stale > 14 days" in out
    for words in ("Rules", "Data quality by rep", "Ben Okafor", "Completeness by field and stage",
                  "Deals to fix first", "stuck_in_stage: 44 days in qualification; median 20 days"):
        assert words in out, words


def test_the_parts_of_the_report_as_rows(db):
    reps = json.loads(hygiene(db, "reps", "--format", "json").stdout)
    assert [(r["owner_id"], r["data_quality_score"]) for r in reps] == [("ben", 0.0), ("ana", 46.2)]
    cells = json.loads(hygiene(db, "completeness", "--format", "json").stdout)
    assert {"stage": "proposal", "field": "contact_id", "required": True, "deals": 3, "filled": 2,
            "completeness": 66.7} in cells
    summary = json.loads(hygiene(db, "rules", "--format", "json").stdout)
    assert summary["headline"]["text"] == "deals at risk: 3 deals, $30K, stale > 14 days"
    assert {r["rule"]: r["flagged"] for r in summary["rules"]} == {k: len(v) for k, v in EXPECTED.items()}


def test_an_unknown_rule_is_an_error_that_names_the_rules(db):
    out = run_cli("--db", db, "hygiene", "--rule", "stale")
    assert out.returncode == 1 and "no hygiene rule 'stale'" in out.stderr and "no_recent_activity" in out.stderr


def test_hygiene_rules_in_revops_yaml_are_checked_with_file_and_line(tmp_path: Path, db):
    model = tmp_path / "revops.yaml"
    model.write_text(
        "hygiene:\n"
        "  rules:\n"
        "    - key: big_and_quiet\n"
        "      severity: critical\n"
        "      when: is_open and amount > 5000 and days_since_last_activity > 10\n"
        "      at_risk: true\n"
        "    - key: typo\n"
        "      when: days_in_stag > 3\n"
        "      at_risk: maybe\n")
    out = run_cli("--model", str(model), "validate")
    assert out.returncode == 1
    assert out.stdout.splitlines() == [f"{model}:9: hygiene.rules.typo.at_risk: Input should be a valid boolean, "
                                       "unable to interpret input (got 'maybe')"]  # types first, then rules
    model.write_text(model.read_text().replace("      at_risk: maybe\n", ""))
    out = run_cli("--model", str(model), "validate")
    assert out.returncode == 1 and f"{model}:8:" in out.stdout and "did you mean 'days_in_stage'" in out.stdout
    model.write_text(model.read_text().replace("days_in_stag ", "days_in_stage "))
    assert run_cli("--model", str(model), "validate").returncode == 0
    summary = json.loads(run_cli("--db", db, "--model", str(model), "hygiene", "rules", "--as-of", AT.isoformat(),
                                 "--format", "json").stdout)
    # quiet (19.5 days), old_no_activity and future_activity (30.5 days): $10,000 each
    assert summary["headline"]["text"] == "deals at risk: 3 deals, $30K, big_and_quiet"
