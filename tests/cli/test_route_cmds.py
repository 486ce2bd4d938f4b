"""`revops route` as a user runs it: the contract rows, files routed without storing, the SLA
fallback, the explanation of one lead and the replay report."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from revops.store import Store
from tests.conftest import run_cli
from tests.engines.routing.conftest import ORG_TEAMS, ORG_TERRITORIES, ORG_USERS
from tests.gtm import rows_table

AT = "2026-05-12T15:00"  # Tuesday 11:00 in New York


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "gtm.duckdb"
    created = datetime(2026, 5, 12, 14, 0)
    leads = [
        {"lead_id": "hot", "score": 85, "company_size": 5000, "country": "US", "status": "new", "created_at": created},
        {"lead_id": "smb", "score": 50, "company_size": 100, "country": "US", "status": "mql", "created_at": created},
        {"lead_id": "cold", "score": 20, "company_size": 100, "country": "US", "status": "new", "created_at": created},
        {"lead_id": "owned", "score": 85, "company_size": 5000, "country": "US", "status": "new",
         "created_at": created, "owner_id": "smb_chi"},
    ]
    with Store(path) as s:
        for table, rows in (("users", ORG_USERS), ("teams", ORG_TEAMS), ("territories", ORG_TERRITORIES),
                            ("leads", leads)):
            s.append(table, rows_table(table, rows))
    return str(path)


def route(db, *args):
    out = run_cli("--db", db, "route", *args, "--format", "json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def query(db, sql):
    with Store(db, read_only=True) as s:
        return s.query(sql)


def test_route_prints_the_contract_rows_and_stores_owners_and_decisions(db):
    rows = route(db, "--at", AT)
    assert all(set(r) == {"lead_id", "assigned_to", "team", "path", "reason"} for r in rows)
    by_lead = {r["lead_id"]: r for r in rows}
    assert set(by_lead) == {"hot", "smb", "cold"}
    assert (by_lead["hot"]["assigned_to"], by_lead["hot"]["team"]) == ("ent_na", "NA Enterprise")
    assert by_lead["hot"]["path"] == ["new_lead", "high_score", "enterprise"]
    assert by_lead["cold"]["assigned_to"] == "marketing_nurture"
    assert "score=85" in by_lead["hot"]["reason"]
    stored = {r["lead_id"]: r["owner_id"] for r in query(db, "SELECT lead_id, owner_id FROM leads")}
    assert stored == {"hot": "ent_na", "smb": "smb_chi", "cold": None, "owned": "smb_chi"}
    assert query(db, "SELECT count(*) AS n FROM _routing_decisions")[0]["n"] == 3
    assert route(db, "--at", AT) == []  # nothing left to route


def test_dry_run_and_input_files_store_nothing(db, tmp_path):
    assert len(route(db, "--at", AT, "--dry-run")) == 3
    csv = tmp_path / "new.csv"
    csv.write_text("Id,Score,Employees,Country\nf1,90,2000,US\nf2,45,50,us\n")
    mapping = tmp_path / "map.yaml"
    mapping.write_text("columns:\n  lead_id: Id\n  score: Score\n  company_size: Employees\n  country: Country\n")
    rows = route(db, "--input", str(csv), "--mapping", str(mapping), "--at", AT)
    assert [(r["lead_id"], r["assigned_to"]) for r in rows] == [("f1", "ent_na"), ("f2", "smb_chi")]
    assert query(db, "SELECT count(*) AS n FROM leads")[0]["n"] == 4
    assert query(db, "SELECT count(*) AS n FROM _routing_decisions")[0]["n"] == 0


def test_explain_shows_each_node_with_values_and_candidates(db):
    route(db, "--at", AT)
    [decision] = route(db, "--explain", "smb")
    assert decision["path"] == ["new_lead", "high_score", "mid_score", "low_score", "smb"]
    assert decision["steps"][0]["tested"] == {"score": 50, "company_size": 100}
    assert {c["user_id"] for c in decision["steps"][-1]["candidates"]} == {"smb_chi", "smb_ny"}
    text = run_cli("--db", db, "route", "--explain", "smb")
    assert text.returncode == 0 and "* smb_chi: next in rotation" in text.stdout


def test_fallbacks_reassign_to_the_manager_after_four_business_hours(db):
    route(db, "--at", AT)
    assert route(db, "--fallbacks", "--at", "2026-05-12T17:30") == []  # 13:30 New York: in time
    rows = route(db, "--fallbacks", "--at", "2026-05-12T19:00")         # 15:00: 4 hours passed
    moved = {r["lead_id"]: r for r in rows if r["action"] == "reassigned"}
    assert (moved["hot"]["previous_owner"], moved["hot"]["assigned_to"]) == ("ent_na", "mgr_na")
    assert query(db, "SELECT owner_id FROM leads WHERE lead_id = 'hot'")[0]["owner_id"] == "mgr_na"


def test_replay_reports_both_models(db, tmp_path):
    from revops.model import default_model_text

    proposed = tmp_path / "proposed.yaml"
    proposed.write_text(default_model_text().replace("when: score > 40 and company_size < 200",
                                                     "when: score > 10 and company_size < 200"))
    report = route(db, "--replay", "--from", "2026-05-01", "--to", "2026-05-31", "--model", str(proposed))
    assert {"window", "leads", "summary", "reps", "teams", "fairness", "changed_assignments",
            "sla_estimate"} <= set(report)
    summary = {r["measure"]: r for r in report["summary"]}
    assert report["leads"] == 4
    assert (summary["leads to nurture"]["current"], summary["leads to nurture"]["proposed"]) == (1, 0)
    assert query(db, "SELECT count(*) AS n FROM _routing_decisions")[0]["n"] == 0


@pytest.mark.parametrize("args, message", [
    (["--replay", "--from", "2026-05-01", "--to", "2026-05-31"], "--replay needs --model"),
    (["--fallbacks", "--input", "x.csv"], "cannot be combined"),
    (["--at", "next tuesday"], "not a date and time"),
])
def test_usage_mistakes_exit_2_with_what_to_do(db, args, message):
    out = run_cli("--db", db, "route", *args)
    assert out.returncode == 2
    assert message in out.stderr
