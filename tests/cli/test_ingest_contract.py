"""The command-line contract of ingest, quarantine, tables and status, run as a user runs it."""

from __future__ import annotations

import json

from tests.conftest import run_cli


def test_ingest_json_counts_and_exit_code(tmp_path):
    db = tmp_path / "s.duckdb"
    f = tmp_path / "o.csv"
    f.write_text("opportunity_id,stage,amount\no1,discovery,10\no2,bogus,20\no1,proposal,30\n")
    r = run_cli("--db", str(db), "ingest", "opportunities", str(f), "--format", "json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert {"table", "file", "rows_read", "inserted", "updated", "unchanged", "quarantined"} <= set(out)
    assert out["rows_read"] == out["inserted"] + out["updated"] + out["unchanged"] + out["quarantined"] == 3
    assert (out["inserted"], out["updated"], out["quarantined"]) == (1, 1, 1)

    q = run_cli("--db", str(db), "quarantine", "--table", "opportunities", "--format", "json")
    assert q.returncode == 0, q.stderr
    [entry] = json.loads(q.stdout)
    assert {"table", "file", "row", "column", "value", "reason"} <= set(entry)
    assert (entry["row"], entry["column"], entry["value"]) == (2, "stage", "bogus")


def test_tables_json_lists_every_canonical_table(tmp_path):
    r = run_cli("--db", str(tmp_path / "s.duckdb"), "tables", "--format", "json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    names = {row["table"] for row in rows}
    assert {"accounts", "contacts", "leads", "opportunities", "opportunity_history", "activities",
            "campaigns", "touches", "users", "teams", "territories", "subscriptions", "usage", "spend"} <= names
    assert all(isinstance(row["rows"], int) for row in rows)


def test_db_from_environment_and_status(tmp_path):
    db = tmp_path / "env.duckdb"
    f = tmp_path / "a.csv"
    f.write_text("account_id,name\na1,Acme\n")
    r = run_cli("ingest", "accounts", str(f), "--format", "json", env={"REVOPS_DB": str(db)}, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert db.exists()
    s = run_cli("--db", str(db), "status", "--format", "json")
    assert s.returncode == 0, s.stderr
    status = json.loads(s.stdout)
    accounts = next(t for t in status["tables"] if t["table"] == "accounts")
    assert accounts["rows"] == 1 and accounts["last_source"] == str(f)
    assert status["model"]["recorded_version"] == 1 and status["model"]["in_sync"] is True


def test_bad_input_exits_1_with_a_message_and_usage_errors_exit_2(tmp_path):
    db = tmp_path / "s.duckdb"
    missing = run_cli("--db", str(db), "ingest", "accounts", str(tmp_path / "nope.csv"))
    assert missing.returncode == 1 and "not found" in missing.stderr
    unknown = run_cli("--db", str(db), "ingest", "deals", str(tmp_path / "nope.csv"))
    assert unknown.returncode == 1 and "valid tables" in unknown.stderr
    usage = run_cli("--db", str(db), "tables", "--format", "xml")
    assert usage.returncode == 2


def test_a_refused_ingest_leaves_no_store_behind(tmp_path):
    db = tmp_path / "never.duckdb"
    assert run_cli("--db", str(db), "ingest", "deals", str(tmp_path / "x.csv")).returncode == 1
    assert run_cli("--db", str(db), "ingest", "accounts", str(tmp_path / "x.csv")).returncode == 1
    assert not db.exists()
