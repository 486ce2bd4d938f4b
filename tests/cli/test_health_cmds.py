"""`revops health`: the contract rows, the options and the validation of the health section."""

from __future__ import annotations

import json
import shutil

from tests.conftest import run_cli


def test_health_json_contract(demo_files, tmp_path):
    db = tmp_path / "d.duckdb"
    shutil.copy(demo_files["small"], db)
    out = run_cli("--db", str(db), "health", "--as-of", "2026-05-15", "--format", "json")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    assert rows and {"account_id", "score", "band", "trend", "reasons"} <= set(rows[0])
    assert all(0 <= r["score"] <= 100 and r["band"] in ("red", "yellow", "green") for r in rows)
    red = run_cli("--db", str(db), "health", "--as-of", "2026-05-15", "--band", "green", "--format", "json")
    assert {r["band"] for r in json.loads(red.stdout)} == {"green"}
    ren = run_cli("--db", str(db), "health", "renewals", "--as-of", "2026-05-15", "--format", "json")
    assert ren.returncode == 0 and all(r["days_to_renewal"] <= 180 for r in json.loads(ren.stdout))


def test_a_bad_health_measure_is_reported_with_its_line(write):
    path = write("revops.yaml", "health:\n  measures:\n    - key: usage\n      reads: usage_trend\n"
                                "      full_at: 1\n      zero_at: 1\n      weight: 1\n")
    out = run_cli("--model", str(path), "validate")
    assert out.returncode == 1
    assert "revops.yaml:3" in out.stdout + out.stderr and "full_at and zero_at" in out.stdout + out.stderr


def test_health_table_shows_the_churn_risk_flag_and_renewals_follow_it(demo_files, tmp_path):
    db = tmp_path / "d.duckdb"
    shutil.copy(demo_files["small"], db)
    table = run_cli("--db", str(db), "health", "--as-of", "2026-05-15", env={"COLUMNS": "250"})
    assert table.returncode == 0, table.stderr
    assert "at_risk" in table.stdout
    health = {r["account_id"]: r for r in json.loads(run_cli(
        "--db", str(db), "health", "--as-of", "2026-05-15", "--format", "json").stdout)}
    renewals = json.loads(run_cli("--db", str(db), "health", "renewals", "--as-of", "2026-05-15",
                                  "--within", "365", "--format", "json").stdout)
    # the demo has flagged accounts outside the red band (a measure under critical_below)
    assert any(r["at_risk"] and r["band"] != "red" for r in renewals)
    for r in renewals:
        flagged = health[r["account_id"]]["at_risk"]
        assert r["at_risk"] == flagged and (r["risk"] == "high") == flagged
        assert r["arr_at_risk"] == (r["arr"] if flagged else 0)
