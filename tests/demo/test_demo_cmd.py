"""`revops demo` on the command line."""

from __future__ import annotations

import json
import subprocess
import sys

from revops.store import Store


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "revops.cli.main", *args], capture_output=True, text=True)


def test_demo_prints_rows_per_table_as_json(tmp_path):
    db = tmp_path / "cli.duckdb"
    out = run("--db", str(db), "demo", "--seed", "3", "--today", "2026-01-31", "--format", "json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["source"] == "demo:small:seed=3"
    rows = {r["table"]: r["rows"] for r in report["tables"]}
    assert rows["leads"] > 4_000 and rows["truth_duplicates"] > 0
    assert report["routing_decisions"] > 4_000  # revops routed the leads
    with Store(db, read_only=True) as store:
        [(lead,)] = store.con.execute("SELECT min(lead_id) FROM _routing_decisions WHERE trigger = 'route'").fetchall()
    explained = run("--db", str(db), "route", "--explain", lead, "--format", "json")
    assert explained.returncode == 0, explained.stderr
    decisions = json.loads(explained.stdout)
    assert decisions and decisions[0]["trigger"] == "route" and decisions[0]["path"][0] == "new_lead"


def test_demo_rejects_a_bad_date_and_scale(tmp_path):
    db = str(tmp_path / "bad.duckdb")
    bad_date = run("--db", db, "demo", "--today", "31/01/2026")
    assert bad_date.returncode == 1 and "YYYY-MM-DD" in bad_date.stderr
    bad_scale = run("--db", db, "demo", "--scale", "huge")
    assert bad_scale.returncode == 1 and "small, medium, large" in bad_scale.stderr


def test_demo_records_the_model_it_was_built_under_and_status_says_how_fresh(tmp_path):
    db = str(tmp_path / "fresh.duckdb")
    assert run("--db", db, "demo", "--today", "2026-03-31", "--format", "json").returncode == 0
    status = json.loads(run("--db", db, "status", "--format", "json").stdout)
    assert status["model"]["recorded_version"] == 1 and status["model"]["in_sync"] is True
    tables = {t["table"]: t for t in status["tables"]}
    # the newest opportunity change is on or before the simulation's today, never after
    newest = tables["opportunities"]["newest_record"]
    assert newest is not None and newest[:10] <= "2026-03-31"
    assert tables["leads"]["last_source"] == "demo:small:seed=42"
    history = json.loads(run("--db", db, "model", "history", "--format", "json").stdout)
    assert history[0]["source"].startswith("built-in default by ")
