"""`revops score`, run as a user runs it.

Contract: `revops score [--input FILE [--mapping MAP.yaml]] --format json|csv`: with --input,
scores the leads in the file without storing them; otherwise the stored leads. Each row has
lead_id, score (0-100), fit, intent, engagement, predicted_conversion (null when no model is
trained), mql (boolean).

With the default model a 5,000-employee VP in the US at a software company has fit 40 (the
cap: 55 uncapped), a form fill today adds intent 20, a webinar today engagement 8: 68, an MQL.
"""

from __future__ import annotations

import csv
import io
import json

import pytest

from revops.store import Store
from tests.conftest import run_cli
from tests.engines.scoring.lead_world import NOW, days_before, lead_store, touch

AT = NOW.isoformat(timespec="minutes")
CONTRACT = {"lead_id", "score", "fit", "intent", "engagement", "predicted_conversion", "mql"}


@pytest.fixture
def db(tmp_path):
    store = lead_store(tmp_path, leads=[
        {"lead_id": "vp", "status": "new", "company_size": 5000, "title": "VP Sales", "country": "US",
         "industry": "software", "created_at": days_before(3)},
        {"lead_id": "dev", "status": "new", "company_size": 40, "title": "Developer", "country": "DE",
         "created_at": days_before(3)},
    ], touches=[touch("vp", "form_fill", days_ago=0), touch("vp", "webinar", days_ago=0)])
    path = store.path
    store.close()
    return path


def stored(path, sql: str) -> list[dict]:
    with Store(path, read_only=True) as s:
        return s.query(sql)


def test_score_prints_the_contract_rows_and_updates_the_store(db):
    out = run_cli("--db", str(db), "score", "--at", AT, "--format", "json")
    assert out.returncode == 0, out.stderr
    rows = {r["lead_id"]: r for r in json.loads(out.stdout)}  # stdout holds only the JSON
    assert all(CONTRACT <= set(r) for r in rows.values())
    assert rows["vp"] == {"lead_id": "vp", "score": 68.0, "fit": 40.0, "intent": 20.0, "engagement": 8.0,
                          "predicted_conversion": None, "mql": True, "band": "warm", "status": "mql"}
    assert (rows["dev"]["score"], rows["dev"]["mql"], rows["dev"]["status"]) == (0.0, False, "new")
    assert stored(db, "SELECT lead_id, score, fit_score, intent_score, engagement_score, status FROM leads "
                      "ORDER BY lead_id") == [
        {"lead_id": "dev", "score": 0.0, "fit_score": 0.0, "intent_score": 0.0, "engagement_score": 0.0, "status": "new"},
        {"lead_id": "vp", "score": 68.0, "fit_score": 40.0, "intent_score": 20.0, "engagement_score": 8.0,
         "status": "mql"}]
    assert stored(db, "SELECT lead_id, from_stage, to_stage FROM _lifecycle_events") == [
        {"lead_id": "vp", "from_stage": "new", "to_stage": "mql"}]
    assert "1 lifecycle move(s): new -> mql: 1" in out.stderr


def test_a_dry_run_writes_nothing(db):
    out = run_cli("--db", str(db), "score", "--at", AT, "--dry-run", "--format", "csv")
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert list(rows[0]) == ["lead_id", "score", "fit", "intent", "engagement", "predicted_conversion", "mql",
                             "band", "status"]
    assert {r["lead_id"]: r["score"] for r in rows} == {"dev": "0.0", "vp": "68.0"}
    assert "nothing was written" in out.stderr
    assert stored(db, "SELECT count(*) AS n FROM leads WHERE score IS NOT NULL OR status <> 'new'") == [{"n": 0}]
    assert stored(db, "SELECT count(*) AS n FROM _lifecycle_events") == [{"n": 0}]


def test_score_and_score_train_both_parse(db):
    scored = run_cli("--db", str(db), "score", "--format", "json")
    assert scored.returncode == 0, scored.stderr
    train = run_cli("--db", str(db), "score", "train", "--format", "json")
    assert train.returncode in (0, 1), train.stderr  # 2 would be a usage error
    assert "No such command" not in train.stderr and "No such option" not in train.stderr


MAPPING = """\
columns:
  lead_id: Lead ID
  email: Work Email
  title: Job Title
  company_size: Employees
  country: Country
  industry: Sector
values:
  industry: {Software: software, Retail: retail}
"""


