"""`revops sla status` and `revops sla breaches` as a user runs them, with the default model:
New York business hours (09:00-17:00, UTC-5 in January), mql_to_first_contact in 4 business
hours, sql_to_opportunity in 14 days, closed_won_to_kickoff in 5 days for new business.

January 2026: Fri 9, Mon 12, Tue 13.
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from revops.store import Store
from tests.conftest import run_cli
from tests.gtm import rows_table

T = datetime
CONTRACT = {"sla", "record_id", "owner_id", "started_at", "due_at", "state"}


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("sla") / "crm.duckdb"
    tables = {
        "users": [{"user_id": "mgr", "name": "Maya Manager", "team": "SDR NA"},
                  {"user_id": "sdr", "name": "Sam Rep", "team": "SDR NA", "manager_id": "mgr"},
                  {"user_id": "ae", "name": "Alex AE", "team": "NA Enterprise", "manager_id": "mgr"}],
        "leads": [
            # Fri 15:00 New York: two hours on Friday, two on Monday: due Mon 11:00 NY = 16:00 UTC
            {"lead_id": "waiting", "owner_id": "sdr", "mql_at": T(2026, 1, 9, 20)},
            # Mon 09:00 NY, called 14:30 NY: due 13:00 NY, an hour and a half late
            {"lead_id": "called_late", "owner_id": "sdr", "mql_at": T(2026, 1, 12, 14),
             "first_contacted_at": T(2026, 1, 12, 19, 30)},
            {"lead_id": "sql", "owner_id": "ae", "sql_at": T(2026, 1, 12, 15)},
        ],
        "opportunities": [
            {"opportunity_id": "new_deal", "account_id": "acme", "owner_id": "ae", "type": "new_business",
             "stage": "closed_won"},
            {"opportunity_id": "renewal", "account_id": "acme", "owner_id": "ae", "type": "renewal",
             "stage": "closed_won"},
        ],
        "opportunity_history": [
            {"history_id": "h1", "opportunity_id": "new_deal", "changed_at": T(2026, 1, 5, 10), "stage": "closed_won"},
            {"history_id": "h2", "opportunity_id": "renewal", "changed_at": T(2026, 1, 6, 10), "stage": "closed_won"},
        ],
        "activities": [{"activity_id": "k1", "occurred_at": T(2026, 1, 8, 15), "type": "meeting",
                        "subject": "Implementation kickoff", "account_id": "acme"}],
    }
    with Store(path) as store:
        for name, rows in tables.items():
            store.append(name, rows_table(name, rows))
    return str(path)


def sla(db: str, *args: str) -> list[dict]:
    out = run_cli("--db", db, "sla", *args, "--format", "json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_status_rows_carry_the_contract_fields(db):
    # 10:30 in New York on Monday is 15:30 UTC
    rows = sla(db, "status", "--at", "2026-01-12T10:30-05:00")
    assert rows and all(CONTRACT <= set(r) for r in rows)
    assert all(r["state"] in ("due", "met", "breached") for r in rows)
    got = {(r["sla"], r["record_id"]): r for r in rows}
    # the renewal needs no kickoff; the lead called at 14:30 NY is still waiting at 10:30
    assert set(got) == {("mql_to_first_contact", "waiting"), ("mql_to_first_contact", "called_late"),
                        ("sql_to_opportunity", "sql"), ("closed_won_to_kickoff", "new_deal")}
    waiting = got[("mql_to_first_contact", "waiting")]
    assert waiting == {**waiting, "owner_id": "sdr", "started_at": "2026-01-09T20:00:00",
                       "due_at": "2026-01-12T16:00:00", "state": "due", "reminder": True,
                       "minutes_remaining": 30.0, "stopped_at": None, "owner_team": "sales_ops"}
    kickoff = got[("closed_won_to_kickoff", "new_deal")]
    assert kickoff == {**kickoff, "owner_id": "ae", "owner_team": "cs_ops", "state": "met",
                       "due_at": "2026-01-10T10:00:00", "stopped_at": "2026-01-08T15:00:00"}
    assert got[("sql_to_opportunity", "sql")]["due_at"] == "2026-01-26T15:00:00"


def test_state_sla_and_open_filters(db):
    rows = sla(db, "status", "--at", "2026-01-13", "--sla", "mql_to_first_contact", "--state", "breached")
    assert [(r["record_id"], r["minutes_late"]) for r in rows] == [("waiting", 480.0), ("called_late", 90.0)]
    still_open = sla(db, "status", "--at", "2026-01-13", "--state", "breached", "--open")
    assert [r["record_id"] for r in still_open] == ["waiting"]


def test_breach_queue_names_owner_and_manager(db):
    rows = sla(db, "breaches", "--at", "2026-01-13")
    assert [(r["sla"], r["record_id"], r["owner_name"], r["manager_name"], r["fallback"]) for r in rows] == [
        ("mql_to_first_contact", "waiting", "Sam Rep", "Maya Manager", "reassign_to_manager")]


def test_csv_for_spreadsheets(db):
    out = run_cli("--db", db, "sla", "status", "--at", "2026-01-13", "--state", "breached", "--format", "csv")
    assert out.returncode == 0, out.stderr
    header, *lines = out.stdout.strip().splitlines()
    assert header.replace('"', "").split(",")[:6] == ["sla", "record_id", "owner_id", "owner_team",
                                                      "started_at", "due_at"]
    assert len(lines) == 2 and '"waiting","sdr","sales_ops","2026-01-09T20:00:00","2026-01-12T16:00:00"' in lines[0]


def test_a_table_for_people(db):
    out = run_cli("--db", db, "sla", "breaches", "--at", "2026-01-13")
    assert out.returncode == 0, out.stderr
    assert "waiting" in out.stdout and "Sam Rep" in out.stdout


def test_mistakes_are_explained(db, tmp_path):
    out = run_cli("--db", db, "sla", "status", "--sla", "mql_to_first_contct", "--format", "json")
    assert out.returncode == 1 and "did you mean 'mql_to_first_contact'" in out.stderr and out.stdout == ""
    out = run_cli("--db", db, "sla", "status", "--at", "tomorrow")
    assert out.returncode == 1 and "--at 'tomorrow' is not a date" in out.stderr
    out = run_cli("--db", str(tmp_path / "missing.duckdb"), "sla", "status")
    assert out.returncode == 1 and "no store at" in out.stderr