def test_input_scores_a_file_through_its_mapping_without_storing_it(db, write):
    path = write("crm.csv", "Lead ID,Work Email,Job Title,Employees,Country,Sector,Tier\n"
                            "n1,a@big.com,Head of Data,1200,GB,Software,gold\n"
                            "n2,b@shop.de,Owner,8,DE,Retail,bronze\n"
                            "vp,c@big.com,VP Sales,5000,US,Software,gold\n")
    mapping = write("map.yaml", MAPPING)
    before = stored(db, "SELECT * FROM leads ORDER BY lead_id")
    out = run_cli("--db", str(db), "score", "--input", str(path), "--mapping", str(mapping), "--at", AT,
                  "--format", "json")
    assert out.returncode == 0, out.stderr
    rows = {r["lead_id"]: r for r in json.loads(out.stdout)}
    assert set(rows) == {"n1", "n2", "vp"}
    assert (rows["n1"]["score"], rows["n1"]["fit"], rows["n1"]["mql"]) == (40.0, 40.0, False)
    assert rows["n2"]["score"] == 0.0
    # a lead the store knows brings its stored touches
    assert (rows["vp"]["score"], rows["vp"]["intent"], rows["vp"]["mql"]) == (68.0, 20.0, True)
    assert stored(db, "SELECT * FROM leads ORDER BY lead_id") == before
    assert stored(db, "SELECT count(*) AS n FROM information_schema.columns WHERE table_name = 'leads' "
                      "AND lower(column_name) = 'tier'") == [{"n": 0}]
    assert stored(db, "SELECT count(*) AS n FROM _ingest_runs") == [{"n": 0}]


def test_a_file_with_bad_rows_scores_the_good_ones_and_says_why_the_others_were_not(db, write, tmp_path):
    path = write("bad.csv", "lead_id,company_size,country,created_at\n"
                            "g1,300,US,2026-06-01\n"
                            "b1,lots,US,2026-06-01\n"
                            "b2,50,US,not a date\n")
    for target in (db, tmp_path / "absent.duckdb"):
        out = run_cli("--db", str(target), "score", "--input", str(path), "--at", AT, "--format", "json")
        assert out.returncode == 0, out.stderr
        assert [r["lead_id"] for r in json.loads(out.stdout)] == ["g1"]
        assert "2 row(s) of 3 not scored" in out.stderr
        assert "bad.csv row 2, column company_size" in out.stderr and "'lots' is not a whole number" in out.stderr
        assert "bad.csv row 3, column created_at" in out.stderr
    assert not (tmp_path / "absent.duckdb").exists()
    assert stored(db, "SELECT count(*) AS n FROM _quarantine") == [{"n": 0}]


def test_explain_shows_the_rules_behind_a_score_and_the_lifecycle_moves(db):
    assert run_cli("--db", str(db), "score", "--at", AT, "--format", "json").returncode == 0
    out = run_cli("--db", str(db), "score", "explain", "vp", "--at", AT, "--format", "json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["score"] == 68.0 and data["rules_score"] == 68.0
    fit = next(g for g in data["groups"] if g["group"] == "fit")
    assert (fit["uncapped"], fit["points"], fit["capped"]) == (55.0, 40.0, True)
    assert [e["to_stage"] for e in data["lifecycle"]] == ["mql"]
    assert [(h["score"], h["source"]) for h in data["score_history"]] == [(68.0, "score")]
    table = run_cli("--db", str(db), "score", "explain", "vp", "--at", AT)
    assert table.returncode == 0 and "Score history" in table.stdout
    missing = run_cli("--db", str(db), "score", "explain", "nobody")
    assert missing.returncode == 1 and "no lead 'nobody'" in missing.stderr


def test_calibration_reports_bands_with_the_quarterly_guidance(db):
    out = run_cli("--db", str(db), "score", "calibration", "--at", AT, "--format", "json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert [b["band"] for b in data["bands"]] == ["cold", "engaged", "warm", "hot"]
    assert "quarterly" in data["guidance"]
    assert data["leads"] == 0  # nothing here has an outcome yet, and the report says so
    assert data["flags"]


def test_scoring_without_a_store_says_how_to_get_one(tmp_path):
    out = run_cli("--db", str(tmp_path / "none.duckdb"), "score", "--format", "json")
    assert out.returncode == 1
    assert "no store at" in out.stderr and "--input" in out.stderr
    assert out.stdout == ""
